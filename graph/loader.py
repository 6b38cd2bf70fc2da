"""Load and validate a content folder, reporting every problem with its location.

``check(folder)`` never raises on bad content: it returns every problem found, and the
loaded graph when there were no errors. ``load(folder)`` raises ContentError instead.
"""

from __future__ import annotations

import difflib
import functools
import hashlib
import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import lint
from .errors import ContentError, Problem
from .model import NO_PICK, Comparison, DomainInfo, TagInfo, Topic, check_slug
from .yamlsource import YAML11_BOOLEANS, ParsedFile, locate, parse_yaml, scalar_source

__all__ = ["BUNDLED_CONTENT", "LoadReport", "check", "load", "resolve_folder"]

BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content"
ENV_VAR = "PICKGRAPH_CONTENT"


def resolve_folder(folder: str | os.PathLike | None = None) -> Path:
    """The content folder to read: the argument, else $PICKGRAPH_CONTENT, else the bundle."""
    if folder is None:
        folder = os.environ.get(ENV_VAR) or BUNDLED_CONTENT
    return Path(folder)


@dataclass
class LoadReport:
    """What ``check`` found: problems (sorted), counts, and the graph when valid."""

    folder: Path
    problems: list[Problem] = field(default_factory=list)
    files: int = 0
    graph: Any = None  # a TopicGraph when there are no errors

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


# ---------------------------------------------------------------- pydantic errors

_EXPECTED = {
    "string_type": "text",
    "int_type": "a whole number",
    "float_type": "a number",
    "bool_type": "true or false",
    "list_type": "a list",
    "dict_type": "a mapping",
    "model_type": "a mapping of fields",
    "model_attributes_type": "a mapping of fields",
    "date_type": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date without a time",
}


def _describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 40 else "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def _dotted(loc: tuple) -> str:
    out = ""
    for step in loc:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def _model_for(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    """The model class that owns the last step of ``loc`` (for did-you-mean)."""
    current: Any = model
    for step in loc[:-1]:
        if isinstance(step, int) or current is None:
            continue
        info = current.model_fields.get(step)
        if info is None:
            return None
        ann = info.annotation
        current = ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None
    return current


def _validation_problems(
    exc: ValidationError, parsed: ParsedFile, path: str, model: type[BaseModel], prefix: tuple
) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        full = prefix + loc
        kind = err["type"]
        name = _dotted(full) or "file"
        if kind == "missing":
            line, col = locate(parsed.root, full[:-1])
            where = f" in {_dotted(full[:-1])}" if full[:-1] else ""
            message = f"missing required field {full[-1]!r}{where}"
            code = "missing-field"
        elif kind == "extra_forbidden":
            line, col = locate(parsed.root, full, at_key=True)
            owner = _model_for(model, loc)
            known = list(owner.model_fields) if owner else []
            close = difflib.get_close_matches(str(loc[-1]), known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            allowed = f" (allowed: {', '.join(known)})" if known and not close else ""
            message = f"unknown field {name!r}{hint}{allowed}"
            code = "unknown-field"
        else:
            line, col = locate(parsed.root, full)
            value = err.get("input")
            node = scalar_source(parsed.root, full)
            code = "wrong-type"
            if (
                kind == "string_type"
                and isinstance(value, bool)
                and node is not None
                and not node.style  # plain, unquoted
                and node.value in YAML11_BOOLEANS
            ):
                message = (
                    f"{name}: {node.value!r} is read by YAML as the boolean "
                    f"{str(value).lower()}; put it in quotes if you mean the text"
                )
                code = "yaml-boolean"
            elif kind in _EXPECTED:
                message = f"{name}: expected {_EXPECTED[kind]}, got {_describe(value)}"
            elif kind == "literal_error":
                expected = err.get("ctx", {}).get("expected", "")
                message = f"{name}: unknown value {value!r}; expected one of {expected}"
                code = "unknown-value"
            elif kind == "value_error":
                message = f"{name}: {err['ctx']['error']}"
                code = "invalid-value"
                if "slug" in str(err["ctx"]["error"]) or "'vs'" in str(err["ctx"]["error"]):
                    code = "bad-slug"
            elif kind == "too_short":
                minimum = err.get("ctx", {}).get("min_length", 1)
                message = f"{name}: must list at least {minimum} item{'s' if minimum > 1 else ''}"
                code = "empty-list"
            elif kind in ("greater_than", "less_than_equal"):
                message = f"{name}: must be greater than 0 and at most 1, got {value}"
                code = "out-of-range"
            else:
                message = f"{name}: {err['msg']}"
        problems.append(Problem(path, line, col, message, code=code))
    return problems


# ---------------------------------------------------------------- the loader


class _Loader:
    def __init__(self, folder: Path):
        # Show paths as the user would type them: relative to the working directory
        # when the folder is below it.
        rel = os.path.relpath(folder) if folder.is_absolute() else str(folder)
        self.folder = Path(rel) if not rel.startswith("..") else folder
        self.problems: list[Problem] = []
        self.broken_topics: set[str] = set()
        self.pair_path: dict[str, str] = {}
        self.digest = hashlib.sha256()
        self.files = 0

    # -- helpers
    def display(self, file: Path) -> str:
        return str(self.folder / file.relative_to(self.folder))

    def error(self, path: str, line: int, col: int, message: str, code: str) -> None:
        self.problems.append(Problem(path, line, col, message, "error", code))

    def warn(self, path: str, line: int, col: int, message: str, code: str) -> None:
        self.problems.append(Problem(path, line, col, message, "warning", code))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the loader lives for one load
    def _root(self, path: str):
        try:
            return parse_yaml(Path(path).read_bytes(), path).root
        except OSError:
            return None

    def where(self, path: str, loc: tuple, at_key: bool = False) -> tuple[int, int]:
        """Position of ``loc`` in ``path``; re-parses the file (cross-file problems are rare)."""
        return locate(self._root(path), loc, at_key=at_key)

    def read(self, file: Path) -> ParsedFile:
        raw = file.read_bytes()
        rel = file.relative_to(self.folder).as_posix()
        self.digest.update(rel.encode() + b"\0" + raw + b"\0")
        self.files += 1
        parsed = parse_yaml(raw, self.display(file))
        self.problems.extend(parsed.problems)
        return parsed

    def validate(self, model, data, parsed: ParsedFile, path: str, prefix: tuple = ()):
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            self.problems.extend(_validation_problems(exc, parsed, path, model, prefix))
            return None

    # -- files
    def read_mapping_file(self, name: str, model) -> tuple[dict[str, Any], dict[str, str]]:
        """Read ``domains.yaml`` or ``tags.yaml``: slug -> model. Returns (items, paths)."""
        file = self.folder / name
        if not file.is_file():
            return {}, {}
        parsed = self.read(file)
        path = self.display(file)
        if parsed.data is None:
            return {}, {}
        if not isinstance(parsed.data, dict):
            self.error(path, 1, 1, f"{name} must be a mapping from slug to fields", "wrong-type")
            return {}, {}
        items = {}
        for slug, value in parsed.data.items():
            try:
                check_slug(slug)
            except ValueError as exc:
                line, col = locate(parsed.root, (slug,), at_key=True)
                self.error(path, line, col, str(exc), "bad-slug")
                continue
            if value is None:
                value = {}
            item = self.validate(model, value, parsed, path, prefix=(slug,))
            if item is not None:
                items[slug] = item
        return items, {slug: path for slug in items}

    def topic_files(self) -> list[Path]:
        return sorted((self.folder / "topics").glob("*.yaml"))

    def comparison_files(self) -> list[Path]:
        return sorted((self.folder / "comparisons").glob("*.yaml"))

    def unexpected_files(self) -> None:
        expected = {"topics", "comparisons", "tags.yaml", "domains.yaml"}
        for entry in sorted(self.folder.iterdir()):
            if entry.name.startswith(".") or entry.name in expected:
                continue
            if entry.suffix in (".yaml", ".yml"):
                self.warn(
                    self.display(entry), 0, 0,
                    "file is not read: topics go in topics/, comparisons in comparisons/",
                    "unexpected-file",
                )
        for sub in ("topics", "comparisons"):
            folder = self.folder / sub
            if folder.is_dir():
                for entry in sorted(folder.iterdir()):
                    if entry.suffix == ".yml" or (entry.is_file() and entry.suffix != ".yaml"
                                                  and not entry.name.startswith(".")):
                        self.warn(self.display(entry), 0, 0,
                                  "file is not read: content files end in .yaml",
                                  "unexpected-file")

    # -- the whole folder
    def run(self) -> LoadReport:
        report = LoadReport(self.folder)
        if not self.folder.is_dir():
            self.error(str(self.folder), 0, 0, "content folder not found", "no-folder")
            report.problems = sorted(self.problems)
            return report
        self.unexpected_files()
        domains, _ = self.read_mapping_file("domains.yaml", DomainInfo)
        tags, _ = self.read_mapping_file("tags.yaml", TagInfo)

        topics: dict[str, Topic] = {}
        topic_path: dict[str, str] = {}
        for file in self.topic_files():
            path = self.display(file)
            parsed = self.read(file)
            topic = None
            if parsed.data is not None:
                topic = self.validate(Topic, parsed.data, parsed, path)
            if topic is None:
                # Its own errors are reported; comparisons naming it should not
                # add "unknown topic" on top.
                self.broken_topics.add(file.stem)
                continue
            if file.stem != topic.slug:
                line, col = locate(parsed.root, ("slug",))
                self.error(
                    path, line, col,
                    f"slug {topic.slug!r} does not match the file name; "
                    f"name the file {topic.slug}.yaml",
                    "file-name",
                )
            if topic.slug in topics:
                line, col = locate(parsed.root, ("slug",))
                self.error(path, line, col,
                           f"topic {topic.slug!r} is already defined in {topic_path[topic.slug]}",
                           "duplicate-topic")
                continue
            topics[topic.slug] = topic
            topic_path[topic.slug] = path

        comparisons: dict[str, Comparison] = {}
        comparison_path: dict[str, str] = {}
        for file in self.comparison_files():
            path = self.display(file)
            parsed = self.read(file)
            if parsed.data is None:
                continue
            comp = self.validate(Comparison, parsed.data, parsed, path)
            if comp is None:
                continue
            if self.check_comparison(comp, file, parsed, topics, comparisons, comparison_path):
                comparisons[comp.slug] = comp
                comparison_path[comp.slug] = path
            for loc, code, message in lint.comparison_text_issues(comp):
                line, col = locate(parsed.root, loc)
                self.warn(path, line, col, message, code)

        aliases = self.check_topics(topics, topic_path, domains, tags)
        self.cross_lint(topics, topic_path, comparisons, tags)

        report.files = self.files
        report.problems = sorted(set(self.problems))
        if not report.errors:
            from .topicgraph import TopicGraph

            report.graph = TopicGraph(
                topics=topics,
                comparisons=comparisons,
                tag_info=tags,
                domains=domains,
                aliases=aliases,
                folder=self.folder,
                version=self.digest.hexdigest()[:16],
                sources={**topic_path, **comparison_path},
                warnings=report.warnings,
            )
        return report

    def check_comparison(self, comp, file, parsed, topics, comparisons, comparison_path) -> bool:
        path = self.display(file)
        ok = True
        for side in ("a", "b"):
            slug = getattr(comp, side).topic
            if slug in self.broken_topics:
                ok = False
            elif slug not in topics:
                line, col = locate(parsed.root, (side, "topic"))
                close = difflib.get_close_matches(slug, list(topics), n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                self.error(path, line, col, f"unknown topic {slug!r}{hint}", "unknown-topic")
                ok = False
        if comp.a.topic == comp.b.topic:
            line, col = locate(parsed.root, ("b", "topic"))
            self.error(path, line, col,
                       f"topic {comp.a.topic!r} is compared with itself", "self-comparison")
            return False
        expected = f"{comp.a.topic}-vs-{comp.b.topic}"
        if file.stem != expected:
            self.error(path, 1, 1,
                       f"file name does not match its sides: name it {expected}.yaml",
                       "file-name")
        if comp.pick not in (comp.a.topic, comp.b.topic, NO_PICK):
            line, col = locate(parsed.root, ("pick",))
            self.error(path, line, col,
                       f"pick {comp.pick!r} is neither side: expected {comp.a.topic!r}, "
                       f"{comp.b.topic!r} or {NO_PICK!r}", "bad-pick")
            ok = False
        if comp.pick == NO_PICK and comp.no_pick_reason is None:
            line, col = locate(parsed.root, ("pick",))
            self.error(path, line, col,
                       "pick is 'none': add no_pick_reason saying what the choice depends on",
                       "missing-field")
        if comp.pick != NO_PICK and comp.no_pick_reason is not None:
            line, col = locate(parsed.root, ("no_pick_reason",), at_key=True)
            self.error(path, line, col,
                       "no_pick_reason is only for comparisons with pick: none",
                       "unexpected-field")
        if comp.slug in self.pair_path:
            line, col = locate(parsed.root, ("a", "topic"))
            other = self.pair_path[comp.slug]
            self.error(path, line, col,
                       f"the pair {comp.a.topic} / {comp.b.topic} is already compared in {other}",
                       "duplicate-pair")
            ok = False
        else:
            self.pair_path[comp.slug] = path
        return ok

    def check_topics(self, topics, topic_path, domains, tags) -> dict[str, str]:
        """Aliases, domains, related tags; returns alias -> topic slug."""
        aliases: dict[str, str] = {}
        for slug, topic in topics.items():
            path = topic_path[slug]
            for i, alias in enumerate(topic.aliases):
                owner = (slug if alias in topics else None) or aliases.get(alias)
                if alias in topics:
                    line, col = self.where(path, ("aliases", i))
                    self.error(path, line, col,
                               f"alias {alias!r} is the slug of topic {alias!r}", "duplicate-alias")
                elif owner is not None:
                    line, col = self.where(path, ("aliases", i))
                    self.error(path, line, col,
                               f"alias {alias!r} is already an alias of topic {owner!r} "
                               f"({topic_path[owner]})", "duplicate-alias")
                else:
                    aliases[alias] = slug
            if topic.domain is not None and topic.domain not in domains:
                line, col = self.where(path, ("domain",))
                close = difflib.get_close_matches(topic.domain, list(domains), n=1)
                hint = f"; did you mean {close[0]!r}?" if close else " (declare it in domains.yaml)"
                self.error(path, line, col, f"unknown domain {topic.domain!r}{hint}",
                           "unknown-domain")
            seen = set()
            for i, tag in enumerate(topic.related):
                if tag == slug:
                    line, col = self.where(path, ("related", i))
                    self.error(path, line, col, "a topic cannot be related to itself",
                               "self-related")
                elif tag in seen:
                    line, col = self.where(path, ("related", i))
                    self.error(path, line, col, f"related tag {tag!r} is listed twice",
                               "duplicate-tag")
                seen.add(tag)
        for slug, topic in topics.items():
            path = topic_path[slug]
            for i, tag in enumerate(topic.related):
                if tag in aliases:
                    line, col = self.where(path, ("related", i))
                    self.error(path, line, col,
                               f"related tag {tag!r} is an alias of topic {aliases[tag]!r}; "
                               f"write {aliases[tag]!r}", "alias-as-tag")
        tags_path = str(self.folder / "tags.yaml")
        for tag in tags:
            if tag in topics:
                line, col = self.where(tags_path, (tag,), at_key=True)
                self.error(tags_path, line, col,
                           f"tag {tag!r} is a topic; describe it in topics/{tag}.yaml",
                           "tag-is-topic")
        return aliases

    def cross_lint(self, topics, topic_path, comparisons, tags) -> None:
        compared = defaultdict(int)
        for comp in comparisons.values():
            compared[comp.a.topic] += 1
            compared[comp.b.topic] += 1
        for slug in topics:
            if not compared[slug]:
                path = topic_path[slug]
                line, col = self.where(path, ("slug",))
                self.warn(path, line, col, f"topic {slug!r} is in no comparison", "orphan-topic")
        users: dict[str, list[str]] = defaultdict(list)
        for slug, topic in topics.items():
            for tag in topic.related:
                users[tag].append(slug)
        for tag, who in users.items():
            if len(who) == 1 and tag not in topics:
                path = topic_path[who[0]]
                i = topics[who[0]].related.index(tag)
                line, col = self.where(path, ("related", i))
                self.warn(path, line, col,
                          f"tag {tag!r} is used by this topic only; a tag groups several topics",
                          "single-use-tag")
        tags_path = str(self.folder / "tags.yaml")
        for tag in tags:
            if tag not in users and tag not in topics:
                line, col = self.where(tags_path, (tag,), at_key=True)
                self.warn(tags_path, line, col, f"tag {tag!r} is described but no topic uses it",
                          "unused-tag")


def check(folder: str | os.PathLike | None = None) -> LoadReport:
    """Load a content folder and report every problem; never raises for bad content.

    >>> report = check()  # the bundled content
    >>> report.ok(strict=True), report.graph is not None
    (True, True)
    """
    return _Loader(resolve_folder(folder)).run()


def load(folder: str | os.PathLike | None = None, *, strict: bool = False):
    """Load a content folder into a TopicGraph; raise ContentError listing every error.

    With no folder, reads $PICKGRAPH_CONTENT or else the bundled ``content/``.
    ``strict`` also refuses lint warnings.
    """
    report = check(folder)
    if not report.ok(strict):
        raise ContentError(report.errors + (report.warnings if strict else []))
    return report.graph
