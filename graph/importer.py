"""Import published plain-text comparison pages into the content format.

Each page becomes a comparison file and, for topics not met before, topic files.
Topics are matched to existing ones (``--content``) and to each other by slug, name
or alias, and merged (their "Related to" tags added), never duplicated. The same pair
from two pages, in either order, is imported once: identical pages are reported as
duplicates, different picks or verdicts as a conflict naming both files. After
writing, the content lint runs over the result and its findings are reported.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import Problem
from .loader import check
from .model import KINDS, NO_PICK, canonical_slug
from .textpage import ParsedPage, ParsedSide, parse_page, slugify

__all__ = ["ImportReport", "PageReport", "import_pages"]

DEFAULT_KIND = "concept"


@dataclass
class PageReport:
    path: str
    title: str = ""
    status: str = "imported"  # imported, skipped, duplicate, conflict
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

    @property
    def imported(self) -> int:
        return sum(1 for p in self.pages if p.status == "imported")

    @property
    def conflicts(self) -> list[PageReport]:
        return [p for p in self.pages if p.status == "conflict"]

    @property
    def ok(self) -> bool:
        return all(p.status in ("imported", "duplicate") for p in self.pages) and not any(
            p.severity == "error" for p in self.lint
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
        }


class _Registry:
    """Topics known so far (existing content and this run), by slug, name and alias."""

    def __init__(self, existing):
        self.topics: dict[str, dict] = {}
        self.changed: set[str] = set()
        self.names: dict[str, str] = {}
        if existing is not None:
            for slug, t in existing.topics.items():
                data = t.model_dump(exclude_none=True)
                if not data.get("aliases"):
                    data.pop("aliases", None)
                self.topics[slug] = data
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
            self.names.get(t, t) if t in self.names and t not in self.topics else t
            for t in side.tags
        ]
        if slug is None:
            slug = slugify(side.name)
            while slug in self.topics:
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
            self.topics[slug] = {
                "slug": slug,
                "name": side.name,
                "kind": kind or DEFAULT_KIND,
                "summary": side.summary or f"{side.name}.",
                "related": [t for t in tags if t != slug],
            }
            if not side.tags:
                report.problems.append((0, f"new topic {side.name!r} has no 'Related to' tags"))
            self._index(slug, side.name)
            self.changed.add(slug)
            return slug
        topic = self.topics[slug]
        added = [t for t in tags if t not in topic["related"] and t != slug]
        if added:
            topic["related"] = list(topic["related"]) + added
            self.changed.add(slug)
        if side.kind in KINDS and topic.get("kind") != side.kind and slug in self.changed:
            topic["kind"] = side.kind
        return slug


def _comparison(page: ParsedPage, sa: str, sb: str, report: PageReport, today: dt.date) -> dict:
    pick = NO_PICK
    if page.pick and not page.no_pick:
        pick = sa if page.pick == page.a.name else sb
    elif not page.no_pick:
        report.problems.append((0, "no pick found (no 'Nice Pick', 'X wins' or 'We picked')"))
    sides = {}
    for key, side, slug in (("a", page.a, sa), ("b", page.b, sb)):
        if not side.choose_if:
            report.problems.append((0, f"no 'Use {side.name} if:' in the verdict"))
        data = {"topic": slug, "pros": side.pros, "cons": side.cons, "choose_if": side.choose_if}
        if side.summary:
            data["summary"] = side.summary
        sides[key] = data
    verdict = page.verdict or page.pick_reason or page.intro
    if pick == NO_PICK:
        bottom, reason = page.intro, page.bottom_line or page.verdict
    else:
        bottom, reason = page.bottom_line or page.intro, None
    out = {"a": sides["a"], "b": sides["b"], "pick": pick}
    if pick == NO_PICK:
        out["no_pick_reason"] = reason or ""
    out.update({"verdict": verdict, "bottom_line": bottom, "reviewed": today})
    return out


def _dump(data: dict) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=88)


def import_pages(
    pages: list[str | Path],
    out: str | Path,
    existing: str | Path | None = None,
    today: dt.date | None = None,
) -> ImportReport:
    """Import ``pages`` into the content folder ``out``; report everything."""
    today = today or dt.date.today()
    out = Path(out)
    existing_tg = None
    if existing is not None:
        found = check(existing)
        if found.graph is None:
            from .errors import ContentError

            raise ContentError(found.errors)
        existing_tg = found.graph
    registry = _Registry(existing_tg)
    report = ImportReport()
    comparisons: dict[str, tuple[str, dict, str]] = {}  # pair -> (file, data, page)
    for path in pages:
        page_report = PageReport(str(path))
        report.pages.append(page_report)
        try:
            raw = Path(path).read_bytes()
        except OSError as exc:
            page_report.status = "skipped"
            page_report.problems.append((0, f"cannot read: {exc.strerror or exc}"))
            continue
        text = raw.decode("utf-8", errors="replace")
        if "\ufffd" in text and b"\xef\xbf\xbd" not in raw:
            page_report.problems.append((0, "not valid UTF-8: undecodable bytes replaced"))
        page = parse_page(text, str(path))
        page_report.problems += page.problems
        if not page.ok:
            page_report.status = "skipped"
            continue
        page_report.title = f"{page.a.name} vs {page.b.name}"
        sa = registry.resolve(page.a, page_report)
        sb = registry.resolve(page.b, page_report)
        if sa == sb:
            page_report.status = "skipped"
            page_report.problems.append((0, f"both sides are the topic {sa!r}"))
            continue
        data = _comparison(page, sa, sb, page_report, today)
        pair = canonical_slug(sa, sb)
        page_report.comparison = pair
        if pair in comparisons:
            first_file, first, first_page = comparisons[pair]
            same = _same_pick(first, data) and first["verdict"] == data["verdict"]
            _clash(page_report, same, f"{first_page} ({first_file})", first["pick"], data["pick"])
            continue
        if existing_tg is not None and pair in existing_tg.comparisons:
            old = existing_tg.comparisons[pair]
            source = existing_tg.sources.get(pair, pair)
            same = (old.winner or NO_PICK) == data["pick"] and old.verdict == data["verdict"]
            _clash(page_report, same, source, old.pick, data["pick"])
            continue
        name = f"{sa}-vs-{sb}.yaml"
        comparisons[pair] = (name, data, str(path))

    (out / "comparisons").mkdir(parents=True, exist_ok=True)
    (out / "topics").mkdir(parents=True, exist_ok=True)
    for name, data, _ in comparisons.values():
        target = out / "comparisons" / name
        target.write_text(_dump(data), encoding="utf-8")
        report.written.append(str(target))
    for slug in sorted(registry.changed):
        target = out / "topics" / f"{slug}.yaml"
        target.write_text(_dump(registry.topics[slug]), encoding="utf-8")
        report.written.append(str(target))
    report.lint = _lint(out, existing, report.written)
    return report


def _same_pick(a: dict, b: dict) -> bool:
    return a["pick"] == b["pick"]


def _clash(report: PageReport, same: bool, other: str, old_pick: str, new_pick: str) -> None:
    if same:
        report.status = "duplicate"
        report.problems.append((0, f"the same comparison as {other}: not imported again"))
    else:
        report.status = "conflict"
        what = "picks differ" if old_pick != new_pick else "verdicts differ"
        report.problems.append(
            (
                0,
                f"conflict with {other}: {what} ({old_pick} / {new_pick}); "
                "not imported, resolve by hand",
            )
        )


def _lint(out: Path, existing, written: list[str]) -> list[Problem]:
    """The loader and lint over existing content overlaid with what was written."""
    with tempfile.TemporaryDirectory() as tmp:
        merged = Path(tmp) / "content"
        if existing is not None:
            shutil.copytree(existing, merged)
        else:
            merged.mkdir()
        for sub in ("topics", "comparisons"):
            (merged / sub).mkdir(exist_ok=True)
        for f in written:
            rel = Path(f).relative_to(out)
            shutil.copy(f, merged / rel)
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
