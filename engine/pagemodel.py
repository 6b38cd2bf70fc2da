"""From topic affinities to what a page shows: the probability a reader wants each
candidate, for comparisons ("You might also compare...") and related topics.

The learned topic ranker (``ranker.py``) says how close each topic is to each seed.
A page needs more: a comparison is worth showing when it bears on the reader's
decision, which depends on how its *two* sides relate to the page (one of them is on
the page, one is compared with a side, both are the same kind of tool, both list a
side as related...). PageModel turns those relations into features and a logistic
regression turns them into P(the reader would click it), fitted on reader judgments
(``eval/fit_page_model.py``, development queries only). The weights ship with the code
in ``page_model.json``; the probabilities are what the confidence floor cuts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np

from .candidates import CANDIDATES, MAX_LIMIT, PageCandidates
from .core import Engine
from .features import FEATURES, FeatureSpace
from .ppr import slice_positions
from .ranker import LinearModel, fit_topic_model

__all__ = [
    "COMPARISON_FEATURES",
    "PAGE_WEIGHTS",
    "PageModel",
    "PageWeights",
    "TOPIC_FEATURES",
    "page_model",
]

COMPARISON_FEATURES = (
    "shares_side",  # one side is on the page
    "affinity_low",  # the weaker non-page side's affinity to the page (ranker logit)
    "affinity_high",  # the stronger one's
    "compared_sides",  # non-page sides compared with a side of the page (0-2)
    "related_sides",  # non-page sides that list, or are listed by, a side (0-2)
    "related_pair",  # both sides list (or are listed by) one and the same side: the
    # next decision around it (Helm vs Kustomize around Kubernetes)
    "kind_sides",  # non-page sides of the same kind as a side of the page (0-2)
    "tags_low",  # the weaker non-page side's rarity-weighted tag overlap with the page
    "text_low",  # the weaker non-page side's word overlap (TF-IDF cosine) with the page
    "same_kind_pair",  # the two sides are of one kind (real alternatives)
    "topic_page",  # the page is a topic's (its own comparisons are listed on it)
    "stack_page",  # the page is a reader's stack (else a comparison's)
)
TOPIC_FEATURES = (
    "affinity",
    "compared",
    "related",
    "same_kind",
    "tags",
    "text",
    "hubness",
    "topic_page",
    "stack_page",
)
PAGES = ("comparison", "topic", "stack")
# A side that is on the page counts as this close (a ranker logit): closer than any
# other topic can be, so a comparison is judged by its other side.
ON_PAGE = 8.0
# Up to this many comparisons a page scores them all; past it, only those touching
# its NEAR best topics (with its own topics and their partners): the best candidates
# have both sides among a page's closest topics.
FULL_SCAN = 20_000
NEAR = 64
WEIGHTS_FILE = Path(__file__).with_name("page_model.json")
TAG_COLUMN = FEATURES.index("tag_cosine")
TEXT_COLUMN = FEATURES.index("text_cosine")


@dataclass(frozen=True)
class PageWeights:
    comparisons: LinearModel
    topics: LinearModel
    fitted_on: str = ""

    @classmethod
    def load(cls, path: Path = WEIGHTS_FILE) -> PageWeights:
        doc = json.loads(path.read_text())

        def model(part: dict, names: tuple[str, ...]) -> LinearModel:
            coef = tuple(float(part["features"][n]) for n in names)
            return LinearModel(names, coef, float(part["intercept"]), part.get("rows", 0))

        return cls(
            model(doc["comparisons"], COMPARISON_FEATURES),
            model(doc["topics"], TOPIC_FEATURES),
            doc.get("fitted_on", ""),
        )

    def to_dict(self) -> dict:
        return {
            "fitted_on": self.fitted_on,
            "comparisons": self.comparisons.to_dict(),
            "topics": self.topics.to_dict(),
        }


def _load_weights() -> PageWeights | None:
    """The shipped weights, or None when missing or fitted for other features (then
    ``eval/fit_page_model.py`` must be run before pages can be scored)."""
    try:
        return PageWeights.load()
    except (OSError, KeyError, ValueError):
        return None


PAGE_WEIGHTS = _load_weights()


class PageModel:
    """Candidate features and probabilities for pages of one engine."""

    def __init__(self, engine: Engine, weights: PageWeights | None = None):
        self.engine = engine
        self.weights = weights or PAGE_WEIGHTS

    @cached_property
    def space(self) -> FeatureSpace:
        return self.engine.derived("feature-space", lambda: FeatureSpace(self.engine))

    @cached_property
    def ranker(self) -> LinearModel:
        return self.engine.derived("topic-model", lambda: fit_topic_model(self.engine))

    # ------------------------------------------------------------ per seed
    def affinities(self, seeds: list[int], batch: bool = False) -> np.ndarray:
        """(len(seeds), n_topics) ranker logits, and each seed ON_PAGE to itself.

        With ``batch`` the seeds' PageRanks are one block product (stacks, large index
        builds), equal to the one-by-one result up to rounding."""
        return self.inputs(seeds, batch, relations=False)[0]

    def relations(self, seeds: list[int]) -> dict[str, np.ndarray]:
        """Per topic: compared with / related to / same kind as a seed, tag and word
        overlap with the closest seed."""
        space = self.space
        tags = [space.similarity(space.tag_vectors, space.tag_vectors_t, s) for s in seeds]
        text = [space.similarity(space.text_vectors, space.text_vectors_t, s) for s in seeds]
        return self._relations(seeds, tags, text)

    def inputs(
        self, seeds: list[int], batch: bool = False, relations: bool = True
    ) -> tuple[np.ndarray, dict | None]:
        """Affinities and relations of a page's seeds, each seed's features computed
        once (``affinities`` and ``relations`` in one pass)."""
        n = self.engine.n_topics
        ppr = None
        if batch:
            ppr = self.space.ppr.vectors_sparse_start([[s] for s in seeds])[:n]
        aff = np.empty((len(seeds), n))
        tags, text = [], []
        for i, s in enumerate(seeds):
            x = self.space.columns(s, None if ppr is None else ppr[:, i])
            aff[i] = self.ranker.logits(x)
            aff[i, s] = ON_PAGE
            tags.append(x[:, TAG_COLUMN])
            text.append(x[:, TEXT_COLUMN])
        return aff, (self._relations(seeds, tags, text) if relations else None)

    def _relations(self, seeds, tags: list[np.ndarray], text: list[np.ndarray]) -> dict:
        e, space = self.engine, self.space
        n = e.n_topics
        compared = np.zeros(n, dtype=bool)
        related = np.zeros(n, dtype=bool)
        # bit i: related to seed i (the first 62 seeds; a stack has at most 10)
        related_to = np.zeros(n, dtype=np.int64)
        kind = np.zeros(n, dtype=bool)
        rel = e.related_topics
        for i, s in enumerate(seeds):
            compared[e.partners(s)] = True
            near = rel.indices[rel.indptr[s] : rel.indptr[s + 1]]
            related[near] = True
            related_to[near] |= 1 << min(i, 62)
            kind |= space.kinds == space.kinds[s]
        return {
            "compared": compared,
            "related": related,
            "related_to": related_to,
            "kind": kind,
            "tags": np.max(tags, axis=0),
            "text": np.max(text, axis=0),
        }

    # ------------------------------------------------------------ features
    def comparison_features(
        self, seeds: list[int], cand: np.ndarray, aff: np.ndarray, rel: dict, page: str
    ) -> np.ndarray:
        e = self.engine
        ends = e.comparison_ends[cand]  # (m, 2)
        best = aff.max(axis=0)
        on_page = np.zeros(e.n_topics, dtype=bool)
        on_page[seeds] = True
        side_on = on_page[ends]
        a = np.where(side_on, ON_PAGE, best[ends])
        # a side that is on the page contributes nothing to the counts below
        off = ~side_on
        tags = np.where(side_on, 1.0, rel["tags"][ends])
        text = np.where(side_on, 1.0, rel["text"][ends])
        kinds = self.space.kinds[ends]
        return np.column_stack(
            [
                side_on.any(axis=1),
                a.min(axis=1),
                a.max(axis=1),
                (rel["compared"][ends] & off).sum(axis=1),
                (rel["related"][ends] & off).sum(axis=1),
                (off.all(axis=1))
                & ((rel["related_to"][ends[:, 0]] & rel["related_to"][ends[:, 1]]) != 0),
                (rel["kind"][ends] & off).sum(axis=1),
                tags.min(axis=1),
                text.min(axis=1),
                kinds[:, 0] == kinds[:, 1],
                np.full(len(cand), page == "topic"),
                np.full(len(cand), page == "stack"),
            ]
        ).astype(np.float64)

    def topic_features(self, cand: np.ndarray, aff: np.ndarray, rel: dict, page: str) -> np.ndarray:
        best = aff.max(axis=0)
        return np.column_stack(
            [
                best[cand],
                rel["compared"][cand],
                rel["related"][cand],
                rel["kind"][cand],
                rel["tags"][cand],
                rel["text"][cand],
                self.space.hubness[cand],
                np.full(len(cand), page == "topic"),
                np.full(len(cand), page == "stack"),
            ]
        ).astype(np.float64)

    # ------------------------------------------------------------ a page
    def score(
        self,
        seeds: list[int],
        page: str,
        skip_comparisons: np.ndarray | list[int] = (),
        skip_topics: np.ndarray | list[int] = (),
        aff: np.ndarray | None = None,
    ) -> PageCandidates:
        """Every candidate's probability of being wanted on this page, best first
        (ties by id). ``aff`` is the seeds' affinity rows when already computed (the
        index)."""
        if self.weights is None:
            raise RuntimeError("no page model weights: run eval/fit_page_model.py")
        e = self.engine
        if aff is None:
            aff, rel = self.inputs(seeds)
        else:
            rel = self.relations(seeds)
        best = aff.max(axis=0)
        m = len(e.comparison_slugs)
        if m <= FULL_SCAN:
            cand = np.arange(m)
            topics = np.arange(e.n_topics)
        else:
            k = min(NEAR, e.n_topics)
            near = np.argpartition(-best, k - 1)[:k]
            near = np.union1d(near, np.r_[seeds, *[e.partners(s) for s in seeds]])
            cand = np.unique(
                e.topic_comparisons.indices[slice_positions(e.topic_comparisons, near)[0]]
            )
            topics = near
        cand = cand[~np.isin(cand, np.asarray(skip_comparisons, dtype=np.int64))]
        topics = topics[~np.isin(topics, np.asarray(skip_topics, dtype=np.int64))]
        pc = _sigmoid(
            self.weights.comparisons.logits(self.comparison_features(seeds, cand, aff, rel, page))
        )
        pt = _sigmoid(self.weights.topics.logits(self.topic_features(topics, aff, rel, page)))
        oc = np.lexsort((cand, -pc))[:CANDIDATES]
        ot = np.lexsort((topics, -pt))[:MAX_LIMIT]
        return PageCandidates(cand[oc], pc[oc], topics[ot], pt[ot])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def page_model(engine: Engine) -> PageModel:
    """The engine's PageModel, built once."""
    return engine.derived("page-model", lambda: PageModel(engine))
