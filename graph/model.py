"""The content model: topics, comparisons, tags and domains, as strict pydantic models.

The models check the shape of each file (fields, types, slugs, text); checks that
need more than one file (unknown topics, duplicate pairs) live in ``loader``.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
)

from .licenses import check_license

__all__ = [
    "KINDS",
    "NO_PICK",
    "Comparison",
    "ComparisonHead",
    "DomainInfo",
    "Facts",
    "HOSTING",
    "Side",
    "Source",
    "TagInfo",
    "Topic",
    "canonical_slug",
    "check_slug",
]

KINDS = (
    "language",
    "runtime",
    "framework",
    "library",
    "database",
    "tool",
    "platform",
    "service",
    "protocol",
    "standard",
    "concept",
    "methodology",
    "practice",
    "discipline",
    "role",
)
Kind = Literal[KINDS]  # type: ignore[valid-type]

# The value of ``pick`` when neither side wins; reserved, so no topic may use it.
NO_PICK = "none"
SLUG_MAX = 60
_SLUG_RE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_URL_RE = re.compile(r"https?://[^\s/?#]+\.[^\s]*")
_HTTPS_RE = re.compile(r"https://[^\s/?#]+\.[^\s]*")
# Where a topic runs: installed by its users, run for them by a vendor, or either.
HOSTING = ("self-hosted", "managed", "both")
# First releases before this are typos (the oldest topics are from the 1950s).
FIRST_YEAR = 1950


def check_slug(value: str) -> str:
    """Return ``value`` if it is a valid slug, else raise ValueError saying why.

    >>> check_slug("postgresql")
    'postgresql'
    >>> check_slug("postgresql-vs-mysql")
    Traceback (most recent call last):
    ...
    ValueError: 'postgresql-vs-mysql' contains 'vs' as a word, which comparison URLs reserve
    """
    if not _SLUG_RE.fullmatch(value):
        hint = re.sub(r"[^a-z0-9]+", "-", value.lower()).strip("-")
        suggestion = f" (such as {hint!r})" if hint and _SLUG_RE.fullmatch(hint) else ""
        raise ValueError(
            f"{value!r} is not a valid slug: use lower-case letters, digits and single "
            f"hyphens{suggestion}"
        )
    if len(value) > SLUG_MAX:
        raise ValueError(f"slug {value!r} is longer than {SLUG_MAX} characters")
    if "vs" in value.split("-"):
        raise ValueError(f"{value!r} contains 'vs' as a word, which comparison URLs reserve")
    if value == NO_PICK:
        raise ValueError(f"{NO_PICK!r} is reserved for comparisons without a pick")
    return value


def _check_pick(value: str) -> str:
    return value if value == NO_PICK else check_slug(value)


def _iso_date(value):
    # YAML reads 2026-11-02 as a date; a quoted "2026-11-02" is accepted too.
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} is not a real date") from None
    return value


def _url(value: str) -> str:
    value = value.strip()
    if not _URL_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an http:// or https:// URL")
    return value


def _https_url(value: str) -> str:
    value = value.strip()
    if not _HTTPS_RE.fullmatch(value):
        raise ValueError(f"{value!r} is not an absolute https:// URL")
    return value


def _license(value: str) -> str:
    return check_license(value)


Slug = Annotated[str, AfterValidator(check_slug)]
# Checked inside pydantic-core (no Python call per field: the loader validates
# hundreds of thousands of them). The YAML reader turns a blank line into one line
# break, so a line break means a second paragraph; the loader words both errors.
Paragraph = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=1, pattern=r"^[^\n]*$")
]
Line = Paragraph
Url = Annotated[str, AfterValidator(_url)]
HttpsUrl = Annotated[str, AfterValidator(_https_url)]

_STRICT = ConfigDict(strict=True, extra="forbid")


class Facts(BaseModel):
    """Structured facts about a topic, each optional: only what applies to it."""

    model_config = _STRICT

    # An SPDX id from graph/licenses.py, ids joined by OR/AND, or "proprietary".
    license: Annotated[str, AfterValidator(_license)] | None = None
    first_release: Annotated[int, Field(ge=FIRST_YEAR, le=2100)] | None = None
    # The language(s) the reference implementation is written in.
    written_in: list[Line] | None = Field(default=None, min_length=1)
    # Who makes or governs it: a company, a foundation, a community project.
    steward: Line | None = None
    hosting: Literal[HOSTING] | None = None  # type: ignore[valid-type]


class Source(BaseModel):
    """Where a comparison's claims can be checked: documentation, a specification,
    release notes, a pricing page."""

    model_config = _STRICT

    url: HttpsUrl
    title: Line


class Topic(BaseModel):
    """A technology, practice or role that comparisons are about."""

    model_config = _STRICT

    slug: Slug
    name: Line
    kind: Kind
    domain: Slug | None = None
    summary: Paragraph
    related: list[Slug] = Field(min_length=1)
    aliases: list[Slug] = Field(default_factory=list)
    homepage: Url | None = None
    facts: Facts | None = None


class Side(BaseModel):
    """One side of a comparison, written for that pairing."""

    model_config = _STRICT

    topic: Slug
    pros: list[Paragraph] = Field(min_length=1)
    cons: list[Paragraph] = Field(min_length=1)
    choose_if: Paragraph
    summary: Paragraph | None = None


class _Pair:
    """What a comparison's two topics and pick say, for the full model and its head
    (both have ``a.topic``, ``b.topic`` and ``pick``)."""

    __slots__ = ()

    @property
    def slug(self) -> str:
        """The canonical slug: both topic slugs in alphabetical order."""
        return canonical_slug(self.a.topic, self.b.topic)

    @property
    def topics(self) -> tuple[str, str]:
        return (self.a.topic, self.b.topic)

    @property
    def winner(self) -> str | None:
        return None if self.pick == NO_PICK else self.pick

    @property
    def loser(self) -> str | None:
        if self.pick == NO_PICK:
            return None
        return self.b.topic if self.pick == self.a.topic else self.a.topic

    def other(self, topic: str) -> str:
        return self.b.topic if topic == self.a.topic else self.a.topic


class SideHead:
    """One side of a comparison head: its topic only."""

    __slots__ = ("topic",)

    def __init__(self, topic: str):
        self.topic = topic


class ComparisonHead(_Pair):
    """A comparison without its texts: its topics, pick and weight, all that the
    graph's structure needs (a start-up cache reads the texts only when a page asks)."""

    __slots__ = ("a", "b", "pick", "weight")

    def __init__(self, a: str, b: str, pick: str, weight: float):
        self.a, self.b, self.pick, self.weight = SideHead(a), SideHead(b), pick, weight


class Comparison(_Pair, BaseModel):
    """Two topics weighed against each other, with the pick stated once."""

    model_config = _STRICT

    a: Side
    b: Side
    pick: Annotated[str, AfterValidator(_check_pick)]
    no_pick_reason: Paragraph | None = None
    verdict: Paragraph
    bottom_line: Line
    reviewed: Annotated[dt.date, BeforeValidator(_iso_date)]
    weight: float = Field(default=1.0, gt=0, le=1)
    sources: list[Source] = Field(default_factory=list)

    def side(self, topic: str) -> Side:
        if topic == self.a.topic:
            return self.a
        if topic == self.b.topic:
            return self.b
        raise KeyError(topic)


class TagInfo(BaseModel):
    """Display name and description of a tag (``tags.yaml``)."""

    model_config = _STRICT

    name: Line | None = None
    description: Paragraph | None = None


class DomainInfo(BaseModel):
    """A section of the site (``domains.yaml``)."""

    model_config = _STRICT

    name: Line
    description: Paragraph | None = None


def canonical_slug(a: str, b: str) -> str:
    """The one URL slug of the unordered pair {a, b}.

    >>> canonical_slug("postgresql", "mysql")
    'mysql-vs-postgresql'
    """
    first, second = sorted((a, b))
    return f"{first}-vs-{second}"
