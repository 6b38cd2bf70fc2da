"""Each entity serialised once: the API and the pages' JSON twins both call these.

Every function takes the SiteState and canonical slugs and returns a model of
``schemas.py``; ``dump`` turns it into the JSON-ready dict a response carries.
"""

from __future__ import annotations

from flask import current_app, has_app_context
from pydantic import BaseModel

from pickgraph.engine.standings import compare_set
from pickgraph.engine.suggest import Suggestion, Suggestions
from pickgraph.graph.textpage import first_sentence

from . import schemas
from .state import SiteState
from .urls import best_url, comparison_url, entity_url, tag_url, topic_url

__all__ = [
    "BEST_METHOD",
    "FACT_LABELS",
    "best_entity",
    "comparison_entity",
    "dump",
    "fact_values",
    "suggestion_item",
    "suggestions_body",
    "tag_ref",
    "set_entity",
    "topic_entity",
]

# Facts of a topic, in the order the pages show them, with their labels.
FACT_LABELS = (
    ("license", "Licence"),
    ("first_release", "First release"),
    ("written_in", "Written in"),
    ("steward", "Steward"),
    ("hosting", "Hosting"),
)
# How a "best of" list is made, in plain words (the page and its JSON say it).
BEST_METHOD = (
    "Each comparison among these topics that has a pick counts as one game won by the "
    "pick. A Bradley-Terry model turns the games into strengths, so beating a strong "
    "topic counts for more than beating a weak one, and one virtual win and loss each "
    "keep an unbeaten topic from running off. To show how sure the order is, the "
    "games are drawn again at random 400 times and the model refitted: each topic's "
    "positions are those it took in 90% of the refits, and two neighbours are told "
    "apart only when at least 90% of the refits keep them in this order."
)
_HOSTING = {
    "self-hosted": "Self-hosted",
    "managed": "Managed service",
    "both": "Self-hosted or managed",
}


def dump(model: BaseModel, **extra) -> dict:
    """The model as a JSON-ready dict, page-level fields (``extra``) merged in."""
    return {**model.model_dump(mode="json"), **extra}


def fact_values(topic) -> dict[str, str]:
    """A topic's facts as display text, only those it has."""
    facts = topic.facts
    if facts is None:
        return {}
    out = {}
    for name, _ in FACT_LABELS:
        value = getattr(facts, name)
        if value is None:
            continue
        if name == "written_in":
            value = ", ".join(value)
        elif name == "hosting":
            value = _HOSTING[value]
        elif name == "license" and value == "proprietary":
            value = "Proprietary"
        out[name] = str(value)
    return out


def tag_ref(state: SiteState, slug: str) -> schemas.TagRef:
    tg = state.tg
    name = tg.topics[slug].name if slug in tg.topics else tg.tags[slug].name
    return schemas.TagRef(slug=slug, name=name, url=tag_url(tg, slug), is_topic=slug in tg.topics)


def comparison_entity(state: SiteState, slug: str) -> schemas.ComparisonEntity:
    tg = state.tg
    c = tg.comparisons[slug]
    sides = sorted((c.a, c.b), key=lambda s: s.topic)
    tags: list[str] = []
    for side in sides:
        for t in tg.topics[side.topic].related:
            if t not in tags and t not in c.topics:
                tags.append(t)
    values = [fact_values(tg.topics[s.topic]) for s in sides]
    return schemas.ComparisonEntity(
        slug=slug,
        url=comparison_url(slug),
        title=tg.title(slug),
        pick=c.winner,
        pick_name=tg.topics[c.winner].name if c.winner else None,
        no_pick_reason=c.no_pick_reason,
        verdict=c.verdict,
        bottom_line=c.bottom_line,
        reviewed=c.reviewed.isoformat(),
        weight=c.weight,
        sides=[
            schemas.Side(
                topic=s.topic,
                name=tg.topics[s.topic].name,
                kind=tg.topics[s.topic].kind,
                url=topic_url(s.topic),
                summary=s.summary or first_sentence(tg.topics[s.topic].summary),
                pros=list(s.pros),
                cons=list(s.cons),
                choose_if=s.choose_if,
                is_pick=s.topic == c.winner,
            )
            for s in sides
        ],
        tags=[tag_ref(state, t) for t in tags],
        facts=[
            schemas.FactRow(fact=name, label=label, values=[v.get(name) for v in values])
            for name, label in FACT_LABELS
            if any(name in v for v in values)
        ],
        sources=[schemas.Source(url=src.url, title=src.title) for src in c.sources],
    )


def topic_entity(state: SiteState, slug: str) -> schemas.TopicEntity:
    tg = state.tg
    t = tg.topics[slug]
    comparisons = []
    for c in tg.comparisons_of(slug):
        other = c.other(slug)
        result = "no pick" if c.winner is None else ("win" if c.winner == slug else "loss")
        comparisons.append(
            schemas.TopicComparison(
                slug=c.slug,
                url=comparison_url(c.slug),
                title=tg.title(c.slug),
                other=other,
                other_name=tg.topics[other].name,
                result=result,
                bottom_line=c.bottom_line,
            )
        )
    values = fact_values(t)
    return schemas.TopicEntity(
        slug=slug,
        url=topic_url(slug),
        name=t.name,
        kind=t.kind,
        domain=t.domain,
        summary=t.summary,
        aliases=list(t.aliases),
        homepage=t.homepage,
        tags=[tag_ref(state, x) for x in t.related],
        record=schemas.Record(**tg.record(slug)),
        facts=[
            schemas.FactValue(fact=name, label=label, value=values[name])
            for name, label in FACT_LABELS
            if name in values
        ],
        comparisons=comparisons,
    )


def _place(tg, topic: str, strength: float, positions, ahead) -> dict:
    return {
        "topic": topic,
        "name": tg.topics[topic].name,
        "url": topic_url(topic),
        "strength": strength,
        "positions": list(positions),
        "ahead_of_next": ahead,
    }


def set_entity(state: SiteState, slug: str) -> schemas.SetEntity:
    """A set of 3-5 topics (canonical ``a-vs-b-vs-c``) side by side."""
    tg = state.tg
    found = compare_set(state.recommender.engine, slug.split("-vs-"))
    members = set(found["topics"])
    among = [tg.comparisons[h.slug] for h in tg.comparisons_among(members)]
    topics = []
    for t in found["topics"]:
        values = fact_values(tg.topics[t])
        lines = []
        for c in among:
            if t in c.topics:
                other = c.other(t)
                side = c.a if c.a.topic == t else c.b
                lines.append(
                    schemas.ChooseIf(
                        comparison=c.slug,
                        url=comparison_url(c.slug),
                        against=other,
                        against_name=tg.topics[other].name,
                        text=side.choose_if,
                    )
                )
        topics.append(
            schemas.SetTopic(
                slug=t,
                name=tg.topics[t].name,
                url=topic_url(t),
                kind=tg.topics[t].kind,
                summary=first_sentence(tg.topics[t].summary),
                facts=[
                    schemas.FactValue(fact=name, label=label, value=values[name])
                    for name, label in FACT_LABELS
                    if name in values
                ],
                choose_if=lines,
            )
        )
    pairs = [
        schemas.SetPair(
            slug=p["slug"],
            topics=p["topics"],
            title=" vs ".join(tg.topics[t].name for t in p["topics"]),
            compared=p["compared"],
            url=comparison_url(p["slug"]) if p["compared"] else None,
            winner=p.get("winner"),
            gap_score=p["gap"]["score"] if not p["compared"] else None,
            gap_reasons=p["gap"]["reasons"] if not p["compared"] else None,
        )
        for p in found["pairs"]
    ]
    order = found["order"]
    shared = set.intersection(*(set(tg.topics[t].related) for t in found["topics"]))
    return schemas.SetEntity(
        slug=slug,
        url=comparison_url(slug),
        title=tg.set_title(slug),
        topics=topics,
        pairs=pairs,
        order=schemas.SetOrder(
            determined=order["determined"],
            statement=order["statement"],
            cycle=order["cycle"],
            ranking=[
                schemas.Place(
                    **_place(tg, r["topic"], r["strength"], r["positions"], r["ahead_of_next"])
                )
                for r in order["ranking"]
            ],
        ),
        best=[tag_ref(state, t) for t in sorted(shared) if t in state.best_tags],
    )


def best_entity(state: SiteState, tag: str) -> schemas.BestEntity:
    """A tag's "best of" list (``tag`` must be one of ``state.best_tags``)."""
    tg = state.tg
    found = state.best(tag)
    ranked = []
    for r in found["ranked"]:
        games = [
            schemas.BestGame(
                comparison=g["comparison"],
                url=comparison_url(g["comparison"]),
                opponent=g["opponent"],
                opponent_name=tg.topics[g["opponent"]].name,
                outcome=g["outcome"],
            )
            for g in r["comparisons"]
        ]
        place = _place(tg, r["topic"], r["strength"], r["positions"], r["ahead_of_next"])
        ranked.append(
            schemas.BestPlace(
                **place,
                position=r["position"],
                wins=r["wins"],
                losses=r["losses"],
                no_pick=r["no_pick"],
                told_apart=r["told_apart"],
                comparisons=games,
            )
        )
    return schemas.BestEntity(
        tag=tag,
        name=tg.tags[tag].name,
        url=best_url(tag),
        tag_url=tag_url(tg, tag),
        method=BEST_METHOD,
        comparisons=found["comparisons"],
        ranked=ranked,
        unranked=[tag_ref(state, t) for t in found["unranked"]],
    )


def suggestion_item(state: SiteState, s: Suggestion) -> schemas.SuggestionItem:
    return schemas.SuggestionItem(
        kind=s.kind,
        slug=s.slug,
        title=s.title,
        score=s.score,
        reasons=list(s.reasons),
        evidence=[schemas.Evidence(kind=e.kind, text=e.text) for e in s.evidence],
        topics=list(s.topics),
        url=entity_url(state.tg, s.kind, s.slug),
        serves=list(s.serves) if s.serves else None,
    )


def suggestions_body(state: SiteState, s: Suggestions) -> schemas.SuggestionsBody:
    """A page's or the API's suggestion lists as this window shows them (reader
    feedback applied, ``feedback.Feedback.shape``), each with its impression token."""
    notes = s.to_dict()["notes"]
    if has_app_context():
        s, tokens = current_app.extensions["pickgraph"].feedback.shape(state, s)
    else:
        tokens = {"comparisons": None, "topics": None}
    return schemas.SuggestionsBody(
        impressions=schemas.Impressions(**tokens),
        query=schemas.Query(**s.query),
        method=s.method,
        comparisons=[suggestion_item(state, x) for x in s.comparisons],
        topics=[suggestion_item(state, x) for x in s.topics],
        notes=schemas.Notes(**notes),
    )
