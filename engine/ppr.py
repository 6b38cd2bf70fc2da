"""Personalized PageRank on a cached sparse matrix.

networkx's ``pagerank(personalization=...)`` rebuilds its matrix on every call; here
the column-stochastic transition matrix over topics and tags is built once per
Engine and each query is a short power iteration (a batch of queries is one sparse
matrix times a dense block).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .core import Engine

__all__ = ["PPR", "PPRParams", "distinct", "slice_positions", "spread", "spread_entries"]

# Steps of an ad-hoc query done on the seeds' neighbourhood only: after two steps the
# walk has reached most of the graph and a full product is cheaper.
SPARSE_STEPS = 2
DTYPE = np.float32


def slice_positions(matrix: sp.csr_matrix | sp.csc_matrix, major: np.ndarray):
    """Where the entries of major slices ``major`` (rows of a CSR matrix, columns of a
    CSC one) sit in its ``indices`` and ``data``, slice after slice, and each slice's
    length. Reads a few slices without building a new matrix from them."""
    starts = matrix.indptr[major]
    lengths = matrix.indptr[major + 1] - starts
    shift = np.repeat(starts - (np.cumsum(lengths) - lengths), lengths)
    return shift + np.arange(int(lengths.sum())), lengths


def spread(
    matrix: sp.csr_matrix | sp.csc_matrix, major: np.ndarray, weights: np.ndarray
) -> np.ndarray:
    """Sum of ``weights[k]`` times major slice ``major[k]`` (a row of a CSR matrix, a
    column of a CSC one), as a dense float64 vector.

    For a handful of slices this touches only their entries, where
    ``matrix[:, major] @ weights`` would first copy them into a new sparse matrix.

    >>> m = sp.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 0], [4, 0, 0]]))
    >>> spread(m, np.array([0, 2]), np.array([1.0, 0.5])).tolist()
    [3.0, 0.0, 2.0]
    """
    where, lengths = slice_positions(matrix, major)
    values = matrix.data[where] * np.repeat(weights, lengths)
    minor = matrix.shape[0] if matrix.format == "csc" else matrix.shape[1]
    return np.bincount(matrix.indices[where], weights=values, minlength=minor)


def spread_entries(
    matrix: sp.csr_matrix | sp.csc_matrix, major: np.ndarray, weights: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """``spread`` as the entries it reaches only: (sorted ids, values), so the work
    is bounded by the slices' entries, not by the matrix's size. Each value is summed
    in the same order as ``spread`` sums it, so both give the same numbers.

    >>> m = sp.csr_matrix(np.array([[1.0, 0, 2], [0, 3, 0], [4, 0, 0]]))
    >>> ids, values = spread_entries(m, np.array([0, 2]), np.array([1.0, 0.5]))
    >>> ids.tolist(), values.tolist()
    ([0, 2], [3.0, 2.0])
    """
    where, lengths = slice_positions(matrix, major)
    values = matrix.data[where] * np.repeat(weights, lengths)
    ids, inverse = np.unique(matrix.indices[where], return_inverse=True)
    return ids, np.bincount(inverse, weights=values, minlength=len(ids))


def distinct(ids: np.ndarray) -> np.ndarray:
    """The distinct values of ``ids``, sorted (numpy's unique hashes first, which is
    several times slower on the few thousand ids of a neighbourhood).

    >>> distinct(np.array([3, 1, 3, 2])).tolist()
    [1, 2, 3]
    """
    ids = np.sort(ids)
    return ids[np.r_[True, ids[1:] != ids[:-1]]] if len(ids) else ids


def _sum_by_key(keys: np.ndarray, values: np.ndarray, space: int) -> tuple[np.ndarray, np.ndarray]:
    """The distinct ``keys`` (sorted, all below ``space``) and the sum of the values
    of each, added in input order either way: by sorting when the keys are few, by
    counting into a dense array when they are many (a sort costs more than a pass
    over ``space``)."""
    if len(keys) * 16 < space:
        distinct, inverse = np.unique(keys, return_inverse=True)
        return distinct, np.bincount(inverse, weights=values, minlength=len(distinct))
    sums = np.bincount(keys, weights=values, minlength=space)
    distinct = np.flatnonzero(np.bincount(keys, minlength=space))
    return distinct, sums[distinct]


@dataclass(frozen=True)
class PPRParams:
    """Tuned on the bundled content with evaluation seeds that are not reported
    (docs/evaluation.md): see ``pickgraph evaluate``."""

    # Probability of jumping back to the seeds at each step.
    restart: float = 0.25
    # Weight of a topic-tag ("related") edge relative to a comparison of weight 1.
    tag_weight: float = 0.1
    # Scores are divided by degree**hub_damping so that hubs, which collect mass from
    # everywhere, do not crowd out topics close to the seeds.
    hub_damping: float = 1.0
    # A fixed number of power iterations, not a tolerance: every query then does the
    # same arithmetic whether it runs alone or in a batch, so a page's suggestions do
    # not depend on how they were computed. After n steps at most (1 - restart)**n of
    # the mass is unsettled (0.75**8 = 10%); rankings stop changing well before.
    iterations: int = 8


class PPR:
    """Personalized PageRank over one engine's topics and tags."""

    def __init__(self, engine: Engine, params: PPRParams | None = None):
        self.engine = engine
        self.params = params or PPRParams()
        p = self.params
        n, t = engine.n_nodes, engine.n_topics
        a, b = engine.comparison_ends.T if len(engine.comparison_ends) else ([], [])
        w = engine.comparison_weight
        comp = sp.csr_matrix((np.r_[w, w], (np.r_[a, b], np.r_[b, a])), shape=(n, n))
        inc = engine.tag_incidence.tocoo()
        rel = engine.related_topics.tocoo()
        tag_rows = np.r_[inc.row, inc.col + t, rel.row]
        tag_cols = np.r_[inc.col + t, inc.row, rel.col]
        related = sp.csr_matrix(
            (np.full(len(tag_rows), p.tag_weight), (tag_rows, tag_cols)), shape=(n, n)
        )
        adj = (comp + related).tocsr()
        degree = np.asarray(adj.sum(axis=0)).ravel()
        self.degree = degree
        inv = np.divide(1.0, degree, out=np.zeros(n), where=degree > 0)
        # Column-stochastic: column j spreads node j's mass over its neighbours.
        # float32 halves the memory traffic of every product (the cost of a query);
        # seven significant digits are far more than a ranking needs.
        self.transition = (adj @ sp.diags(inv)).tocsr().astype(DTYPE)
        self.damping = np.power(np.maximum(degree[:t], 1e-12), -p.hub_damping)

    @classmethod
    def of(cls, engine: Engine, params: PPRParams | None = None) -> PPR:
        """The PPR of an engine for ``params``, built once and cached on the engine."""
        params = params or PPRParams()
        return engine.derived(("ppr", params), lambda: cls(engine, params))

    def vector(self, seeds: list[int]) -> np.ndarray:
        """Visiting probabilities of all nodes for a uniform restart on ``seeds``.

        The first steps touch only the seeds' neighbourhood, so they multiply just
        those columns; the rest are full sparse matrix-vector products.
        """
        start = np.zeros(self.engine.n_nodes, dtype=DTYPE)
        start[seeds] = 1.0 / len(seeds)
        return self.walk(start, local_steps=SPARSE_STEPS)

    def vectors(self, seed_sets: list[list[int]], sparse_start: bool = False) -> np.ndarray:
        """One distribution per seed set, as columns (a batch).

        With ``sparse_start`` the first steps are sparse matrix products: the early
        iterates only cover the seeds' neighbourhoods, so multiplying them as sparse
        matrices skips the zeros a dense block would carry (large builds). Equal to
        the dense start up to rounding.
        """
        n, b = self.engine.n_nodes, len(seed_sets)
        rows, cols, vals = [], [], []
        for j, seeds in enumerate(seed_sets):
            unique = np.unique(np.asarray(seeds, dtype=np.int64))
            rows.append(unique)
            cols.append(np.full(len(unique), j))
            vals.append(np.full(len(unique), 1.0 / len(seeds), dtype=DTYPE))
        coords = (np.concatenate(rows), np.concatenate(cols)) if b else ([], [])
        start = sp.csr_matrix((np.concatenate(vals) if b else [], coords), shape=(n, b))
        if sparse_start:
            return self.walk(start.astype(DTYPE), local_steps=SPARSE_STEPS)
        return self.walk(start.toarray().astype(DTYPE, copy=False))

    def walk(self, start: np.ndarray | sp.csr_matrix, local_steps: int = 0) -> np.ndarray:
        """The power iteration every PageRank here runs: ``iterations`` times
        x <- (1 - restart) T x + restart start, from x = start (a vector, or a block of
        columns, dense or sparse).

        The first ``local_steps`` products are local: a vector spreads only its
        non-zero entries (summed in float64), a sparse block stays sparse. The others
        are sparse-times-dense products in float32. Returns a dense array.
        """
        p = self.params
        keep = DTYPE(1.0 - p.restart)
        restart = start * DTYPE(p.restart)
        x = start
        for step in range(p.iterations):
            if step < local_steps and sp.issparse(x):
                x = self.transition @ x
            elif step < local_steps:
                support = np.flatnonzero(x)
                x = spread(self.columns, support, x[support]).astype(DTYPE)
            else:
                if sp.issparse(x):
                    x, restart = x.toarray(), restart.toarray()
                x = self.transition @ x
            if sp.issparse(x):
                x = x * keep + restart
            else:
                x *= keep
                x += restart
        return x.toarray() if sp.issparse(x) else x

    @cached_property
    def columns(self) -> sp.csc_matrix:
        """The transition matrix by columns, for the local first steps."""
        return self.transition.tocsc()

    def push(self, seeds: np.ndarray | list[int], tolerance: float) -> sp.csc_matrix:
        """Each seed's walk (column j as ``vectors([[seeds[j]]])[:, 0]``) by local
        push: a (n_nodes, len(seeds)) sparse matrix, where work per seed depends on
        its neighbourhood, not on the graph's size.

        The walk is taken level by level (level k holds the mass that has made k
        steps). Each level keeps its ``restart`` share where it is; a node passes
        the rest of its mass on to its neighbours only while that mass is at least
        ``tolerance`` times the node's degree, else the rest is dropped. So no entry
        exceeds the power iteration's, and none falls short of it by more than
        ``iterations * (1 - restart) * tolerance * degree(v)``: the graph is
        undirected, so the mass a walk from u leaves at v is d(v) / d(u) times the
        mass a walk from v leaves at u, and the dropped mass of a level, at most
        tolerance * d(u) per node u, adds at most tolerance * d(v) at v. Summed in
        float64.
        """
        p = self.params
        n = self.engine.n_nodes
        seeds = np.asarray(seeds, dtype=np.int64)
        cols = self.columns
        weights = self._columns64
        limit = tolerance * self.degree
        key = np.arange(len(seeds), dtype=np.int64) * n + seeds
        mass = np.ones(len(seeds))
        kept_keys, kept = [], []
        for _ in range(p.iterations):
            kept_keys.append(key)
            kept.append(mass * p.restart)
            node = key % n
            moving = mass >= limit[node]
            key, mass, node = key[moving], mass[moving], node[moving]
            where, lengths = slice_positions(cols, node)
            targets = np.repeat(key - node, lengths) + cols.indices[where]
            step = weights[where] * np.repeat(mass * (1.0 - p.restart), lengths)
            key, mass = _sum_by_key(targets, step, n * len(seeds))
        kept_keys.append(key)  # the last level's mass stays where it is
        kept.append(mass)
        key, values = _sum_by_key(np.concatenate(kept_keys), np.concatenate(kept), n * len(seeds))
        return sp.csc_matrix((values, (key % n, key // n)), shape=(n, len(seeds)))

    @cached_property
    def _columns64(self) -> np.ndarray:
        return self.columns.data.astype(np.float64)

    def topic_scores(self, seeds: list[int]) -> np.ndarray:
        """Damped PageRank mass of every topic (tags dropped)."""
        return self.vector(seeds)[: self.engine.n_topics] * self.damping
