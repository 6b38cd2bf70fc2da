"""Write the topic graph as GraphML, GEXF, node-link JSON or CSV tables.

GraphML and GEXF hold only scalar attributes, so list-valued attributes (aliases,
pros, cons) are written as JSON text; ``read_graph`` turns them back into lists.
"""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx

from .topicgraph import TopicGraph

__all__ = ["FORMATS", "LIST_ATTRIBUTES", "export", "read_graph"]

FORMATS = ("graphml", "gexf", "json", "csv")
LIST_ATTRIBUTES = frozenset({"aliases", "a_pros", "a_cons", "b_pros", "b_cons"})
# Attributes GEXF readers add on their own (labels and edge ids).
_GEXF_ADDED = ("label", "id")


def _scalar_copy(g: nx.Graph) -> nx.Graph:
    out = nx.Graph(**g.graph)
    for n, attrs in g.nodes(data=True):
        out.add_node(
            n, **{k: json.dumps(v) if k in LIST_ATTRIBUTES else v for k, v in attrs.items()}
        )
    for u, v, attrs in g.edges(data=True):
        out.add_edge(
            u, v, **{k: json.dumps(x) if k in LIST_ATTRIBUTES else x for k, x in attrs.items()}
        )
    return out


def export(tg: TopicGraph, fmt: str, out: str | Path) -> list[Path]:
    """Write ``tg`` in format ``fmt`` to ``out``; returns the files written.

    CSV writes one file per table (topics, tags, comparisons, related) into the
    folder ``out``.
    """
    out = Path(out)
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    if fmt == "csv":
        from .tables import to_frames

        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in to_frames(tg)._asdict().items():
            frame = frame.copy()
            for col in frame.columns:
                if frame[col].map(lambda v: isinstance(v, list)).any():
                    frame[col] = frame[col].map(json.dumps)
            path = out / f"{name}.csv"
            frame.to_csv(path, index=False)
            written.append(path)
        return written
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "graphml":
        nx.write_graphml(_scalar_copy(tg.graph), out)
    elif fmt == "gexf":
        nx.write_gexf(_scalar_copy(tg.graph), out)
    else:
        data = nx.node_link_data(tg.graph, edges="edges")
        out.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    return [out]


def read_graph(path: str | Path, fmt: str) -> nx.Graph:
    """Read a graph written by ``export`` back with networkx, undoing the encoding.

    >>> import graph, tempfile, pathlib
    >>> tg = graph.load()
    >>> with tempfile.TemporaryDirectory() as d:
    ...     p = export(tg, "graphml", pathlib.Path(d) / "g.graphml")[0]
    ...     sorted(read_graph(p, "graphml").nodes) == sorted(tg.graph.nodes)
    True
    """
    path = Path(path)
    if fmt == "graphml":
        g = nx.read_graphml(path)
    elif fmt == "gexf":
        g = nx.read_gexf(path)
        for _, attrs in g.nodes(data=True):
            for key in _GEXF_ADDED:
                attrs.pop(key, None)
        for _, _, attrs in g.edges(data=True):
            for key in _GEXF_ADDED:
                attrs.pop(key, None)
    elif fmt == "json":
        return nx.node_link_graph(json.loads(path.read_text(encoding="utf-8")), edges="edges")
    else:
        raise ValueError(f"cannot read format {fmt!r} back as one graph")
    for _, attrs in g.nodes(data=True):
        for key in LIST_ATTRIBUTES & attrs.keys():
            attrs[key] = json.loads(attrs[key])
    for _, _, attrs in g.edges(data=True):
        for key in LIST_ATTRIBUTES & attrs.keys():
            attrs[key] = json.loads(attrs[key])
    return g
