"""Write the topic graph as GraphML, GEXF, node-link JSON or CSV tables.

GraphML and GEXF hold only scalar attributes, so list-valued attributes (aliases,
pros, cons) are written as JSON text; ``read_graph`` turns them back into lists.

Every file is written atomically (``atomic_path``): into a temporary file beside it,
then renamed over it, so a write that fails leaves the previous file as it was. The
importer writes its files the same way.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .topicgraph import TopicGraph

if TYPE_CHECKING:
    import networkx as nx

__all__ = ["FORMATS", "LIST_ATTRIBUTES", "atomic_path", "export", "read_graph", "write_text"]

FORMATS = ("graphml", "gexf", "json", "csv")
LIST_ATTRIBUTES = frozenset({"aliases", "a_pros", "a_cons", "b_pros", "b_cons"})
# Attributes GEXF readers add on their own (labels and edge ids).
_GEXF_ADDED = ("label", "id")


@contextlib.contextmanager
def atomic_path(target: str | Path) -> Iterator[Path]:
    """A temporary path beside ``target`` to write; renamed over ``target`` when the
    block ends, removed when it raises.

    >>> import tempfile, pathlib
    >>> with tempfile.TemporaryDirectory() as d:
    ...     target = pathlib.Path(d) / "a.txt"
    ...     with atomic_path(target) as tmp:
    ...         _ = tmp.write_text("new")
    ...     target.read_text()
    'new'
    """
    target = Path(target)
    # Same folder, so the rename is atomic (one file system); hidden, so one that a
    # crash leaves behind is read by no loader. Created like any new file (0666 less
    # the umask), or with the permissions of the file it replaces.
    tmp = target.parent / f".{target.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
    try:
        yield tmp
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def write_text(target: str | Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``target`` atomically."""
    with atomic_path(target) as tmp:
        tmp.write_text(text, encoding="utf-8")


def _scalar_copy(g: nx.Graph) -> nx.Graph:
    import networkx as nx

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
        from .tables import to_frames  # pandas is slow to import; only CSV needs it

        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name, frame in to_frames(tg)._asdict().items():
            frame = frame.copy()
            for col in frame.columns:
                if frame[col].map(lambda v: isinstance(v, list)).any():
                    frame[col] = frame[col].map(json.dumps)
            path = out / f"{name}.csv"
            with atomic_path(path) as tmp:
                frame.to_csv(tmp, index=False)
            written.append(path)
        return written
    # networkx is slow to import, and every command (a server's start too) loads this
    # module through the command line's
    import networkx as nx

    out.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(out) as tmp:
        if fmt == "graphml":
            nx.write_graphml(_scalar_copy(tg.graph), tmp)
        elif fmt == "gexf":
            nx.write_gexf(_scalar_copy(tg.graph), tmp)
        else:
            data = nx.node_link_data(tg.graph, edges="edges")
            tmp.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
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
    import networkx as nx

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
