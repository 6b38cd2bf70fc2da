"""The topic graph as pandas DataFrames, one per table, for analysts."""

from __future__ import annotations

from typing import NamedTuple

import pandas as pd

from .topicgraph import TopicGraph

__all__ = ["Frames", "to_frames"]


class Frames(NamedTuple):
    """The four tables: topics, tags, comparisons and related (topic -> tag) edges."""

    topics: pd.DataFrame
    tags: pd.DataFrame
    comparisons: pd.DataFrame
    related: pd.DataFrame


def to_frames(tg: TopicGraph) -> Frames:
    """Build the four DataFrames of a TopicGraph.

    >>> from pickgraph import graph
    >>> f = graph.frames()
    >>> list(f.comparisons.columns[:5])
    ['slug', 'a', 'b', 'pick', 'winner']
    >>> bool((f.topics["comparisons"] >= 1).all())
    True
    """
    degree = tg.graph.degree()
    topics = pd.DataFrame(
        [
            {
                "slug": s,
                "name": t.name,
                "kind": t.kind,
                "domain": t.domain,
                "summary": t.summary,
                "related": list(t.related),
                "aliases": list(t.aliases),
                "homepage": t.homepage,
                "comparisons": len(tg.comparisons_of(s)),
                **tg.record(s),
                "degree": degree[s],
            }
            for s, t in tg.topics.items()
        ],
        columns=[
            "slug",
            "name",
            "kind",
            "domain",
            "summary",
            "related",
            "aliases",
            "homepage",
            "comparisons",
            "wins",
            "losses",
            "no_pick",
            "degree",
        ],
    )
    tags = pd.DataFrame(
        [
            {
                "slug": s,
                "name": t.name,
                "description": t.description,
                "topics": len(t.topics),
            }
            for s, t in tg.tags.items()
        ],
        columns=["slug", "name", "description", "topics"],
    )
    rows = []
    for slug, c in tg.comparisons.items():
        rows.append(
            {
                "slug": slug,
                "a": c.a.topic,
                "b": c.b.topic,
                "pick": c.pick,
                "winner": c.winner,
                "loser": c.loser,
                "weight": c.weight,
                "reviewed": pd.Timestamp(c.reviewed),
                "verdict": c.verdict,
                "bottom_line": c.bottom_line,
                "no_pick_reason": c.no_pick_reason,
                "a_pros": list(c.a.pros),
                "a_cons": list(c.a.cons),
                "a_choose_if": c.a.choose_if,
                "b_pros": list(c.b.pros),
                "b_cons": list(c.b.cons),
                "b_choose_if": c.b.choose_if,
            }
        )
    comparisons = pd.DataFrame(
        rows,
        columns=[
            "slug",
            "a",
            "b",
            "pick",
            "winner",
            "loser",
            "weight",
            "reviewed",
            "verdict",
            "bottom_line",
            "no_pick_reason",
            "a_pros",
            "a_cons",
            "a_choose_if",
            "b_pros",
            "b_cons",
            "b_choose_if",
        ],
    )
    related = pd.DataFrame(
        [
            {"topic": s, "tag": tag, "tag_is_topic": tag in tg.topics}
            for s, t in tg.topics.items()
            for tag in t.related
        ],
        columns=["topic", "tag", "tag_is_topic"],
    )
    return Frames(topics, tags, comparisons, related)
