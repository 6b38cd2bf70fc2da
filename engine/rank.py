"""Rankings from picks: every pick is a directed edge from the loser to the winner.

Two rankings over those edges, per tag or overall: PageRank (a topic ranks high when
it beats topics that themselves win) and Bradley-Terry strengths (the chance model of
who wins a comparison). Each row also carries plain wins and losses.
"""

from __future__ import annotations

import numpy as np

from pickgraph.graph import TopicGraph
from pickgraph.graph.errors import BadRequest

__all__ = [
    "RANK_METHODS",
    "SURE",
    "bradley_terry",
    "order_uncertainty",
    "picks_among",
    "rankings",
]

RANK_METHODS = ("pagerank", "bradley-terry")
# Bradley-Terry gives an unbeaten topic infinite strength; one virtual win and one
# virtual loss against an average opponent keep every strength finite.
PRIOR_GAMES = 1.0
ITERATIONS = 200
# Refits of the bootstrap, and the share of them that must keep one topic ahead of
# the next before the page says the two are told apart.
BOOTSTRAP = 400
SURE = 0.9


def _subset(tg: TopicGraph, tag: str | None) -> list[str]:
    if tag is None:
        return list(tg.topics)
    if tag in tg.topics:
        return sorted({tag, *tg.topics_tagged(tag)})
    return list(tg.tag(tag).topics)


def _fit(
    n: int, winners: np.ndarray, losers: np.ndarray, weights: np.ndarray, iterations: int
) -> np.ndarray:
    """Bradley-Terry strengths for every row of ``weights`` (replicates x games) at
    once, by minorisation-maximisation (Hunter, 2004) with PRIOR_GAMES virtual games
    against an opponent of strength 1; each row's strengths have mean 1."""
    reps = weights.shape[0]
    wins = np.full((reps, n), PRIOR_GAMES)
    np.add.at(wins.T, winners, weights.T)
    strength = np.ones((reps, n))
    for _ in range(iterations):
        denom = 2 * PRIOR_GAMES / (strength + 1.0)
        d = weights / (strength[:, winners] + strength[:, losers])
        np.add.at(denom.T, winners, d.T)
        np.add.at(denom.T, losers, d.T)
        strength = wins / denom
        strength /= strength.mean(axis=1, keepdims=True)
    return strength


def _games(topics: list[str], games: list[tuple[str, str, float]]):
    idx = {t: i for i, t in enumerate(topics)}
    winners = np.array([idx[w] for w, _, _ in games], dtype=np.int64)
    losers = np.array([idx[lo] for _, lo, _ in games], dtype=np.int64)
    weights = np.array([w for _, _, w in games], dtype=np.float64)
    return winners, losers, weights


def bradley_terry(
    topics: list[str], games: list[tuple[str, str, float]], iterations: int = ITERATIONS
) -> dict[str, float]:
    """Bradley-Terry strengths (mean 1) from (winner, loser, weight) games.

    >>> s = bradley_terry(["a", "b", "c"], [("a", "b", 1), ("b", "c", 1), ("a", "c", 1)])
    >>> s["a"] > s["b"] > s["c"]
    True
    """
    winners, losers, weights = _games(topics, games)
    strength = _fit(len(topics), winners, losers, weights[None, :], iterations)[0]
    return {t: float(strength[i]) for i, t in enumerate(topics)}


def order_uncertainty(
    topics: list[str],
    games: list[tuple[str, str, float]],
    order: list[str],
    samples: int = BOOTSTRAP,
    seed: int = 0,
) -> dict:
    """How sure the Bradley-Terry ``order`` of ``topics`` is, by the bootstrap:
    ``samples`` times, the games (comparisons) are drawn again with replacement and
    the strengths refitted. For each topic, the range of positions it took in 90% of
    the refits; for each two neighbours in ``order``, the share of refits that keep
    the first ahead (below SURE, the two cannot be told apart). Seeded: the same
    games give the same answer.

    >>> games = [("a", "b", 1)] * 4 + [("b", "c", 1)]
    >>> u = order_uncertainty(["a", "b", "c"], games, ["a", "b", "c"])
    >>> u["ahead"][0] > u["ahead"][1], u["positions"]["a"][0]
    (True, 1)
    """
    n, m = len(topics), len(games)
    if m == 0:
        return {"positions": {t: (1, n) for t in topics}, "ahead": [0.5] * max(0, len(order) - 1)}
    winners, losers, weights = _games(topics, games)
    rng = np.random.default_rng(seed)
    counts = rng.multinomial(m, np.full(m, 1.0 / m), size=samples)
    strength = _fit(n, winners, losers, counts * weights[None, :], ITERATIONS)
    # positions in each refit, ties broken by the order given (fair to neither)
    idx = {t: i for i, t in enumerate(topics)}
    given = np.array([order.index(t) if t in order else n for t in topics])
    keys = np.lexsort((np.broadcast_to(given, strength.shape), -strength), axis=1)
    position = np.empty_like(keys)
    np.put_along_axis(position, keys, np.arange(1, n + 1)[None, :], axis=1)
    lo, hi = np.percentile(position, [5, 95], axis=0, method="nearest")
    ahead = [
        float(np.mean(strength[:, idx[a]] > strength[:, idx[b]]))
        for a, b in zip(order, order[1:], strict=False)
    ]
    return {
        "positions": {t: (int(lo[idx[t]]), int(hi[idx[t]])) for t in topics},
        "ahead": [round(x, 3) for x in ahead],
    }


def picks_among(tg: TopicGraph, topics: list[str]) -> tuple[dict, list[tuple[str, str, float]]]:
    """Each topic's record (wins, losses, no_pick, comparisons) in the comparisons
    among ``topics``, and those comparisons' picks as (winner, loser, weight) games."""
    members = set(topics)
    record = {t: {"wins": 0, "losses": 0, "no_pick": 0, "comparisons": 0} for t in topics}
    games = []
    for c in tg.comparisons_among(members):
        a, b = c.a.topic, c.b.topic
        record[a]["comparisons"] += 1
        record[b]["comparisons"] += 1
        if c.winner is None:
            record[a]["no_pick"] += 1
            record[b]["no_pick"] += 1
            continue
        record[c.winner]["wins"] += 1
        record[c.loser]["losses"] += 1
        games.append((c.winner, c.loser, c.weight))
    return record, games


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
    record, games = picks_among(tg, topics)
    import networkx as nx  # slow to import; a server's start-up never needs it

    digraph = nx.DiGraph()
    digraph.add_nodes_from(topics)
    for winner, loser, weight in games:
        w = digraph.get_edge_data(loser, winner, {"weight": 0.0})["weight"]
        digraph.add_edge(loser, winner, weight=w + weight)
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
