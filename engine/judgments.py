"""Reader judgments: graded relevance of suggestions, as a reader of each page sees them.

A judgments file (``eval/judgments.yaml``, format in docs/evaluation.md) lists query
pages (a comparison, a topic or a reader's stack) and, for each, candidate
suggestions pooled from several methods, each graded by the rule: would the reader
of this page plausibly click it next because it bears on the decision they are
making, or the obvious next one? 2 yes, 1 marginal, 0 no.

The file is read like content: every problem is reported at its line and column.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
)

from pickgraph.graph.errors import ContentError, Problem
from pickgraph.graph.messages import validation_problems
from pickgraph.graph.model import Line, Paragraph, Slug
from pickgraph.graph.yamlsource import locate, parse_yaml

__all__ = ["GRADES", "Judgments", "QueryJudgments", "load_judgments"]

GRADES = (0, 1, 2)
PAGES = ("comparison", "topic", "stack")
SETS = ("dev", "test")
# Judged lists of a page: "You might also compare..." and "Related topics".
LISTS = ("comparisons", "topics")

_STRICT = ConfigDict(strict=True, extra="forbid")
# A query names its page: a comparison's slug, a topic's, or "stack-" and its topics.
QueryId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=200)]


def _date(value):
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"{value!r} is not a date written YYYY-MM-DD") from None
    return value


def _as_tuple(value):
    # YAML gives a flow sequence as a list; strict mode takes only a tuple
    return tuple(value) if isinstance(value, list) else value


# One judgment: [slug, grade, note].
Judgment = Annotated[
    tuple[str, Literal[GRADES], Line],  # type: ignore[valid-type]
    BeforeValidator(_as_tuple),
]


class _Query(BaseModel):
    model_config = _STRICT

    id: QueryId
    set: Literal[SETS]  # type: ignore[valid-type]
    page: Literal[PAGES]  # type: ignore[valid-type]
    slug: str | None = None
    topics: list[Slug] | None = Field(default=None, min_length=2, max_length=10)
    judge: Line
    date: Annotated[dt.date, BeforeValidator(_date)]
    comparisons: list[Judgment] = Field(default_factory=list)
    related_topics: list[Judgment] = Field(default_factory=list)


class _File(BaseModel):
    model_config = _STRICT

    rule: Paragraph
    queries: list[_Query] = Field(min_length=1)


@dataclass(frozen=True)
class QueryJudgments:
    """The judged candidates of one query page."""

    id: str
    set: str
    page: str  # comparison | topic | stack
    seeds: tuple[str, ...]  # the page's slug, or the stack's topics
    judge: str
    date: dt.date
    grades: dict[str, dict[str, int]]  # list name -> slug -> grade
    notes: dict[str, dict[str, str]] = field(repr=False)

    def grade(self, list_name: str, slug: str) -> int | None:
        return self.grades[list_name].get(slug)


@dataclass
class Judgments:
    rule: str
    queries: list[QueryJudgments]
    path: Path | None = None

    def of_set(self, *sets: str) -> list[QueryJudgments]:
        return [q for q in self.queries if q.set in sets]

    @property
    def count(self) -> int:
        return sum(len(g) for q in self.queries for g in q.grades.values())


def load_judgments(path: str | Path) -> Judgments:
    """Read and check a judgments file; ContentError lists every problem with its place.

    >>> j = load_judgments(Path(__file__).resolve().parent.parent / "eval" / "judgments.yaml")
    >>> j.count >= 600 and len(j.of_set("test")) >= 40
    True
    """
    path = Path(path)
    shown = str(path)
    parsed = parse_yaml(path.read_bytes(), shown)
    problems = list(parsed.problems)
    if problems:
        raise ContentError(problems)
    try:
        doc = _File.model_validate(parsed.data)
    except ValidationError as exc:
        raise ContentError(validation_problems(exc, parsed, shown, _File, ())) from None
    queries, seen = [], {}
    for i, q in enumerate(doc.queries):

        def problem(loc: tuple, message: str, i=i) -> None:
            line, col = locate(parsed.root, ("queries", i, *loc))
            problems.append(Problem(shown, line, col, message, code="bad-judgment"))

        if q.id in seen:
            problem(("id",), f"query id {q.id!r} is used twice (first at queries[{seen[q.id]}])")
        seen.setdefault(q.id, i)
        if (q.page == "stack") != (q.topics is not None) or (q.slug is None) == (q.topics is None):
            problem(("page",), "a stack gives topics: [...]; a comparison or topic page gives slug")
            continue
        grades: dict[str, dict[str, int]] = {}
        notes: dict[str, dict[str, str]] = {}
        for name, items in (("comparisons", q.comparisons), ("topics", q.related_topics)):
            grades[name], notes[name] = {}, {}
            key = "comparisons" if name == "comparisons" else "related_topics"
            for j, (slug, grade, note) in enumerate(items):
                if slug in grades[name]:
                    problem((key, j), f"{slug!r} is judged twice in this query's {key}")
                grades[name][slug] = grade
                notes[name][slug] = note
        seeds = tuple(q.topics) if q.topics is not None else (q.slug,)
        queries.append(QueryJudgments(q.id, q.set, q.page, seeds, q.judge, q.date, grades, notes))
    if problems:
        raise ContentError(problems)
    return Judgments(doc.rule, queries, path)
