"""Summary figures of a topic graph: counts and connectivity."""

from __future__ import annotations

from .model import NO_PICK
from .topicgraph import TopicGraph

__all__ = ["stats"]


def stats(tg: TopicGraph) -> dict:
    """Counts, connected components and pick balance of a topic graph.

    ``components`` counts connected components of topics plus tags, joined by
    comparisons and related links; ``largest_component_share`` is the share of those
    nodes in the largest one.

    >>> from pickgraph import graph
    >>> s = stats(graph.load())
    >>> s["components"], s["largest_component_share"]
    (1, 1.0)
    """
    g = tg.graph
    import networkx as nx  # slow to import; a server's start-up never needs it

    components = list(nx.connected_components(g)) if len(g) else []
    largest = max((len(c) for c in components), default=0)
    degrees = [len(tg.comparisons_of(s)) for s in tg.topics]
    picked = [c for c in tg.comparisons.values() if c.pick != NO_PICK]
    first = sum(1 for c in picked if c.pick == c.a.topic)
    return {
        "topics": len(tg.topics),
        "tags": len(tg.tags),
        "comparisons": len(tg.comparisons),
        "domains": len(tg.domains),
        "related_links": sum(len(t.related) for t in tg.topics.values()),
        "components": len(components),
        "largest_component_share": round(largest / len(g), 4) if len(g) else 0.0,
        "topics_without_comparison": sum(1 for d in degrees if d == 0),
        "min_comparisons_per_topic": min(degrees, default=0),
        "mean_comparisons_per_topic": round(sum(degrees) / len(degrees), 3) if degrees else 0.0,
        "no_pick": len(tg.comparisons) - len(picked),
        "pick_first_listed_share": round(first / len(picked), 4) if picked else 0.0,
        "version": tg.version,
    }
