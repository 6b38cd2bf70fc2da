"""The engine's view of a topic graph: integer ids, sparse matrices, cached once.

Every scoring method works on these arrays. They are built from one TopicGraph and
never change; a new content version builds a new Engine.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import cached_property
from typing import TypeVar

import numpy as np
import scipy.sparse as sp

from pickgraph.graph import TopicGraph
from pickgraph.graph.errors import BadRequest

__all__ = ["MAX_SEEDS", "Engine", "LeftBehind", "read_only"]

# A reader's stack is at most this many topics: past it a query says little.
MAX_SEEDS = 10

T = TypeVar("T")


# What holds no array: skipped by read_only without a look inside.
_SCALARS = frozenset({str, int, float, bool, type(None)})


def read_only(obj: T, depth: int = 3) -> T:
    """Mark every numpy array held by ``obj`` (in its attributes, lists, dicts and
    sparse matrices, ``depth`` levels down) read-only: a request that tried to
    write into the served index would fail loudly instead of changing what every
    later reader sees."""
    if isinstance(obj, np.ndarray):
        obj.flags.writeable = False
    elif sp.issparse(obj):
        for part in ("data", "indices", "indptr"):
            if isinstance(getattr(obj, part, None), np.ndarray):
                getattr(obj, part).flags.writeable = False
    elif depth > 0:
        if isinstance(obj, dict):
            children = list(obj.values())
        elif isinstance(obj, list | tuple):
            children = list(obj)
        else:
            children = list(getattr(obj, "__dict__", {}).values())
        # the types present, found in C: a list of 100,000 slugs is passed over
        # without a Python step per slug (an engine's tables are met once per value
        # derived from it)
        if set(map(type, children)) <= _SCALARS:
            return obj
        for child in children:
            if not isinstance(child, str | int | float | TopicGraph):
                read_only(child, depth - 1)
    return obj


class LeftBehind:
    """Stands in, in a copy of an engine sent elsewhere, for what was not sent."""

    def __init__(self, what: str):
        self.what = what

    def __getattr__(self, name: str):
        if name.startswith("__"):
            raise AttributeError(name)
        raise RuntimeError(f"an index build's workers do not hold the {self.what} ({name})")

    def __getitem__(self, key):
        raise RuntimeError(f"an index build's workers do not hold the {self.what} ({key!r})")


class Engine:
    """Sparse matrices and lookups over one TopicGraph.

    Nodes 0..n_topics-1 are topics (sorted by slug), the rest are tags (sorted).

    >>> from pickgraph import graph
    >>> e = Engine(graph.load())
    >>> e.topic_slugs[e.topic_id["postgresql"]]
    'postgresql'
    >>> e.comparison_adjacency.shape == (e.n_topics, e.n_topics)
    True
    """

    def __init__(self, tg: TopicGraph):
        self.tg = tg
        self.topic_slugs: list[str] = list(tg.topics)
        self.tag_slugs: list[str] = list(tg.tags)
        self.node_slugs = self.topic_slugs + self.tag_slugs
        self.n_topics = len(self.topic_slugs)
        self.n_nodes = len(self.node_slugs)
        self.topic_id = {s: i for i, s in enumerate(self.topic_slugs)}
        self.node_id = {s: i for i, s in enumerate(self.node_slugs)}
        comps = list(tg.heads.values())  # topics, pick and weight: no texts needed
        self.comparison_slugs = [c.slug for c in comps]
        self.comparison_id = {s: i for i, s in enumerate(self.comparison_slugs)}
        self.comparison_ends = np.array(
            [(self.topic_id[c.a.topic], self.topic_id[c.b.topic]) for c in comps], dtype=np.int64
        ).reshape(-1, 2)
        self.comparison_weight = np.array([c.weight for c in comps], dtype=np.float64)
        # Topic -> tag-node incidence. A related tag that is a topic links two topics
        # directly instead.
        rows, cols, topic_rows, topic_cols = [], [], [], []
        for slug, topic in tg.topics.items():
            u = self.topic_id[slug]
            for tag in topic.related:
                if tag in self.topic_id:
                    topic_rows.append(u)
                    topic_cols.append(self.topic_id[tag])
                else:
                    rows.append(u)
                    cols.append(self.node_id[tag] - self.n_topics)
        self.tag_incidence = sp.csr_matrix(
            (np.ones(len(rows)), (rows, cols)), shape=(self.n_topics, len(self.tag_slugs))
        )
        related = sp.csr_matrix(
            (np.ones(len(topic_rows)), (topic_rows, topic_cols)),
            shape=(self.n_topics, self.n_topics),
        )
        self.related_topics = ((related + related.T) > 0).astype(np.float64).tocsr()
        a, b = self.comparison_ends.T if comps else (np.array([], int), np.array([], int))
        adj = sp.csr_matrix(
            (np.ones(2 * len(comps)), (np.r_[a, b], np.r_[b, a])),
            shape=(self.n_topics, self.n_topics),
        )
        self.comparison_adjacency = (adj > 0).astype(np.float64).tocsr()
        self.comparison_degree = np.asarray(self.comparison_adjacency.sum(axis=1)).ravel()
        # topic -> ids of the comparisons it is in (CSR over the incidence matrix)
        ids = np.arange(len(comps))
        self.topic_comparisons = sp.csr_matrix(
            (np.ones(2 * len(comps)), (np.r_[a, b], np.r_[ids, ids])),
            shape=(self.n_topics, len(comps)),
        )
        self.topic_comparisons.sort_indices()
        self._derived: dict = {}
        self._derived_lock = threading.RLock()  # a build may derive other values

    def derived(self, key, build: Callable[[], T]) -> T:
        """A value computed from this engine's data by ``build``, computed once.

        Other modules keep what they derive (a PageRank operator, a fitted ranker)
        here under their own key; the engine never changes, so neither do they.
        """
        try:
            return self._derived[key]
        except KeyError:
            pass
        with self._derived_lock:
            if key not in self._derived:
                self._derived[key] = read_only(build())
            return self._derived[key]

    # The tables that name things: what pages and messages need, never the arrays.
    _NAME_TABLES = (
        "topic_slugs",
        "tag_slugs",
        "node_slugs",
        "topic_id",
        "node_id",
        "comparison_slugs",
        "comparison_id",
    )

    def __getstate__(self) -> dict:
        """An engine travels (to the dask workers of an index build) as its arrays
        and what was derived from them. The content (at 100k topics, a million
        comparisons with their prose) and the slug tables stay behind: on the other
        side they are stand-ins that fail loudly when read, so a task that would
        need them cannot silently ship them to every worker."""
        with self._derived_lock:  # not while another thread adds a derived value
            state = self.__dict__.copy()
            state["_derived"] = dict(self._derived)
        del state["_derived_lock"]
        state["tg"] = LeftBehind("content")
        for name in self._NAME_TABLES:
            state[name] = LeftBehind("slug tables")
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._derived_lock = threading.RLock()

    def __repr__(self) -> str:
        return (
            f"Engine(topics={self.n_topics}, tags={self.n_nodes - self.n_topics}, "
            f"comparisons={len(self.comparison_ends)})"
        )

    # ------------------------------------------------------------ lookups
    def seed_ids(self, topics: list[str]) -> list[int]:
        """Topic ids for slugs or aliases; NotFound names the first unknown one."""
        if not topics:
            raise BadRequest("give at least one topic", "topics")
        if len(topics) > MAX_SEEDS:
            raise BadRequest(f"give at most {MAX_SEEDS} topics, not {len(topics)}", "topics")
        ids = []
        for slug in topics:
            tid = self.topic_id[self.tg.canonical("topic", slug)]
            if tid not in ids:
                ids.append(tid)
        return ids

    def partners(self, topic: int) -> np.ndarray:
        """Ids of the topics compared with ``topic``."""
        row = self.comparison_adjacency
        return row.indices[row.indptr[topic] : row.indptr[topic + 1]]

    def comparisons_of(self, topic: int) -> np.ndarray:
        m = self.topic_comparisons
        return m.indices[m.indptr[topic] : m.indptr[topic + 1]]

    # ------------------------------------------------------------ graphs
    @cached_property
    def node_adjacency(self) -> sp.csr_matrix:
        """Unweighted adjacency over topics and tags (comparisons, related links)."""
        t = self.n_topics
        inc = self.tag_incidence
        top = sp.hstack([((self.comparison_adjacency + self.related_topics) > 0), inc])
        bottom = sp.hstack([inc.T, sp.csr_matrix((inc.shape[1], inc.shape[1]))])
        adj = sp.vstack([top, bottom]).tocsr().astype(np.float64)
        assert adj.shape == (self.n_nodes, self.n_nodes) and t <= self.n_nodes
        return adj

    @cached_property
    def tag_membership(self) -> sp.csr_matrix:
        """Topics x (tags, then topics): which tags each topic carries.

        A topic carries its related tags, the topics its related list names, and its
        own slug (so a topic listing ``kubernetes`` shares a tag with Kubernetes).
        """
        rows, cols = [], []
        for slug, topic in self.tg.topics.items():
            u = self.topic_id[slug]
            rows.append(u)
            cols.append(len(self.tag_slugs) + u)
            for tag in topic.related:
                rows.append(u)
                if tag in self.topic_id:
                    cols.append(len(self.tag_slugs) + self.topic_id[tag])
                else:
                    cols.append(self.node_id[tag] - self.n_topics)
        shape = (self.n_topics, len(self.tag_slugs) + self.n_topics)
        return sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=shape)
