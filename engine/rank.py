"""Rankings from picks: every pick is a directed edge from the loser to the winner.

Two rankings over those edges, per tag or overall: PageRank (a topic ranks high when
it beats topics that themselves win) and Bradley-Terry strengths (the chance model of
who wins a comparison). Each row also carries plain wins and losses.
"""

from __future__ import annotations

import networkx as nx
import numpy as np

from pickgraph.graph import TopicGraph
from pickgraph.graph.errors import BadRequest

__all__ = ["RANK_METHODS", "rankings", "bradley_terry"]

RANK_METHODS = ("pagerank", "bradley-terry")
# Bradley-Terry gives an unbeaten topic infinite strength; one virtual win and one
# virtual loss against an average opponent keep every strength finite.
PRIOR_GAMES = 1.0


def _subset(tg: TopicGraph, tag: str | None) -> list[str]:
    if tag is None:
        return list(tg.topics)
    if tag in tg.topics:
        return sorted({tag, *tg.topics_tagged(tag)})
    return list(tg.tag(tag).topics)


def bradley_terry(
    topics: list[str], games: list[tuple[str, str, float]], iterations: int = 200
) -> dict[str, float]:
    """Bradley-Terry strengths (mean 1) from (winner, loser, weight) games.

    Minorisation-maximisation updates (Hunter, 2004) with PRIOR_GAMES virtual games.

    >>> s = bradley_terry(["a", "b", "c"], [("a", "b", 1), ("b", "c", 1), ("a", "c", 1)])
    >>> s["a"] > s["b"] > s["c"]
    True
    """
    idx = {t: i for i, t in enumerate(topics)}
    n = len(topics)
    wins = np.full(n, PRIOR_GAMES)
    pairs: list[tuple[int, int, float]] = []
    for winner, loser, weight in games:
        wins[idx[winner]] += weight
        pairs.append((idx[winner], idx[loser], weight))
    strength = np.ones(n)
    for _ in range(iterations):
        # the virtual win and loss are two games against an opponent of strength 1
        denom = 2 * PRIOR_GAMES / (strength + 1.0)
        for i, j, w in pairs:
            d = w / (strength[i] + strength[j])
            denom[i] += d
            denom[j] += d
        strength = wins / denom
        strength /= strength.mean()
    return {t: float(strength[idx[t]]) for t in topics}


def rankings(tg: TopicGraph, tag: str | None = None, method: str = "pagerank") -> list[dict]:
    """Topics ranked from the picks among them (all topics, or those of ``tag``).

    >>> from pickgraph import graph
    >>> rows = rankings(graph.load(), tag="relational-databases")
    >>> rows[0]["rank"], rows[0]["wins"] >= rows[-1]["wins"]
    (1, True)
    """
    if method not in RANK_METHODS:
        raise BadRequest(
            f"unknown ranking method {method!r}; expected one of {', '.join(RANK_METHODS)}",
            "method",
        )
    topics = _subset(tg, tag)
    members = set(topics)
    record = {t: {"wins": 0, "losses": 0, "no_pick": 0, "comparisons": 0} for t in topics}
    digraph = nx.DiGraph()
    digraph.add_nodes_from(topics)
    games = []
    for c in tg.comparisons.values():
        a, b = c.a.topic, c.b.topic
        if a not in members or b not in members:
            continue
        record[a]["comparisons"] += 1
        record[b]["comparisons"] += 1
        if c.winner is None:
            record[a]["no_pick"] += 1
            record[b]["no_pick"] += 1
            continue
        record[c.winner]["wins"] += 1
        record[c.loser]["losses"] += 1
        games.append((c.winner, c.loser, c.weight))
        w = digraph.get_edge_data(c.loser, c.winner, {"weight": 0.0})["weight"]
        digraph.add_edge(c.loser, c.winner, weight=w + c.weight)
    pagerank = nx.pagerank(digraph, weight="weight") if topics else {}
    strength = bradley_terry(topics, games) if topics else {}
    primary = pagerank if method == "pagerank" else strength
    order = sorted(
        topics,
        key=lambda t: (-round(primary[t], 12), -(record[t]["wins"] - record[t]["losses"]), t),
    )
    return [
        {
            "rank": i + 1,
            "topic": t,
            "name": tg.topics[t].name,
            "pagerank": round(pagerank[t], 6),
            "strength": round(strength[t], 6),
            **record[t],
        }
        for i, t in enumerate(order)
    ]
