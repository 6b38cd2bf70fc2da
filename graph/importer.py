"""Import published plain-text comparison pages into the content format.

Each page becomes a comparison file and, for topics not met before, topic files.
Topics are matched to existing ones (``--content``) and to each other by slug, name
or alias, and merged (their "Related to" tags added), never duplicated. The same pair
from two pages, in either order, is imported once: identical pages are reported as
duplicates, different picks or verdicts as a conflict naming both files. After
writing, the content lint runs over the result and its findings are reported.

The import never destroys a file. It writes only into ``out``, never into the
``--content`` folder it matches against; a file already in ``out`` is left as it is
unless ``force`` is given, and then what the page says is merged into it (lists
gain the page's new items, every field the page does not give is kept). A file that
would not load (a truncated page) is written as a draft, ``draft: true``, which the
loader leaves out of the site, so an imported folder always loads. Every file is
written atomically.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from .errors import ContentError, PickgraphError, Problem
from .export import write_text
from .loader import (
    check,
    check_comparison_bytes,
    check_topic_bytes,
    max_file_bytes,
    read_limited,
)
from .model import KINDS, NO_PICK, Comparison, Side, Topic, canonical_slug
from .textpage import ParsedPage, ParsedSide, parse_page, slugify
from .yamlsource import parse_yaml

__all__ = ["ImportReport", "ImportRefused", "PageReport", "import_pages"]

DEFAULT_KIND = "concept"
# Pages are a few kB; a "page" past this is not one (and would be read whole).
MAX_PAGE_BYTES = 1 << 20


class ImportRefused(PickgraphError):
    """An import that would write where it must not (into the --content folder)."""


@dataclass
class PageReport:
    path: str
    title: str = ""
    status: str = "imported"  # imported, draft, exists, skipped, duplicate, conflict
    problems: list[tuple[int, str]] = field(default_factory=list)
    comparison: str | None = None

    def lines(self) -> list[str]:
        out = []
        for line, message in self.problems:
            where = f"{self.path}:{line}" if line else self.path
            out.append(f"{where}: {message}")
        return out


@dataclass
class ImportReport:
    pages: list[PageReport] = field(default_factory=list)
    lint: list[Problem] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    drafts: list[str] = field(default_factory=list)  # files written with draft: true
    kept: list[tuple[str, str]] = field(default_factory=list)  # (file in out left as it was, why)

    @property
    def imported(self) -> int:
        return sum(1 for p in self.pages if p.status == "imported")

    @property
    def ok(self) -> bool:
        return (
            all(p.status in ("imported", "duplicate") for p in self.pages)
            and not self.kept
            and not any(p.severity == "error" for p in self.lint)
        )

    def to_dict(self) -> dict:
        return {
            "ok": self.ok,
            "imported": self.imported,
            "pages": [
                {
                    "path": p.path,
                    "title": p.title,
                    "status": p.status,
                    "comparison": p.comparison,
                    "problems": [{"line": n, "message": m} for n, m in p.problems],
                }
                for p in self.pages
            ],
            "lint": [p.to_dict() for p in self.lint],
            "written": self.written,
            "drafts": self.drafts,
            "kept": [{"path": path, "why": why} for path, why in self.kept],
        }


# ---------------------------------------------------------------- topics


class _Registry:
    """Topics known so far (existing content and this run), by slug, name and alias.

    ``base`` holds a topic as it stands (existing content, or the defaults of a new
    one); ``said`` what this run's pages say about it. A topic file is the merge of
    the two, and only ``said`` is merged into a file already in the output folder.
    """

    def __init__(self, existing):
        self.base: dict[str, dict] = {}
        self.said: dict[str, dict] = {}
        self.names: dict[str, str] = {}
        self.new: set[str] = set()  # topics this run creates
        if existing is not None:
            for slug, t in existing.topics.items():
                data = t.model_dump(exclude_none=True)
                if not data.get("aliases"):
                    data.pop("aliases", None)
                self.base[slug] = data
                self._index(slug, t.name, t.aliases)

    def _index(self, slug: str, name: str, aliases=()) -> None:
        for key in (slug, name.lower(), slugify(name), *aliases):
            self.names.setdefault(key, slug)

    def find(self, name: str) -> str | None:
        for key in (name.lower(), slugify(name)):
            if key in self.names:
                return self.names[key]
        return None

    def resolve(self, side: ParsedSide, report: PageReport) -> str:
        slug = self.find(side.name)
        tags = [
            self.names.get(t, t) if t in self.names and t not in self.base else t for t in side.tags
        ]
        if slug is None:
            return self._create(side, tags, report)
        said = self.said.setdefault(slug, {})
        known = self.data(slug).get("related", [])
        added = [t for t in tags if t not in known and t != slug]
        if added:
            said["related"] = said.get("related", []) + added
        if side.kind in KINDS and slug in self.new:
            said["kind"] = side.kind
        return slug

    def _create(self, side: ParsedSide, tags: list[str], report: PageReport) -> str:
        slug = slugify(side.name)
        while slug in self.base:
            slug = f"{slug}-2"
        kind = side.kind if side.kind in KINDS else None
        if kind is None:
            note = (
                f"its kind {side.kind!r} is not a known kind"
                if side.kind
                else "the page does not say what kind of topic it is"
            )
            report.problems.append(
                (0, f"new topic {side.name!r}: {note}; set to {DEFAULT_KIND!r}, check it")
            )
        if not side.tags:
            report.problems.append((0, f"new topic {side.name!r} has no 'Related to' tags"))
        self.base[slug] = {"slug": slug, "kind": DEFAULT_KIND, "summary": f"{side.name}."}
        said = {"name": side.name, "related": [t for t in tags if t != slug]}
        if kind:
            said["kind"] = kind
        if side.summary:
            said["summary"] = side.summary
        self.said[slug] = said
        self.new.add(slug)
        self._index(slug, side.name)
        return slug

    def data(self, slug: str) -> dict:
        """The topic as a new file would hold it."""
        return _merge(self.base[slug], self.said.get(slug, {}))

    def changed(self) -> list[str]:
        return sorted(slug for slug, said in self.said.items() if said)


# ---------------------------------------------------------------- comparisons


def _page_comparison(
    page: ParsedPage, sa: str, sb: str, report: PageReport, today: dt.date
) -> tuple[dict, dict]:
    """(what the page says, defaults for what it does not) of one comparison."""
    said: dict[str, Any] = {}
    if page.pick and not page.no_pick:
        said["pick"] = sa if page.pick == page.a.name else sb
    elif page.no_pick:
        said["pick"] = NO_PICK
    else:
        report.problems.append((0, "no pick found (no 'Nice Pick', 'X wins' or 'We picked')"))
    for key, side, slug in (("a", page.a, sa), ("b", page.b, sb)):
        if not side.choose_if:
            report.problems.append((0, f"no 'Use {side.name} if:' in the verdict"))
        said[key] = _stated(
            topic=slug,
            pros=side.pros,
            cons=side.cons,
            choose_if=side.choose_if,
            summary=side.summary,
        )
    no_pick = said.get("pick", NO_PICK) == NO_PICK
    if no_pick:
        bottom, reason = page.intro, page.bottom_line or page.verdict
    else:
        bottom, reason = page.bottom_line or page.intro, ""
    said.update(
        _stated(
            no_pick_reason=reason if "pick" in said else "",
            verdict=page.verdict or page.pick_reason or page.intro,
            bottom_line=bottom,
        )
    )
    if page.url.startswith("https://"):
        title = f"The published page {page.a.name} vs {page.b.name}, imported here"
        said["sources"] = [{"url": page.url, "title": title}]
    elif page.url:
        report.problems.append((1, f"the page's URL {page.url[:60]!r} is not https://: not kept"))
    defaults = {"pick": NO_PICK, "no_pick_reason": reason, "reviewed": today}
    return said, defaults


def _stated(**fields) -> dict:
    """The fields that have a value (an empty text or list says nothing)."""
    return {k: v for k, v in fields.items() if v}


def _swap_sides(said: dict) -> dict:
    return {**said, "a": said["b"], "b": said["a"]}


def _side_topics(data: dict) -> list[str]:
    sides = (data.get("a"), data.get("b"))
    return [s.get("topic") for s in sides if isinstance(s, dict)]


def _consistent(data: dict, defaults: dict) -> dict:
    """A comparison whose pick and no_pick_reason agree (a merge can mix them)."""
    data = dict(data)
    if data.get("pick", NO_PICK) != NO_PICK:
        data.pop("no_pick_reason", None)
    elif not data.get("no_pick_reason"):
        data["no_pick_reason"] = defaults["no_pick_reason"]
    return data


# ---------------------------------------------------------------- merging


def _key(item) -> Any:
    """What makes two list items the same: a source by its URL, anything else itself."""
    return item.get("url") if isinstance(item, dict) else item


def _merge(old: dict, said: dict) -> dict:
    """``old`` with what ``said`` states: lists gain new items, mappings merge, other
    values are replaced; every field ``said`` does not name is kept."""
    out = dict(old)
    for name, new in said.items():
        mine = old.get(name)
        if isinstance(mine, list) and isinstance(new, list):
            seen = {_key(x) for x in mine}
            out[name] = mine + [x for x in new if _key(x) not in seen]
        elif isinstance(mine, dict) and isinstance(new, dict):
            out[name] = _merge(mine, new)
        else:
            out[name] = new
    return out


def _ordered(data: dict, model) -> dict:
    """Fields in the model's order (unknown ones last), as an editor would write them."""
    fields = list(model.model_fields)
    keys = sorted(data, key=lambda k: fields.index(k) if k in fields else len(fields))
    out = {}
    for k in keys:
        value = data[k]
        side = model is Comparison and k in ("a", "b") and isinstance(value, dict)
        out[k] = _ordered(value, Side) if side else value
    return out


# ---------------------------------------------------------------- writing


@dataclass
class _File:
    """One file the import means to write: the data a new file holds, and what the
    pages said (merged into the file when it already exists and ``force`` is set)."""

    target: Path
    kind: str  # topic or comparison
    new: dict
    said: dict
    page: PageReport | None = None
    defaults: dict = field(default_factory=dict)
    swapped: bool = False  # the existing file lists the sides the other way round


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def _read_existing(path: Path) -> tuple[dict | None, str]:
    """The data of a file already in the output folder, or None and why not."""
    raw, problems = read_limited(str(path), max_file_bytes())
    parsed = parse_yaml(raw, str(path)) if raw is not None else None
    problems = problems or (parsed.problems if parsed else [])
    if problems or parsed is None or not isinstance(parsed.data, dict):
        why = str(problems[0]) if problems else f"{path}: not a mapping of fields"
        return None, why
    return parsed.data, ""


def _draft_reason(path: str, line: int, column: int, message: str) -> Problem:
    return Problem(path, line, column, f"{message} (a draft until fixed)", "warning", "draft")


class _Writer:
    """Decides the text of each file (merged, draft or not) and writes it, or keeps
    the file in place."""

    def __init__(self, report: ImportReport, force: bool):
        self.report = report
        self.force = force
        self.draft_topics: set[str] = set()

    def write(self, f: _File) -> None:
        exists = f.target.exists()
        data = f.new
        if exists and self.force:
            old, why = _read_existing(f.target)
            if old is None:
                self._keep(f, f"cannot merge into it ({why}); left as it is", old)
                return
            old.pop("draft", None)
            data = _merge({**f.defaults, **old}, _swap_sides(f.said) if f.swapped else f.said)
        text, reasons = self._render(f, data)
        same = exists and f.target.read_bytes() == text.encode()
        if exists and not same and not self.force:
            self._keep(f, "exists and differs: not overwritten (--force merges the page into it)")
            return
        if not same:
            write_text(f.target, text)
            self.report.written.append(str(f.target))
        if reasons:
            self._report_draft(f, reasons)

    def _render(self, f: _File, data: dict) -> tuple[str, list[Problem]]:
        """The file's text, with ``draft: true`` on top when it would not load, and
        why not (at the lines of that text)."""
        if f.kind == "comparison":
            data = _consistent(data, f.defaults)
        text = _dump(_ordered(data, Topic if f.kind == "topic" else Comparison))
        check = check_topic_bytes if f.kind == "topic" else check_comparison_bytes
        found = check(text.encode(), str(f.target)).problems
        # draft: true comes first, so each problem is one line lower in the file
        reasons = [
            _draft_reason(p.path, p.line + 1, p.column, p.message)
            for p in found
            if p.severity == "error"
        ]
        if f.kind == "comparison":
            reasons += [
                _draft_reason(str(f.target), 1, 1, f"it compares the draft topic {slug!r}")
                for slug in _side_topics(data)
                if slug in self.draft_topics
            ]
        if not reasons:
            return text, []
        if f.kind == "topic":
            self.draft_topics.add(f.target.stem)
        return "draft: true\n" + text, reasons

    def _report_draft(self, f: _File, reasons: list[Problem]) -> None:
        self.report.drafts.append(str(f.target))
        self.report.lint += reasons
        if f.page is not None:
            f.page.status = "draft"
            f.page.problems.append(
                (
                    0,
                    f"written as a draft, draft: true ({f.target}): it would not load, "
                    "so the site leaves it out until it is finished",
                )
            )

    def _keep(self, f: _File, why: str, old: dict | None = None) -> None:
        """Leave the file in place; a kept topic is a draft if the file says so."""
        self.report.kept.append((str(f.target), why))
        if f.page is not None:
            f.page.status = "exists"
        if f.kind == "topic":
            if old is None:
                old = _read_existing(f.target)[0] or {}
            if old.get("draft") is True:
                self.draft_topics.add(f.target.stem)
            else:
                self.draft_topics.discard(f.target.stem)


# ---------------------------------------------------------------- the import


def _refuse_content_folder(out: Path, existing: str | Path | None) -> None:
    if existing is None:
        return
    content, target = Path(existing).resolve(), out.resolve()
    if target == content or content in target.parents:
        raise ImportRefused(
            f"--out {out} is inside the --content folder {existing}: the import never "
            "writes into the content it matches against; choose another --out"
        )


def _read_page(path: str | Path, report: PageReport) -> ParsedPage | None:
    try:
        raw, problems = read_limited(str(path), MAX_PAGE_BYTES)
    except OSError as exc:
        report.status = "skipped"
        report.problems.append((0, f"cannot read: {exc.strerror or exc}"))
        return None
    if raw is None:
        report.status = "skipped"
        report.problems.append((0, f"a page is at most {MAX_PAGE_BYTES:,} bytes; not read"))
        return None
    text = raw.decode("utf-8", errors="replace")
    if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
        report.problems.append((0, "not valid UTF-8: undecodable bytes replaced"))
    page = parse_page(text, str(path))
    report.problems += page.problems
    if not page.ok:
        report.status = "skipped"
        return None
    report.title = f"{page.a.name} vs {page.b.name}"
    return page


def _target(out: Path, sa: str, sb: str) -> tuple[Path, bool]:
    """The comparison's file in ``out``: an existing one in either order, else a-vs-b."""
    folder = out / "comparisons"
    reverse = folder / f"{sb}-vs-{sa}.yaml"
    if reverse.exists():
        return reverse, True
    return folder / f"{sa}-vs-{sb}.yaml", False


def import_pages(
    pages: list[str | Path],
    out: str | Path,
    existing: str | Path | None = None,
    today: dt.date | None = None,
    force: bool = False,
) -> ImportReport:
    """Import ``pages`` into the content folder ``out``; report everything.

    ``existing`` is content to match topics and pairs against, never written to.
    A file already in ``out`` is kept as it is unless ``force``; then the page is
    merged into it.
    """
    today = today or dt.date.today()
    out = Path(out)
    _refuse_content_folder(out, existing)
    existing_tg = None
    if existing is not None:
        found = check(existing)
        if found.graph is None:
            raise ContentError(found.errors)
        existing_tg = found.graph
    registry = _Registry(existing_tg)
    report = ImportReport()
    comparisons: dict[str, _File] = {}  # pair -> file
    for path in pages:
        page_report = PageReport(str(path))
        report.pages.append(page_report)
        page = _read_page(path, page_report)
        if page is None:
            continue
        sa = registry.resolve(page.a, page_report)
        sb = registry.resolve(page.b, page_report)
        if sa == sb:
            page_report.status = "skipped"
            page_report.problems.append((0, f"both sides are the topic {sa!r}"))
            continue
        said, defaults = _page_comparison(page, sa, sb, page_report, today)
        data = _merge(defaults, said)
        pair = canonical_slug(sa, sb)
        page_report.comparison = pair
        if pair in comparisons:
            first = comparisons[pair]
            same = _same(first.new, data)
            _clash(page_report, same, f"{first.page.path} ({first.target.name})", first.new, data)
            continue
        if existing_tg is not None and pair in existing_tg.comparisons:
            old = existing_tg.comparisons[pair]
            source = existing_tg.sources.get(pair, pair)
            old_data = {"pick": old.winner or NO_PICK, "verdict": old.verdict}
            _clash(page_report, _same(old_data, data), source, old_data, data)
            continue
        target, swapped = _target(out, sa, sb)
        comparisons[pair] = _File(target, "comparison", data, said, page_report, defaults, swapped)

    (out / "comparisons").mkdir(parents=True, exist_ok=True)
    (out / "topics").mkdir(parents=True, exist_ok=True)
    writer = _Writer(report, force)
    # Topics first: a comparison naming a draft topic is a draft too.
    for slug in registry.changed():
        target = out / "topics" / f"{slug}.yaml"
        writer.write(_File(target, "topic", registry.data(slug), registry.said[slug]))
    for f in comparisons.values():
        writer.write(f)
    report.lint += _lint(out, existing, report.written)
    return report


def _same(a: dict, b: dict) -> bool:
    return a["pick"] == b["pick"] and a.get("verdict") == b.get("verdict")


def _clash(report: PageReport, same: bool, other: str, old: dict, new: dict) -> None:
    if same:
        report.status = "duplicate"
        report.problems.append((0, f"the same comparison as {other}: not imported again"))
        return
    report.status = "conflict"
    what = "picks differ" if old["pick"] != new["pick"] else "verdicts differ"
    report.problems.append(
        (
            0,
            f"conflict with {other}: {what} ({old['pick']} / {new['pick']}); "
            "not imported, resolve by hand",
        )
    )


def _lint(out: Path, existing, written: list[str]) -> list[Problem]:
    """The loader and lint over existing content overlaid with the output folder,
    reported for the files this import wrote."""
    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / "content"
        if existing is not None:
            shutil.copytree(existing, merged)
        else:
            merged.mkdir()
        for sub in ("topics", "comparisons"):
            (merged / sub).mkdir(exist_ok=True)
            for f in sorted((out / sub).glob("*.yaml")):
                shutil.copy(f, merged / sub / f.name)
        for name in ("tags.yaml", "domains.yaml"):
            if (out / name).exists() and not (merged / name).exists():
                shutil.copy(out / name, merged / name)
        result = check(merged)
        mine = {str(Path(f).relative_to(out)) for f in written}
        problems = []
        for p in result.problems:
            try:
                rel = str(Path(p.path).relative_to(result.folder))
            except ValueError:
                continue
            if rel in mine:
                problems.append(
                    Problem(str(out / rel), p.line, p.column, p.message, p.severity, p.code)
                )
        return problems
