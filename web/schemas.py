"""The JSON surface: one pydantic model per entity and per response body.

The serialisers in ``serialize.py`` build these models, the API and the pages' JSON twins
return them (``model_dump(mode="json")``), and ``openapi.py`` generates the document's
schemas from them, so the document cannot drift from what the code returns.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from pickgraph.engine.evidence import EVIDENCE_KINDS

__all__ = [
    "BestEntity",
    "ComparisonBody",
    "ComparisonEntity",
    "ErrorBody",
    "GapsBody",
    "HealthBody",
    "NeighbourhoodBody",
    "PingBody",
    "RankingsBody",
    "SearchBody",
    "SetBody",
    "SetEntity",
    "SuggestionsBody",
    "TopicBody",
    "TopicEntity",
]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _absent_when_none(value) -> bool:
    return value is None


def Optional(description: str | None = None):  # noqa: N802 - reads as a type in a model
    """A field left out of the JSON (not written as null) when it has no value."""
    return Field(default=None, description=description, exclude_if=_absent_when_none)


# ---------------------------------------------------------------- shared pieces
class TagRef(Model):
    """A tag, or a topic used as a tag (then ``url`` is the topic's page)."""

    slug: str
    name: str
    url: str
    is_topic: bool


class Source(Model):
    url: str = Field(description="an https address where the claims can be checked")
    title: str


class FactRow(Model):
    """One fact side by side: the values of the two sides (null: not known)."""

    fact: Literal["license", "first_release", "written_in", "steward", "hosting"]
    label: str
    values: list[str | None] = Field(min_length=2, max_length=2)


class FactValue(Model):
    fact: Literal["license", "first_release", "written_in", "steward", "hosting"]
    label: str
    value: str


class Record(Model):
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    no_pick: int = Field(ge=0)


class Evidence(Model):
    kind: Literal[EVIDENCE_KINDS]  # a tuple inside Literal[] lists each of its values
    text: str


class SuggestionItem(Model):
    kind: Literal["comparison", "topic"]
    slug: str
    title: str
    score: float = Field(description="for the default method, P(the reader clicks it)")
    reasons: list[str] = Field(min_length=1, description="the evidence's texts (v1 clients)")
    evidence: list[Evidence] = Field(min_length=1, description="why, strongest first")
    topics: list[str]
    url: str
    serves: list[str] | None = Optional("on a stack: the stack's topics it serves")


class Notes(Model):
    comparisons: str | None = Field(description="why the comparisons list is short, if it is")
    topics: str | None = Field(description="why the topics list is short, if it is")


class Query(Model):
    type: Literal["comparison", "topic", "topics"]
    slug: str | None = Optional("the page's canonical slug (not for a stack)")
    topics: list[str]


# ---------------------------------------------------------------- entities
class Side(Model):
    topic: str
    name: str
    kind: str
    url: str
    summary: str
    pros: list[str] = Field(min_length=1)
    cons: list[str] = Field(min_length=1)
    choose_if: str
    is_pick: bool


class ComparisonEntity(Model):
    """A comparison as every JSON surface gives it."""

    slug: str = Field(description="the canonical slug of the pair")
    url: str
    title: str
    pick: str | None = Field(description="the winning topic, or null")
    pick_name: str | None
    no_pick_reason: str | None
    verdict: str
    bottom_line: str
    reviewed: str = Field(json_schema_extra={"format": "date"})
    weight: float = Field(gt=0, le=1)
    sides: list[Side] = Field(min_length=2, max_length=2)
    tags: list[TagRef]
    facts: list[FactRow]
    sources: list[Source]


class TopicComparison(Model):
    slug: str
    url: str
    title: str
    other: str
    other_name: str
    result: Literal["win", "loss", "no pick"]
    bottom_line: str


class TopicEntity(Model):
    """A topic as every JSON surface gives it."""

    slug: str
    url: str
    name: str
    kind: str
    domain: str | None
    summary: str
    aliases: list[str]
    homepage: str | None
    tags: list[TagRef]
    record: Record
    facts: list[FactValue]
    comparisons: list[TopicComparison]


class ChooseIf(Model):
    """A topic's "choose it if" line from its comparison with ``against``."""

    comparison: str
    url: str
    against: str
    against_name: str
    text: str


class SetTopic(Model):
    slug: str
    name: str
    url: str
    kind: str
    summary: str
    facts: list[FactValue]
    choose_if: list[ChooseIf]


class SetPair(Model):
    """One pair of a set: its comparison's pick, or the gap score of a pair that has
    not been compared yet (how strongly the graph suggests writing it)."""

    slug: str
    topics: list[str]
    title: str
    compared: bool
    url: str | None = Optional("the pair's page, when it has been compared")
    winner: str | None = Optional("the pick of the pair, when it has one")
    gap_score: float | None = Optional("for a pair not compared yet")
    gap_reasons: list[str] | None = Optional("why the pair would be worth writing")


class Place(Model):
    """A topic's place in an order from picks, with the uncertainty of a bootstrap
    over the picks: the positions it took in 90% of refits, and how often it stayed
    ahead of the next topic."""

    topic: str
    name: str
    url: str
    strength: float = Field(description="Bradley-Terry strength (mean 1 over the group)")
    positions: list[int] = Field(min_length=2, max_length=2)
    ahead_of_next: float | None = Optional("share of refits keeping it ahead of the next")


class SetOrder(Model):
    determined: bool = Field(description="whether the picks alone fix one order")
    statement: str = Field(description="what the picks say about an order, in plain words")
    cycle: list[str] = Field(description="topics whose picks go round in a circle, if any")
    ranking: list[Place]


class SetEntity(Model):
    """A side-by-side comparison of 3 to 5 topics."""

    slug: str
    url: str
    title: str
    topics: list[SetTopic]
    pairs: list[SetPair]
    order: SetOrder
    best: list[TagRef] = Field(description="'best of' lists the set's topics share")


class BestGame(Model):
    comparison: str
    url: str
    opponent: str
    opponent_name: str
    outcome: Literal["won", "lost", "no pick"]


class BestPlace(Place):
    position: int = Field(ge=1)
    wins: int = Field(ge=0)
    losses: int = Field(ge=0)
    no_pick: int = Field(ge=0)
    told_apart: bool = Field(description="whether the picks set it apart from the next")
    comparisons: list[BestGame]


class BestEntity(Model):
    """A tag's "best of" list: its topics ordered from the picks among them."""

    tag: str
    name: str
    url: str
    tag_url: str
    method: str
    comparisons: int
    ranked: list[BestPlace]
    unranked: list[TagRef] = Field(description="topics of the tag not compared within it")


# ---------------------------------------------------------------- API bodies
class ComparisonBody(ComparisonEntity):
    ok: Literal[True] = True
    requested: str = Field(description="the slug as asked for")


class SetBody(SetEntity):
    ok: Literal[True] = True
    requested: str = Field(description="the slug as asked for")


class TopicBody(TopicEntity):
    ok: Literal[True] = True
    requested: str


class Impressions(Model):
    comparisons: str | None = Field(
        description="signed token of the comparisons list as shown; a click on one of "
        "its items is sent with it to POST /api/v1/events"
    )
    topics: str | None = Field(description="signed token of the topics list as shown")


class SuggestionsBody(Model):
    ok: Literal[True] = True
    query: Query
    impressions: Impressions
    method: str
    comparisons: list[SuggestionItem]
    topics: list[SuggestionItem]
    notes: Notes


class ClickEvent(Model):
    type: Literal["click"]
    impression: str = Field(
        max_length=4096, description="the `impressions` token of the list the item was in"
    )
    to: str = Field(max_length=300, description="the slug of the suggestion clicked")


class VoteEvent(Model):
    type: Literal["vote"]
    comparison: str = Field(max_length=300, description="the comparison's canonical slug")
    agree: bool = Field(description="whether the reader agrees with its pick")
    comment: str | None = Optional("why, in at most 500 characters")


class EventAccepted(Model):
    ok: Literal[True] = True
    recorded: bool = Field(
        description="false when the event was known already (sent again) or came from a "
        "crawler; either way nothing more is to be done"
    )
    reason: str | None = Optional("why it was not recorded")


class Gap(Model):
    slug: str
    topics: list[str] = Field(min_length=2, max_length=2)
    title: str
    score: float
    reasons: list[str] = Field(min_length=1)


class GapsBody(Model):
    ok: Literal[True] = True
    tag: str | None
    gaps: list[Gap]


class Ranking(Model):
    rank: int = Field(ge=1)
    topic: str
    name: str
    pagerank: float
    strength: float
    wins: int
    losses: int
    no_pick: int
    comparisons: int
    url: str


class RankingsBody(Model):
    ok: Literal[True] = True
    tag: str | None
    method: Literal["pagerank", "bradley-terry"]
    rankings: list[Ranking]


class SearchHit(Model):
    kind: Literal["topic", "comparison", "set", "tag"] = Field(
        description="a set (3-5 topics side by side) is listed among the comparisons"
    )
    slug: str
    title: str
    detail: str
    score: float
    url: str


class SearchBody(Model):
    ok: Literal[True] = True
    query: str
    topics: list[SearchHit]
    comparisons: list[SearchHit]
    tags: list[SearchHit]


class GraphNode(Model):
    id: str
    label: str
    type: Literal["topic", "tag"]
    url: str
    center: bool
    ring: int = Field(ge=0, le=2, description="0 the topic, 1 compared with it, 2 others")
    kind: str | None = Optional("a topic's kind")


class GraphEdge(Model):
    id: str
    kind: Literal["comparison", "related"]
    source: str
    target: str
    winner: str | None
    url: str | None = Optional("a comparison's page")
    label: str | None = Optional("a comparison's title")


class NeighbourhoodBody(Model):
    ok: Literal[True] = True
    topic: str
    name: str
    nodes: list[GraphNode]
    edges: list[GraphEdge]


class HealthBody(Model):
    ok: Literal[True] = True
    version: str = Field(description="a hash of the content served")
    loaded_at: str
    build_seconds: float
    from_cache: bool
    index: Literal["precomputed", "on demand"] = Field(
        description="whether pages' suggestions come from the precomputed index or are "
        "computed on each page's first request (a large content's cold start serves "
        "so while the index is built in the background)"
    )
    topics: int
    comparisons: int
    tags: int
    domains: int


class PingBody(Model):
    ok: Literal[True] = True


class Candidate(Model):
    slug: str
    title: str
    url: str
    kind: str | None = Optional()


class ErrorBody(Model):
    """Every error, from every route: one shape."""

    ok: Literal[False] = False
    error: str = Field(description="what went wrong, for a person")
    status: int
    parameter: str | None = Optional("the parameter at fault")
    kind: str | None = Optional("what kind of thing the slug should have named")
    slug: str | None = Optional("the slug that named nothing")
    candidates: list[Candidate] | None = Optional("did you mean")
