"""Load and validate a content folder, reporting every problem with its location.

``check(folder)`` never raises on bad content: it returns every problem found, and the
loaded graph when there were no errors. ``load(folder)`` raises ContentError instead.

A file marked ``draft: true`` is read no further: it stays out of the graph and is
listed in the report. A file over the size limit ($PICKGRAPH_MAX_FILE_BYTES) is not
read at all; ``yamlsource`` bounds what the bytes of one file can make the parser build.
Every check across files is linear in the content, so a hostile file cannot make the
loader slow.
"""

from __future__ import annotations

import functools
import gc
import hashlib
import multiprocessing as mp
import operator
import os
import threading
import typing
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from . import lint
from .errors import ContentError, PickgraphError, Problem
from .messages import validation_problems
from .model import NO_PICK, Comparison, DomainInfo, TagInfo, Topic, check_slug
from .similar import closest
from .topicgraph import TopicGraph
from .yamlsource import ParsedFile, locate, parse_yaml

__all__ = [
    "BUNDLED_CONTENT",
    "DEFAULT_MAX_FILE_BYTES",
    "LoadReport",
    "check",
    "check_comparison_bytes",
    "check_topic_bytes",
    "load",
    "max_file_bytes",
    "read_limited",
    "resolve_folder",
]

BUNDLED_CONTENT = Path(__file__).resolve().parent.parent / "content"
ENV_VAR = "PICKGRAPH_CONTENT"
MAX_FILE_ENV = "PICKGRAPH_MAX_FILE_BYTES"
# The largest bundled file is 23 kB; a content file past 1 MiB is a mistake or an attack,
# and parsing one costs about 1 s and 100 MB per 10 MB.
DEFAULT_MAX_FILE_BYTES = 1 << 20


def max_file_bytes() -> int:
    """The size limit of one content file: $PICKGRAPH_MAX_FILE_BYTES, else 1 MiB.

    Read once per load; a value that is not a positive whole number is an error.
    """
    value = os.environ.get(MAX_FILE_ENV, "").strip()
    if not value:
        return DEFAULT_MAX_FILE_BYTES
    if not (value.isascii() and value.isdigit()) or int(value) == 0:
        raise PickgraphError(f"{MAX_FILE_ENV}={value!r}: expected a positive whole number of bytes")
    return int(value)


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
    drafts: list[str] = field(default_factory=list)  # files marked draft: true, not loaded

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "warning"]

    def ok(self, strict: bool = False) -> bool:
        return not self.errors and not (strict and self.warnings)


# ---------------------------------------------------------------- the loader


@dataclass
class FileResult:
    """One topic or comparison file: its model (None when invalid or a draft) and its
    problems."""

    path: str
    stem: str
    model: Any
    problems: list[Problem]
    digest: bytes
    draft: bool = False


def _model_problems(model, data, parsed: ParsedFile, path: str, prefix: tuple = ()):
    try:
        return model.model_validate(data), []
    except ValidationError as exc:
        return None, validation_problems(exc, parsed, path, model, prefix)


def _problem(path, parsed, loc, message, code, severity="error", at_key=False) -> Problem:
    line, col = locate(parsed.root, loc, at_key=at_key)
    return Problem(path, line, col, message, severity, code)


def read_limited(path: str, limit: int) -> tuple[bytes | None, list[Problem]]:
    """The bytes of ``path``, or None and a problem when it holds more than ``limit``.

    The size is checked before reading, and the read stops past the limit in case the
    file grows meanwhile.
    """
    with open(path, "rb") as f:
        size = os.fstat(f.fileno()).st_size
        raw = f.read(limit + 1) if size <= limit else b""
    if size > limit or len(raw) > limit:
        message = (
            f"file is {max(size, len(raw)):,} bytes, over the limit of {limit:,} "
            f"(set {MAX_FILE_ENV} to raise it)"
        )
        return None, [Problem(path, 1, 1, message, code="file-too-large")]
    return raw, []


def _parse_file(path: str, limit: int) -> tuple[ParsedFile, bytes]:
    raw, problems = read_limited(path, limit)
    if raw is None:
        return ParsedFile(None, None, problems), b""
    return parse_yaml(raw, path), raw


def _draft(parsed: ParsedFile, path: str) -> tuple[bool, list[Problem]]:
    """Whether a parsed file is a draft; takes ``draft`` out of its data either way."""
    data = parsed.data
    if not isinstance(data, dict) or "draft" not in data:
        return False, []
    value = data.pop("draft")
    if isinstance(value, bool):
        return value, []
    message = "draft: expected true or false"
    return False, [_problem(path, parsed, ("draft",), message, "wrong-type")]


def _topic_problems(
    topic: Topic, parsed: ParsedFile, path: str, stem: str, lint_text: bool = True
) -> list[Problem]:
    problems = []
    if stem != topic.slug:
        message = (
            f"slug {topic.slug!r} does not match the file name; name the file {topic.slug}.yaml"
        )
        problems.append(_problem(path, parsed, ("slug",), message, "file-name"))
    if lint_text and topic.summary:
        issue = lint.broken_word(topic.summary)
        if issue:
            problems.append(_problem(path, parsed, ("summary",), issue[1], issue[0], "warning"))
    return problems


def _comparison_problems(
    comp: Comparison, parsed: ParsedFile, path: str, stem: str, lint_text: bool = True
):
    """Checks of one comparison that need no other file, lint included unless
    ``lint_text`` is false."""
    a, b = comp.a.topic, comp.b.topic
    problems = []
    if a == b:
        message = f"topic {a!r} is compared with itself"
        problems.append(_problem(path, parsed, ("b", "topic"), message, "self-comparison"))
    elif stem != f"{a}-vs-{b}":
        message = f"file name does not match its sides: name it {a}-vs-{b}.yaml"
        problems.append(Problem(path, 1, 1, message, "error", "file-name"))
    if comp.pick not in (a, b, NO_PICK):
        message = f"pick {comp.pick!r} is neither side: expected {a!r}, {b!r} or {NO_PICK!r}"
        problems.append(_problem(path, parsed, ("pick",), message, "bad-pick"))
    if comp.pick == NO_PICK and comp.no_pick_reason is None:
        message = "pick is 'none': add no_pick_reason saying what the choice depends on"
        problems.append(_problem(path, parsed, ("pick",), message, "missing-field"))
    if comp.pick != NO_PICK and comp.no_pick_reason is not None:
        message = "no_pick_reason is only for comparisons with pick: none"
        loc = ("no_pick_reason",)
        problems.append(_problem(path, parsed, loc, message, "unexpected-field", at_key=True))
    if lint_text:
        for loc, code, message in lint.comparison_text_issues(comp):
            problems.append(_problem(path, parsed, loc, message, code, "warning"))
    return problems


# What each kind of file is, and its checks that need no other file.
_FILE_KINDS = {
    "topic": (Topic, _topic_problems),
    "comparison": (Comparison, _comparison_problems),
}


def _check_file(
    kind: str, parsed: ParsedFile, raw: bytes, path: str, lint_text: bool = True
) -> FileResult:
    """One parsed topic or comparison file checked on its own (other files come later)."""
    stem = os.path.basename(path)[: -len(".yaml")]
    digest = hashlib.sha256(raw).digest()
    draft, problems = _draft(parsed, path)
    if draft:
        return FileResult(path, stem, None, [], digest, draft=True)
    problems = parsed.problems + problems
    cls, checks = _FILE_KINDS[kind]
    model = None
    if parsed.data is not None:
        model, errs = _model_problems(cls, parsed.data, parsed, path)
        problems += errs
    if model is not None:
        problems += checks(model, parsed, path, stem, lint_text)
    return FileResult(path, stem, model, problems, digest)


def check_topic_bytes(raw: bytes, path: str) -> FileResult:
    """Check the bytes of a topic file named ``path`` as the loader would, on its own
    (the importer checks what it is about to write)."""
    return _check_file("topic", parse_yaml(raw, path), raw, path)


def check_comparison_bytes(raw: bytes, path: str) -> FileResult:
    """Check the bytes of a comparison file named ``path`` on its own, lint included."""
    return _check_file("comparison", parse_yaml(raw, path), raw, path)


def read_file(kind: str, path: str, limit: int, lint_text: bool = True) -> FileResult:
    """Read and check one topic or comparison file (cross-file checks come later)."""
    parsed, raw = _parse_file(path, limit)
    return _check_file(kind, parsed, raw, path, lint_text)


def _read_chunk(args: tuple[str, list[str], int, bool]) -> list[FileResult]:
    kind, paths, limit, lint_text = args
    enabled = gc.isenabled()
    gc.disable()
    try:
        return [read_file(kind, p, limit, lint_text) for p in paths]
    finally:
        if enabled:
            gc.enable()


def _pack_model(model):
    """A model as nested tuples: a third of the pickling cost of the model itself."""
    if model is None:
        return None
    return tuple(_pack_model(v) if isinstance(v, BaseModel) else v for v in model.__dict__.values())


def _unpack_model(cls, packed):
    if packed is None:
        return None
    values = {}
    for (name, nested), value in zip(_fields(cls), packed, strict=True):
        if nested is not None and isinstance(value, tuple):
            value = _unpack_model(nested, value)
        values[name] = value
    return cls.model_construct(**values)


@functools.cache
def _fields(cls) -> tuple[tuple[str, type[BaseModel] | None], ...]:
    """Each field's name and, for a field typed as a model, its class: worked out once
    per class rather than once per unpacked model (a tenth of a large load's unpacking)."""
    return tuple((name, _nested_model(info.annotation)) for name, info in cls.model_fields.items())


def _nested_model(annotation) -> type[BaseModel] | None:
    """The model class of a field typed as a model or an optional model."""
    for candidate in (annotation, *typing.get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _read_packed(args: tuple[str, list[str], int, bool]) -> list[tuple]:
    return [
        (r.path, r.stem, _pack_model(r.model), r.problems, r.digest, r.draft)
        for r in _read_chunk(args)
    ]


# Below this many files a process pool costs more to start than it saves.
PARALLEL_MIN_FILES = 4000
_CHUNK = 1000
# The calling process's share of the files against one worker's: it reads a little
# more, as it neither packs nor sends its results (100,000 comparisons on two cores:
# 7.4 s at an even share, the parent then waiting 1.5 s for the worker).
PARENT_SHARE = 1.1


def _pool_context():
    """How to start the reading processes: fork while this process has one thread
    (quickest), a fork server once it has more (a fork copies no other thread, so a
    lock another thread holds, such as in a server's file watcher or a dask client,
    would stay locked in the child forever), or None where neither exists."""
    methods = mp.get_all_start_methods()
    if threading.active_count() == 1 and "fork" in methods:
        return mp.get_context("fork")
    if "forkserver" in methods:
        return mp.get_context("forkserver")
    return None


def _read_all(kind: str, paths: list[str], limit: int, lint_text: bool) -> list[FileResult]:
    """Read files in order, over all cores when there are many of them.

    The calling process reads the first share itself while worker processes read the
    rest, so two cores give two readers rather than two workers and an idle parent.
    Between its own chunks it unpacks the workers' finished ones, so that little is
    left to unpack once it has read its share; its share is a little larger than a
    worker's, which also packs its results and sends them over a pipe.
    """
    cores = min(os.cpu_count() or 1, 8)
    context = _pool_context()
    if len(paths) < PARALLEL_MIN_FILES or cores < 2 or context is None:
        return _read_chunk((kind, paths, limit, lint_text))
    cls = _FILE_KINDS[kind][0]
    own = min(len(paths), round(len(paths) * PARENT_SHARE / (PARENT_SHARE + cores - 1)))
    chunks = [
        (kind, paths[i : i + _CHUNK], limit, lint_text) for i in range(own, len(paths), _CHUNK)
    ]
    unpacked: list[list[FileResult]] = []

    def unpack(chunk) -> None:
        unpacked.append(
            [
                FileResult(path, stem, _unpack_model(cls, packed), problems, digest, draft)
                for path, stem, packed, problems, digest, draft in chunk
            ]
        )

    with ProcessPoolExecutor(cores - 1, mp_context=context) as pool:
        pending = [pool.submit(_read_packed, chunk) for chunk in chunks]
        results: list[FileResult] = []
        for start in range(0, own, _CHUNK):
            results.extend(
                _read_chunk((kind, paths[start : min(own, start + _CHUNK)], limit, lint_text))
            )
            while len(unpacked) < len(pending) and pending[len(unpacked)].done():
                unpack(pending[len(unpacked)].result())
        for future in pending[len(unpacked) :]:
            unpack(future.result())
    for part in unpacked:
        results.extend(part)
    return results


# Problems in the order their dataclass defines, compared in C: the generated __lt__
# costs a Python call per comparison, most of the load time of 40,000 warnings.
_PROBLEM_ORDER = operator.attrgetter("path", "line", "column", "message", "severity", "code")
# Only this many unknown names get a "did you mean" hint: each hint scans every name,
# so a file naming thousands of unknown topics would otherwise cost their product.
HINT_LIMIT = 100


class _Loader:
    def __init__(self, folder: Path, limit: int = DEFAULT_MAX_FILE_BYTES, lint: bool = True):
        # Show paths as the user would type them: relative to the working directory
        # when the folder is below it.
        rel = os.path.relpath(folder) if folder.is_absolute() else str(folder)
        self.folder = Path(rel) if not rel.startswith("..") else folder
        self.problems: list[Problem] = []
        self.broken_topics: set[str] = set()
        self.pair_path: dict[str, str] = {}
        self.prefix = str(self.folder) + os.sep
        self.digest = hashlib.sha256()
        self.files = 0
        self.limit = limit
        self.lint = lint
        self.drafts: list[str] = []
        self.draft_topics: dict[str, str] = {}  # slug -> path
        self.hints: dict[tuple[str, int], list[str]] = {}

    # -- helpers
    def error(self, path: str, line: int, col: int, message: str, code: str) -> None:
        self.problems.append(Problem(path, line, col, message, "error", code))

    def warn(self, path: str, line: int, col: int, message: str, code: str) -> None:
        self.problems.append(Problem(path, line, col, message, "warning", code))

    @functools.lru_cache(maxsize=64)  # noqa: B019 - the loader lives for one load
    def _root(self, path: str):
        try:
            return _parse_file(path, self.limit)[0].root
        except OSError:
            return None

    def closest(self, slug: str, names, n: int) -> list[str]:
        """Did-you-mean for ``slug``, for the first HINT_LIMIT unknown names only."""
        key = (slug, n)
        if key not in self.hints:
            if len(self.hints) >= HINT_LIMIT:
                return []
            self.hints[key] = closest(slug, names, n=n)
        return self.hints[key]

    def where(self, path: str, loc: tuple, at_key: bool = False) -> tuple[int, int]:
        """Position of ``loc`` in ``path``; re-parses the file (cross-file problems are rare)."""
        return locate(self._root(path), loc, at_key=at_key)

    def account(self, path: str, digest: bytes) -> None:
        """Fold one file into the content version (a hash of every file, in order)."""
        rel = path[len(self.prefix) :].replace(os.sep, "/")
        self.digest.update(rel.encode() + b"\0" + digest)
        self.files += 1

    # -- files
    def read_mapping_file(self, name: str, model) -> dict[str, Any]:
        """Read ``domains.yaml`` or ``tags.yaml``: slug -> model."""
        file = self.folder / name
        if not file.is_file():
            return {}
        path = str(file)
        parsed, raw = _parse_file(path, self.limit)
        self.account(path, hashlib.sha256(raw).digest())
        self.problems.extend(parsed.problems)
        if parsed.data is None:
            return {}
        if not isinstance(parsed.data, dict):
            self.error(path, 1, 1, f"{name} must be a mapping from slug to fields", "wrong-type")
            return {}
        items = {}
        for slug, value in parsed.data.items():
            try:
                check_slug(slug)
            except ValueError as exc:
                line, col = locate(parsed.root, (slug,), at_key=True)
                self.error(path, line, col, str(exc), "bad-slug")
                continue
            item, errs = _model_problems(
                model, {} if value is None else value, parsed, path, prefix=(slug,)
            )
            self.problems.extend(errs)
            if item is not None:
                items[slug] = item
        return items

    def _yaml_files(self, sub: str) -> list[str]:
        """The .yaml files of one sub-folder, sorted; warns about any other file there."""
        folder = os.path.join(self.folder, sub)
        if not os.path.isdir(folder):
            return []
        names = []
        for entry in os.scandir(folder):
            if entry.name.endswith(".yaml") and entry.is_file():
                names.append(entry.name)
            elif not entry.name.startswith("."):
                self.warn(
                    entry.path,
                    0,
                    0,
                    "file is not read: content files end in .yaml",
                    "unexpected-file",
                )
        names.sort()
        return [os.path.join(folder, name) for name in names]

    def unexpected_files(self) -> None:
        expected = {"topics", "comparisons", "tags.yaml", "domains.yaml"}
        for entry in sorted(self.folder.iterdir()):
            if entry.name.startswith(".") or entry.name in expected:
                continue
            if entry.suffix in (".yaml", ".yml"):
                self.warn(
                    str(entry),
                    0,
                    0,
                    "file is not read: topics go in topics/, comparisons in comparisons/",
                    "unexpected-file",
                )

    # -- the whole folder
    def run(self) -> LoadReport:
        report = LoadReport(self.folder)
        if not self.folder.is_dir():
            self.error(str(self.folder), 0, 0, "content folder not found", "no-folder")
            report.problems = sorted(self.problems)
            return report
        self.unexpected_files()
        domains = self.read_mapping_file("domains.yaml", DomainInfo)
        tags = self.read_mapping_file("tags.yaml", TagInfo)

        topics: dict[str, Topic] = {}
        topic_path: dict[str, str] = {}
        topic_files = self._yaml_files("topics")
        for result in _read_all("topic", topic_files, self.limit, self.lint):
            if self.counted(result):
                self.draft_topics[result.stem] = result.path
                continue
            topic = result.model
            if topic is None:
                # Its own errors are reported; comparisons naming it should not
                # add "unknown topic" on top.
                self.broken_topics.add(result.stem)
                continue
            if topic.slug in topics:
                line, col = self.where(result.path, ("slug",))
                self.error(
                    result.path,
                    line,
                    col,
                    f"topic {topic.slug!r} is already defined in {topic_path[topic.slug]}",
                    "duplicate-topic",
                )
                continue
            topics[topic.slug] = topic
            topic_path[topic.slug] = result.path

        comparisons: dict[str, Comparison] = {}
        comparison_path: dict[str, str] = {}
        comparison_files = self._yaml_files("comparisons")
        for result in _read_all("comparison", comparison_files, self.limit, self.lint):
            if self.counted(result):
                continue
            comp = result.model
            if comp is not None and self.check_comparison(comp, result.path, topics):
                comparisons[comp.slug] = comp
                comparison_path[comp.slug] = result.path

        if not topics:
            self.no_topics(topic_files)
        aliases = self.check_topics(topics, topic_path, domains, tags)
        if self.lint:
            self.cross_lint(topics, topic_path, comparisons, tags)

        report.files = self.files
        report.drafts = self.drafts
        report.problems = sorted(set(self.problems), key=_PROBLEM_ORDER)
        if not report.errors:
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

    def counted(self, result: FileResult) -> bool:
        """Fold one file's digest and problems into the load; True when it is a draft."""
        self.account(result.path, result.digest)
        self.problems.extend(result.problems)
        if result.draft:
            self.drafts.append(result.path)
        return result.draft

    def no_topics(self, files: list[str]) -> None:
        """A folder without a topic serves nothing: say why, naming the folder."""
        topics_dir = self.folder / "topics"
        if not topics_dir.is_dir():
            why = "it has no topics/ folder"
        elif not files:
            why = "its topics/ folder holds no .yaml file"
        elif len(self.draft_topics) == len(files):
            why = "every file in its topics/ folder is a draft"
        else:
            return  # the topic files have errors of their own, reported already
        self.error(str(self.folder), 0, 0, f"no topics in {self.folder}: {why}", "no-topics")

    def check_comparison(self, comp, path, topics) -> bool:
        """Checks against other files: both topics exist, the pair is new."""
        ok = True
        for side in ("a", "b"):
            slug = getattr(comp, side).topic
            if slug in self.broken_topics:
                ok = False
            elif slug in self.draft_topics:
                line, col = self.where(path, (side, "topic"))
                self.error(
                    path,
                    line,
                    col,
                    f"topic {slug!r} is a draft ({self.draft_topics[slug]}): finish it, "
                    "or mark this comparison draft: true too",
                    "draft-topic",
                )
                ok = False
            elif slug not in topics:
                line, col = self.where(path, (side, "topic"))
                close = self.closest(slug, topics, n=3)
                hint = f"; did you mean {', '.join(close)}?" if close else ""
                self.error(path, line, col, f"unknown topic {slug!r}{hint}", "unknown-topic")
                ok = False
        if comp.a.topic == comp.b.topic or comp.pick not in (comp.a.topic, comp.b.topic, NO_PICK):
            return False
        if comp.slug in self.pair_path:
            line, col = self.where(path, ("a", "topic"))
            other = self.pair_path[comp.slug]
            self.error(
                path,
                line,
                col,
                f"the pair {comp.a.topic} / {comp.b.topic} is already compared in {other}",
                "duplicate-pair",
            )
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
                    self.error(
                        path,
                        line,
                        col,
                        f"alias {alias!r} is the slug of topic {alias!r}",
                        "duplicate-alias",
                    )
                elif owner is not None:
                    line, col = self.where(path, ("aliases", i))
                    self.error(
                        path,
                        line,
                        col,
                        f"alias {alias!r} is already an alias of topic {owner!r} "
                        f"({topic_path[owner]})",
                        "duplicate-alias",
                    )
                else:
                    aliases[alias] = slug
            if topic.domain is not None and topic.domain not in domains:
                line, col = self.where(path, ("domain",))
                close = self.closest(topic.domain, domains, n=1)
                hint = f"; did you mean {close[0]!r}?" if close else " (declare it in domains.yaml)"
                self.error(
                    path, line, col, f"unknown domain {topic.domain!r}{hint}", "unknown-domain"
                )
            seen = set()
            for i, tag in enumerate(topic.related):
                if tag == slug:
                    line, col = self.where(path, ("related", i))
                    self.error(
                        path, line, col, "a topic cannot be related to itself", "self-related"
                    )
                elif tag in seen:
                    line, col = self.where(path, ("related", i))
                    self.error(
                        path, line, col, f"related tag {tag!r} is listed twice", "duplicate-tag"
                    )
                seen.add(tag)
        for slug, topic in topics.items():
            path = topic_path[slug]
            for i, tag in enumerate(topic.related):
                if tag in aliases:
                    line, col = self.where(path, ("related", i))
                    self.error(
                        path,
                        line,
                        col,
                        f"related tag {tag!r} is an alias of topic {aliases[tag]!r}; "
                        f"write {aliases[tag]!r}",
                        "alias-as-tag",
                    )
        tags_path = str(self.folder / "tags.yaml")
        for tag in tags:
            if tag in topics:
                line, col = self.where(tags_path, (tag,), at_key=True)
                self.error(
                    tags_path,
                    line,
                    col,
                    f"tag {tag!r} is a topic; describe it in topics/{tag}.yaml",
                    "tag-is-topic",
                )
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
        # tag -> (the first topic using it, its index there, how many topics use it)
        users: dict[str, tuple[str, int, int]] = {}
        for slug, topic in topics.items():
            for i, tag in enumerate(topic.related):
                first = users.get(tag)
                users[tag] = (slug, i, 1) if first is None else (*first[:2], first[2] + 1)
        for tag, (slug, i, count) in users.items():
            if count == 1 and tag not in topics:
                path = topic_path[slug]
                line, col = self.where(path, ("related", i))
                self.warn(
                    path,
                    line,
                    col,
                    f"tag {tag!r} is used by this topic only; a tag groups several topics",
                    "single-use-tag",
                )
        tags_path = str(self.folder / "tags.yaml")
        for tag in tags:
            if tag not in users and tag not in topics:
                line, col = self.where(tags_path, (tag,), at_key=True)
                self.warn(
                    tags_path,
                    line,
                    col,
                    f"tag {tag!r} is described but no topic uses it",
                    "unused-tag",
                )


def _run(folder: Path, lint: bool = True) -> LoadReport:
    limit = max_file_bytes()
    # Loading builds hundreds of thousands of short-lived objects and frees none of
    # them in cycles; the cyclic collector only adds scans (about 25% of load time).
    enabled = gc.isenabled()
    gc.disable()
    try:
        return _Loader(folder, limit, lint).run()
    finally:
        if enabled:
            gc.enable()


def check(folder: str | os.PathLike | None = None, *, lint: bool = True) -> LoadReport:
    """Load a content folder and report every problem; never raises for bad content.

    With ``lint`` false the text lint (warnings only: fragments, placeholders, orphan
    topics, unused tags) is skipped: a server, which never shows warnings, loads a
    third faster so (docs/performance.md); errors are found all the same.

    >>> report = check()  # the bundled content
    >>> report.ok(strict=True), report.graph is not None
    (True, True)
    """
    return _run(resolve_folder(folder), lint)


def load(folder: str | os.PathLike | None = None, *, strict: bool = False, lint: bool = True):
    """Load a content folder into a TopicGraph; raise ContentError listing every error.

    With no folder, reads $PICKGRAPH_CONTENT or else the bundled ``content/``.
    ``strict`` also refuses lint warnings; ``lint`` false skips the text lint (see
    :func:`check`).
    """
    if strict and not lint:
        raise ValueError("strict refuses lint warnings: it needs lint")
    report = check(folder, lint=lint)
    if not report.ok(strict):
        raise ContentError(report.errors + (report.warnings if strict else []))
    return report.graph
