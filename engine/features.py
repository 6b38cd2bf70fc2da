"""What the learned ranker sees of a candidate topic against one seed topic.

Each feature is a column over all topics, computed from one engine's graph only:

- ``ppr``: personalized PageRank from the seed over topics and tags (fixed textbook-
  like settings, not tuned), as log of the share of the best other topic's mass;
- ``aa_tags`` / ``aa_comparisons``: Adamic-Adar over the topic-and-tag graph, and over
  comparisons only (log1p);
- ``tag_cosine``: cosine of the two topics' tag sets, each tag weighted by its rarity
  (inverse document frequency), so a shared "service mesh" counts far more than a
  shared "open source";
- ``text_cosine``: cosine of the two topics' words (name, kind, summary and tags,
  TF-IDF weighted): topics that do the same job are described in the same words
  ("a distributed event-streaming platform");
- ``same_kind``, ``same_domain``: both topics are languages, both in Databases, ...;
- ``hubness``: log1p of how many topics list the candidate as related. It marks hubs
  (Python, Kubernetes) without counting comparisons, so it carries none of the
  hold-out artefact a comparison degree has (a hidden comparison lowers its
  endpoints' degree, and a ranker that favours low degree learns to find them).
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.sparse as sp

from .core import Engine
from .ppr import PPR, PPRParams, spread
from .scoring import aa_right

__all__ = ["FEATURES", "FEATURE_PPR", "FeatureSpace"]

FEATURES = (
    "ppr",
    "aa_tags",
    "aa_comparisons",
    "tag_cosine",
    "text_cosine",
    "same_kind",
    "same_domain",
    "hubness",
)
# Not tuned on any evaluation: about the settled mass of the earlier default (a
# restart of 0.3 with 6 steps leaves 0.7**6 = 12% unsettled, against 0.75**8 = 10%) in
# 6 sparse products a seed, which keeps an ad-hoc stack query within 5 ms at 10k
# topics; tag links weigh half a comparison; no degree damping (hubness is a feature).
FEATURE_PPR = PPRParams(restart=0.3, tag_weight=0.5, hub_damping=0.0, iterations=6)
# Floor of the ppr share before the log, so that unreached topics get a finite value.
PPR_FLOOR = 1e-4


class FeatureSpace:
    """Feature columns over one engine's topics (see the module docstring)."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.ppr = PPR.of(engine, FEATURE_PPR)

    @cached_property
    def kinds(self) -> np.ndarray:
        names = [self.engine.tg.topics[s].kind for s in self.engine.topic_slugs]
        return np.unique(names, return_inverse=True)[1]

    @cached_property
    def domains(self) -> np.ndarray:
        names = [self.engine.tg.topics[s].domain or "" for s in self.engine.topic_slugs]
        codes = np.unique(names, return_inverse=True)[1]
        return np.where(np.array(names) == "", -1, codes)

    @cached_property
    def tag_vectors(self) -> sp.csr_matrix:
        """Rows of rarity-weighted tag membership, scaled to unit length."""
        m = self.engine.tag_membership.tocsc()
        df = np.diff(m.indptr)
        idf = np.log((1 + self.engine.n_topics) / (1 + df))
        w = (m @ sp.diags(idf)).tocsr()
        norms = np.sqrt(np.asarray(w.multiply(w).sum(axis=1)).ravel())
        inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
        return (sp.diags(inv) @ w).tocsr()

    @cached_property
    def tag_vectors_t(self) -> sp.csr_matrix:
        return self.tag_vectors.T.tocsr()

    @cached_property
    def text_vectors(self) -> sp.csr_matrix:
        """TF-IDF rows of each topic's words, unit length (scikit-learn's vectorizer)."""
        from sklearn.feature_extraction.text import TfidfVectorizer

        topics = self.engine.tg.topics
        docs = [
            " ".join((t.name, t.kind, t.summary, *t.related))
            for t in (topics[s] for s in self.engine.topic_slugs)
        ]
        # A word of one topic only says nothing about two topics being alike, and a word
        # of most topics ("open", "source") next to nothing while it costs the most to
        # spread: both are left out.
        vectorizer = TfidfVectorizer(
            stop_words="english",
            sublinear_tf=True,
            min_df=min(2, len(docs)),
            max_df=0.2 if len(docs) >= 50 else 1.0,
            dtype=np.float64,
        )
        return vectorizer.fit_transform(docs).tocsr()

    @cached_property
    def text_vectors_t(self) -> sp.csr_matrix:
        return self.text_vectors.T.tocsr()

    def similarity(self, rows: sp.csr_matrix, columns: sp.csr_matrix, seed: int) -> np.ndarray:
        """Cosine of topic ``seed``'s unit row with every topic's."""
        lo, hi = rows.indptr[seed], rows.indptr[seed + 1]
        return spread(columns, rows.indices[lo:hi], rows.data[lo:hi])[: self.engine.n_topics]

    @cached_property
    def hubness(self) -> np.ndarray:
        e = self.engine
        listed = np.asarray(e.related_topics.sum(axis=0)).ravel()
        return np.log1p(listed)

    def columns(self, seed: int, ppr_topics: np.ndarray | None = None) -> np.ndarray:
        """(n_topics, len(FEATURES)) for one seed. ``ppr_topics`` is the seed's PageRank
        over topics when already computed (a batch)."""
        e = self.engine
        n = e.n_topics
        if ppr_topics is None:
            ppr_topics = self.ppr.vector([seed])[:n]
        p = np.asarray(ppr_topics, dtype=np.float64)
        others = np.delete(p, seed)
        top = others.max(initial=0.0)
        share = p / top if top > 0 else np.zeros(n)
        out = np.empty((n, len(FEATURES)))
        out[:, 0] = np.log(np.maximum(share, PPR_FLOOR))
        ids = np.array([seed])
        out[:, 1] = np.log1p(self._aa(ids, True))
        out[:, 2] = np.log1p(self._aa(ids, False))
        out[:, 3] = self.similarity(self.tag_vectors, self.tag_vectors_t, seed)
        out[:, 4] = self.similarity(self.text_vectors, self.text_vectors_t, seed)
        out[:, 5] = self.kinds == self.kinds[seed]
        dom = self.domains
        out[:, 6] = (dom == dom[seed]) & (dom >= 0)
        out[:, 7] = self.hubness
        return out

    def _aa(self, seeds: np.ndarray, with_tags: bool) -> np.ndarray:
        e = self.engine
        adj = e.node_adjacency if with_tags else e.comparison_adjacency
        middle = spread(adj, seeds, np.ones(len(seeds)))
        support = np.flatnonzero(middle)
        return spread(aa_right(e, with_tags), support, middle[support])[: e.n_topics]
