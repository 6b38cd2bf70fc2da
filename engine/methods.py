"""Scoring methods: given seed topics, a score for every topic.

All methods share one interface, ``method.topic_scores(engine, seed_ids)`` returning a
float array over topic ids (higher is closer), so evaluation and the API swap them by
name. The default is personalized PageRank over topics and tags; the rest are the
baselines it must beat.
"""

from __future__ import annotations

import hashlib

import numpy as np
import scipy.sparse as sp

from pickgraph.graph.errors import BadRequest

from .core import Engine
from .features import FeatureSpace
from .ppr import PPR, PPRParams
from .ranker import LinearModel, fit_topic_model
from .scoring import AA_WEIGHT, adamic_adar_rows, blended_scores

__all__ = ["DEFAULT_METHOD", "METHODS", "Method", "TOPIC_MODEL_KEY", "get_method"]

DEFAULT_METHOD = "learned"
# Where an engine keeps its fitted topic ranker (``Engine.derived``); a loaded index
# puts the model it was built with there.
TOPIC_MODEL_KEY = "topic-model"


class Method:
    """A way to score every topic against a set of seed topics."""

    name: str = ""
    description: str = ""

    def topic_scores(self, engine: Engine, seeds: list[int]) -> np.ndarray:
        raise NotImplementedError


class PersonalizedPageRank(Method):
    name = "ppr"
    description = (
        "personalized PageRank over topics and tags, restarting at the seeds; "
        "scores are divided by degree so hubs do not crowd out close topics"
    )

    def __init__(self, params: PPRParams | None = None):
        self.params = params or PPRParams()

    def topic_scores(self, engine, seeds):
        return PPR.of(engine, self.params).topic_scores(seeds)


class BlendedPPR(Method):
    """The default: damped personalized PageRank plus a share of Adamic-Adar.

    PageRank sees the whole neighbourhood, weighted comparisons included, but spreads
    its mass over many paths; Adamic-Adar scores the shared neighbours (tags and
    comparison partners) exactly. Each is scaled to a maximum of 1 and the second is
    added with weight ``aa_weight``, tuned on evaluation seeds that are not reported.
    """

    name = "ppr-aa"
    description = (
        "personalized PageRank over topics and tags (degree-damped, comparison weights "
        "honoured) blended with Adamic-Adar over the same graph"
    )

    def __init__(self, params: PPRParams | None = None, aa_weight: float = AA_WEIGHT):
        self.params = params
        self.aa_weight = aa_weight

    def topic_scores(self, engine, seeds, per_seed: bool = True):
        return blended_scores(engine, seeds, self.params, self.aa_weight, per_seed)


class LearnedRanker(Method):
    """Logistic regression over graph features, learned from the graph's own hidden
    comparisons (engine/ranker.py); fitted once per engine."""

    name = "learned"
    description = (
        "logistic regression over PageRank, Adamic-Adar, rarity-weighted shared tags, "
        "kind, domain and hubness, trained on the graph's own hidden comparisons"
    )
    ties = False

    @staticmethod
    def model(engine: Engine) -> LinearModel:
        """The ranker fitted on ``engine``'s graph, fitted once per engine."""
        return engine.derived(TOPIC_MODEL_KEY, lambda: fit_topic_model(engine))

    @staticmethod
    def install(engine: Engine, model: LinearModel) -> LinearModel:
        """Give ``engine`` ``model`` as its ranker (a loaded index's), unless it has one
        already; returns the engine's ranker either way."""
        return engine.derived(TOPIC_MODEL_KEY, lambda: model)

    def topic_scores(self, engine, seeds):
        space = FeatureSpace.of(engine)
        model = self.model(engine)
        logits = [model.logits(space.columns(s)) for s in seeds]
        return logits[0] if len(logits) == 1 else np.max(logits, axis=0)


class RandomScores(Method):
    name = "random"
    description = "random order, the same for the same seeds"

    def topic_scores(self, engine, seeds):
        key = ",".join(engine.topic_slugs[s] for s in sorted(seeds)).encode()
        seed = int.from_bytes(hashlib.sha256(key).digest()[:8], "little")
        return np.random.default_rng(seed).random(engine.n_topics)


class Popularity(Method):
    name = "popularity"
    description = "the most compared topics first, whatever the seeds"

    def topic_scores(self, engine, seeds):
        return engine.comparison_degree.astype(np.float64).copy()


class SameTag(Method):
    name = "same-tag"
    description = "topics sharing the most tags with the seeds"

    def topic_scores(self, engine, seeds):
        m = engine.tag_membership
        return np.asarray((m[seeds] @ m.T).sum(axis=0)).ravel()


class SharedEndpoint(Method):
    name = "shared-endpoint"
    description = "topics compared with a topic the seeds are compared with, popular first"

    def topic_scores(self, engine, seeds):
        reach = np.zeros(engine.n_topics)
        for s in seeds:
            reach += engine.comparison_adjacency[engine.partners(s)].sum(axis=0).A1 > 0
        return reach * (1 + engine.comparison_degree.max()) + engine.comparison_degree


class NeighbourhoodMethod(Method):
    """Common-neighbour family: CN, Jaccard, Adamic-Adar, resource allocation.

    Without tags the neighbourhood is comparison partners; with tags it is every
    neighbour in the topic-and-tag graph (partners, related topics and tag nodes).
    """

    def __init__(self, name: str, kind: str, with_tags: bool, description: str):
        self.name = name
        self.kind = kind
        self.with_tags = with_tags
        self.description = description

    def _adjacency(self, engine: Engine) -> sp.csr_matrix:
        if self.with_tags:
            return engine.node_adjacency
        return engine.comparison_adjacency

    def topic_scores(self, engine, seeds):
        if self.kind == "adamic-adar":
            rows = adamic_adar_rows(engine, seeds, self.with_tags)
            return np.asarray(rows.sum(axis=0)).ravel()
        adj = self._adjacency(engine)
        deg = np.asarray(adj.sum(axis=1)).ravel()
        if self.kind == "common-neighbours" or self.kind == "jaccard":
            weight = np.ones_like(deg)
        else:  # resource allocation (Adamic-Adar is scored above)
            weight = np.where(deg > 0, 1.0 / np.maximum(deg, 1), 0.0)
        paths = adj[seeds] @ sp.diags(weight) @ adj[:, : engine.n_topics]
        scores = np.asarray(paths.sum(axis=0)).ravel()
        if self.kind == "jaccard":
            union = deg[seeds].sum() + deg[: engine.n_topics] - scores
            scores = np.divide(scores, union, out=np.zeros_like(scores), where=union > 0)
        return scores


def _neighbourhood_methods() -> list[Method]:
    out = []
    for kind, what in (
        ("common-neighbours", "the number of neighbours shared with the seeds"),
        ("jaccard", "shared neighbours over all neighbours of both"),
        ("adamic-adar", "shared neighbours, each weighted 1/log(its degree)"),
        ("resource-allocation", "shared neighbours, each weighted 1/(its degree)"),
    ):
        out.append(NeighbourhoodMethod(kind, kind, False, f"{what}, over comparisons only"))
        out.append(
            NeighbourhoodMethod(f"{kind}+tags", kind, True, f"{what}, over comparisons and tags")
        )
    return out


METHODS: dict[str, Method] = {
    m.name: m
    for m in [
        LearnedRanker(),
        BlendedPPR(),
        PersonalizedPageRank(),
        RandomScores(),
        Popularity(),
        SameTag(),
        SharedEndpoint(),
        *_neighbourhood_methods(),
    ]
}


def get_method(name: str | Method | None) -> Method:
    """The method called ``name`` (None: the default; a Method is returned as it is);
    BadRequest lists the names."""
    if isinstance(name, Method):
        return name
    if name is None:
        return METHODS[DEFAULT_METHOD]
    try:
        return METHODS[name]
    except KeyError:
        raise BadRequest(
            f"unknown method {name!r}; expected one of {', '.join(METHODS)}", "method"
        ) from None
