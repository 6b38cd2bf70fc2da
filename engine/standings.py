"""What the picks say about a group of topics: a "best of" list for a tag, and a
side-by-side comparison of a set of 3 to 5 topics.

Both rest on the same evidence, the picks of the comparisons among the group's
topics, and both say how far that evidence goes. A tag's list is the Bradley-Terry
order of ``rank --tag TAG --method bradley-terry``, with each topic's range of
positions over bootstrap refits and, between neighbours, whether the picks tell them
apart at all. A set's order is stated from the picks themselves when they fix one
(every neighbour decided, directly or through a third topic); a cycle, a missing
comparison or a comparison without a pick is named instead of papered over.
"""

from __future__ import annotations

from itertools import combinations

from pickgraph.graph import TopicGraph, canonical_slug
from pickgraph.graph.topicgraph import SET_SIZES

from .core import Engine
from .evidence import join_names
from .gaps import gap
from .rank import SURE, bradley_terry, order_uncertainty, picks_among, rankings

__all__ = ["MIN_BEST", "SET_SIZES", "best_of", "best_tags", "compare_set"]

# A tag gets a "best of" list when at least this many of its topics are compared
# with one another.
MIN_BEST = 3


def _ranked(tg: TopicGraph, tag: str) -> list[dict]:
    """The Bradley-Terry rows of ``tag`` for topics compared within it."""
    return [r for r in rankings(tg, tag, "bradley-terry") if r["comparisons"] > 0]


def best_tags(tg: TopicGraph) -> list[str]:
    """Tags (and topics used as tags) with a "best of" list, in slug order.

    >>> from pickgraph import graph
    >>> "relational-databases" in best_tags(graph.load())
    True
    """
    # one pass over the comparisons: each adds its two topics to every tag both share
    # (a tag at a time would read every comparison once per tag: 35 s at 10k topics,
    # 1,000 tags and 100k comparisons, on the first topic page a worker served)
    tags_of: dict[str, set[str]] = {}
    for slug, tag in tg.tags.items():
        for topic in tag.topics:
            tags_of.setdefault(topic, set()).add(slug)
    inside: dict[str, set[str]] = {}
    for c in tg.heads.values():
        shared = tags_of.get(c.a.topic, set()) & tags_of.get(c.b.topic, set())
        for slug in shared:
            inside.setdefault(slug, set()).update(c.topics)
    return [slug for slug in tg.tags if len(inside.get(slug, ())) >= MIN_BEST]


def _comparison_rows(tg: TopicGraph, topic: str, members: set[str]) -> list[dict]:
    """The comparisons of ``topic`` within ``members``, with how each came out."""
    rows = []
    for c in tg.heads_of(topic):
        other = c.b.topic if c.a.topic == topic else c.a.topic
        if other not in members:
            continue
        outcome = "no pick" if c.winner is None else ("won" if c.winner == topic else "lost")
        rows.append({"comparison": c.slug, "opponent": other, "outcome": outcome})
    return rows


def best_of(tg: TopicGraph, tag: str) -> dict:
    """The "best of" list of ``tag``: positions from picks with their uncertainty.

    >>> from pickgraph import graph
    >>> b = best_of(graph.load(), "relational-databases")
    >>> b["ranked"][0]["position"], b["ranked"][0]["positions"][0]
    (1, 1)
    """
    rows = rankings(tg, tag, "bradley-terry")
    all_topics = [r["topic"] for r in rows]
    _, games = picks_among(tg, all_topics)
    ranked = [r for r in rows if r["comparisons"] > 0]
    order = [r["topic"] for r in ranked]
    sure = order_uncertainty(all_topics, games, order)
    members = set(order)
    out = []
    for i, row in enumerate(ranked):
        ahead = sure["ahead"][i] if i < len(ranked) - 1 else None
        out.append(
            {
                "position": i + 1,
                "topic": row["topic"],
                "strength": row["strength"],
                "wins": row["wins"],
                "losses": row["losses"],
                "no_pick": row["no_pick"],
                "positions": sure["positions"][row["topic"]],
                # how often the refits keep this topic ahead of the next one
                "ahead_of_next": ahead,
                "told_apart": ahead is not None and ahead >= SURE,
                "comparisons": _comparison_rows(tg, row["topic"], members),
            }
        )
    return {
        "tag": tag,
        "ranked": out,
        "unranked": [r["topic"] for r in rows if r["comparisons"] == 0],
        "games": len(games),
        "comparisons": sum(len(r["comparisons"]) for r in out) // 2,
    }


def _pick_order(topics: list[str], games: list[tuple[str, str, float]]) -> dict:
    """Whether the picks alone put ``topics`` in one order, and if not, why not."""
    import networkx as nx  # slow to import; a server's start-up never needs it

    beats = nx.DiGraph()
    beats.add_nodes_from(topics)
    beats.add_edges_from((w, lo) for w, lo, _ in games)
    try:
        cycle = [u for u, _ in nx.find_cycle(beats)]
    except nx.NetworkXNoCycle:
        cycle = []
    if cycle:
        return {"determined": False, "cycle": cycle, "order": None, "undecided": []}
    closure = nx.transitive_closure_dag(beats)
    order = list(nx.lexicographical_topological_sort(beats))
    undecided = [
        (a, b) for a, b in zip(order, order[1:], strict=False) if not closure.has_edge(a, b)
    ]
    return {
        "determined": not undecided,
        "cycle": [],
        "order": order if not undecided else None,
        "undecided": undecided,
    }


def compare_set(engine: Engine, topics: list[str]) -> dict:
    """A side-by-side comparison of 3-5 canonical topic slugs: every pair (its pick,
    or the gap score of a pair not compared yet) and what the picks say about an
    order.

    >>> from pickgraph import graph
    >>> e = Engine(graph.load())
    >>> s = compare_set(e, ["mysql", "postgresql", "sqlite"])
    >>> [p["slug"] for p in s["pairs"]]
    ['mysql-vs-postgresql', 'mysql-vs-sqlite', 'postgresql-vs-sqlite']
    >>> s["order"]["determined"], s["order"]["ranking"][0]["topic"]
    (True, 'postgresql')
    """
    tg = engine.tg
    topics = sorted(topics)
    pairs = []
    for a, b in combinations(topics, 2):
        slug = canonical_slug(a, b)
        c = tg.heads.get(slug)
        if c is None:
            pairs.append(
                {"slug": slug, "topics": [a, b], "compared": False, "gap": gap(engine, a, b)}
            )
        else:
            pairs.append(
                {
                    "slug": slug,
                    "topics": [a, b],
                    "compared": True,
                    "winner": c.winner,
                    "weight": c.weight,
                }
            )
    _, games = picks_among(tg, topics)
    picks = _pick_order(topics, games)
    strength = bradley_terry(topics, games)
    if picks["determined"]:
        order = picks["order"]
    else:  # strongest first; ties by slug
        order = sorted(topics, key=lambda t: (-round(strength[t], 9), t))
    sure = order_uncertainty(topics, games, order)
    ranking = [
        {
            "topic": t,
            "strength": round(strength[t], 6),
            "positions": sure["positions"][t],
            "ahead_of_next": sure["ahead"][i] if i < len(order) - 1 else None,
        }
        for i, t in enumerate(order)
    ]
    return {
        "topics": topics,
        "slug": "-vs-".join(topics),
        "pairs": pairs,
        "order": {**picks, "ranking": ranking, "statement": _statement(tg, topics, pairs, picks)},
    }


def _statement(tg: TopicGraph, topics: list[str], pairs: list[dict], picks: dict) -> str:
    """What the picks say about an order, in plain words."""

    def name(t: str) -> str:
        return tg.topics[t].name

    if picks["cycle"]:
        loop = picks["cycle"] + picks["cycle"][:1]
        chain = ", ".join(
            f"{name(a)} is picked over {name(b)}" for a, b in zip(loop, loop[1:], strict=False)
        )
        return f"The picks go round in a circle ({chain}), so they set no order."
    missing = [p for p in pairs if not p["compared"]]
    if picks["determined"]:
        order = ", ".join(name(t) for t in picks["order"])
        text = f"The picks put them in this order: {order}."
        if missing:
            titles = [" and ".join(name(t) for t in p["topics"]) for p in missing]
            text += (
                f" {join_names(titles)} have not been compared; the other picks settle "
                "the order between them."
            )
        return text
    open_ = [p for p in pairs if p["compared"] and p.get("winner") is None]
    parts = []
    if missing:
        titles = [" and ".join(name(t) for t in p["topics"]) for p in missing]
        parts.append(f"{join_names(titles)} have not been compared")
    if open_:
        titles = [" and ".join(name(t) for t in p["topics"]) for p in open_]
        parts.append(f"no single pick between {join_names(titles)}")
    undecided = [" and ".join(name(t) for t in pair) for pair in picks["undecided"]]
    why = "; ".join(parts) if parts else "the picks are too few"
    return (
        f"The picks do not settle an order ({why}), so {join_names(undecided)} cannot "
        "be told apart from them; the strengths are a model's estimate."
    )
