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

__all__ = ["PPR", "PPRParams", "slice_positions", "spread"]

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
        """Stationary distribution over all nodes for a uniform restart on ``seeds``.

        The first steps touch only the seeds' neighbourhood, so they multiply just
        those columns; the rest are full sparse matrix-vector products.
        """
        p = self.params
        n = self.engine.n_nodes
        s = np.zeros(n, dtype=DTYPE)
        s[seeds] = 1.0 / len(seeds)
        keep = DTYPE(1.0 - p.restart)
        x = s
        steps = 0
        while steps < min(SPARSE_STEPS, p.iterations):
            support = np.flatnonzero(x)
            x = spread(self.columns, support, x[support]).astype(DTYPE)
            x *= keep
            x[seeds] += DTYPE(p.restart / len(seeds))
            steps += 1
        restart = DTYPE(p.restart) * s
        for _ in range(p.iterations - steps):
            x = self.transition @ x
            x *= keep
            x += restart
        return x

    @cached_property
    def columns(self) -> sp.csc_matrix:
        """The transition matrix by columns, for the sparse first steps."""
        return self.transition.tocsc()

    def vectors(self, seed_sets: list[list[int]]) -> np.ndarray:
        """One stationary distribution per seed set, as columns (a batch)."""
        s = np.zeros((self.engine.n_nodes, len(seed_sets)), dtype=DTYPE)
        for j, seeds in enumerate(seed_sets):
            s[seeds, j] = 1.0 / len(seeds)
        return self._iterate(s)

    def vectors_sparse_start(self, seed_sets: list[list[int]]) -> np.ndarray:
        """As ``vectors``, with the first steps as sparse products (large builds).

        The early iterates only cover the seeds' neighbourhoods, so multiplying them
        as sparse matrices skips the zeros a dense block would carry. Equal to
        ``vectors`` up to rounding.
        """
        p = self.params
        n, b = self.engine.n_nodes, len(seed_sets)
        rows = [s for seeds in seed_sets for s in seeds]
        cols = [j for j, seeds in enumerate(seed_sets) for _ in seeds]
        vals = [1.0 / len(seeds) for seeds in seed_sets for _ in seeds]
        start = sp.csr_matrix((np.array(vals, DTYPE), (rows, cols)), shape=(n, b))
        keep = DTYPE(1.0 - p.restart)
        restart = start * DTYPE(p.restart)
        x = start
        steps = min(SPARSE_STEPS, p.iterations)
        for _ in range(steps):
            x = (self.transition @ x) * keep + restart
        x = x.toarray()
        dense_restart = restart.toarray()
        for _ in range(p.iterations - steps):
            x = self.transition @ x
            x *= keep
            x += dense_restart
        return x

    def _iterate(self, s: np.ndarray) -> np.ndarray:
        p = self.params
        x = s
        keep = DTYPE(1.0 - p.restart)
        restart = DTYPE(p.restart) * s
        for _ in range(p.iterations):
            x = self.transition @ x
            x *= keep
            x += restart
        return x

    def topic_scores(self, seeds: list[int]) -> np.ndarray:
        """Damped PageRank mass of every topic (tags dropped)."""
        return self.vector(seeds)[: self.engine.n_topics] * self.damping
