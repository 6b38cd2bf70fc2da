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
from .methods import LearnedRanker
from .ppr import distinct
from .ranker import LinearModel
from .scoring import aa_right, comparisons_touching

__all__ = [
    "COMPARISON_FEATURES",
    "PAGE_WEIGHTS",
    "PageModel",
    "PageWeights",
    "TOPIC_FEATURES",
    "page_model",
    "whole_rows",
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
        return FeatureSpace.of(self.engine)

    @cached_property
    def ranker(self) -> LinearModel:
        return LearnedRanker.model(self.engine)

    def prepare(self) -> PageModel:
        """Derive now everything scoring reads from the content (the ranker, the
        feature space's tables, the PageRank operator), so that a copy shipped without
        the content (an index build's workers) can score pages."""
        self.prepare_tables()
        _ = self.ranker, self.background
        return self

    def prepare_tables(self) -> PageModel:
        """What ``prepare`` derives, but for the topic ranker and what depends on it."""
        e, space = self.engine, self.space
        _ = e.node_adjacency
        _ = space.kinds, space.domains, space.hubness, space.tag_vectors, space.tag_vectors_t
        _ = space.text_vectors, space.text_vectors_t, space.ppr.columns
        aa_right(e, True), aa_right(e, False)
        return self

    # ------------------------------------------------------------ per seed
    def affinities(self, seeds: list[int], batch: bool = False) -> np.ndarray:
        """(len(seeds), n_topics) ranker logits, and each seed ON_PAGE to itself.

        With ``batch`` the seeds' PageRanks are one block product (stacks, large index
        builds), equal to the one-by-one result up to rounding."""
        return self.inputs(seeds, batch, relations=False)[0]

    def top_affinities(
        self, seeds: list[int], keep: int, tolerance: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Each seed's ``keep`` best affinities, as ids (len(seeds), keep) and values,
        with work bounded by each seed's neighbourhood: its PageRank by local push
        (``PPR.push`` with ``tolerance``), its features read where some neighbourhood
        feature is non-zero, and, of every other topic (whose affinity then depends on
        kind, domain and hubness only), the few that could rank among the ``keep``
        best (``background``). Equal to the best ``keep`` of the whole row
        (``affinities``) but for the push's error and the order of ties."""
        n = self.engine.n_topics
        walks = self.space.ppr.push(seeds, tolerance)
        ids = np.empty((len(seeds), keep), dtype=np.int32)
        values = np.empty((len(seeds), keep), dtype=np.float32)
        for j, seed in enumerate(seeds):
            lo, hi = walks.indptr[j], walks.indptr[j + 1]
            reached, mass = walks.indices[lo:hi], walks.data[lo:hi]
            topics = reached < n
            f = self.space.seed_features(seed, (reached[topics], mass[topics]), local=True)
            near = f.support()
            cand = distinct(np.r_[near, self.background.candidates(seed, keep + len(near))])
            logits = self.ranker.logits(f.at(cand))
            logits[cand == seed] = ON_PAGE
            best = np.argpartition(-logits, keep - 1)[:keep]
            ids[j], values[j] = cand[best], logits[best]
        return ids, values

    @cached_property
    def background(self) -> Background:
        return Background(self.space, self.ranker)

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
            ppr = self.space.ppr.vectors([[s] for s in seeds], sparse_start=True)[:n]
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
        # the two sides as two columns: elementwise operations on them cost a fraction
        # of reductions along rows of two
        ends = e.comparison_ends[cand]
        on_page = np.zeros(e.n_topics, dtype=bool)
        on_page[seeds] = True
        best = aff.max(axis=0)
        return _comparison_matrix(
            ends[:, 0], ends[:, 1], on_page, best, rel, self.space.kinds, page
        )

    def topic_features(self, cand: np.ndarray, aff: np.ndarray, rel: dict, page: str) -> np.ndarray:
        return _topic_matrix(cand, self.space.hubness[cand], aff.max(axis=0), rel, page)

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
        m = len(e.comparison_ends)
        if m <= FULL_SCAN:
            cand = np.arange(m)
            topics = np.arange(e.n_topics)
        else:
            near = _top(best, min(NEAR, e.n_topics))
            near = distinct(np.r_[near, seeds, *[e.partners(s) for s in seeds]])
            cand = comparisons_touching(e, near)
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

    def score_rows(
        self,
        seeds: list[int],
        page: str,
        skip_comparisons: np.ndarray | list[int],
        skip_topics: np.ndarray | list[int],
        rows: list[tuple[np.ndarray, np.ndarray]],
    ) -> PageCandidates:
        """``score`` from truncated affinity rows, reading only the topics near the page.

        ``rows`` holds each seed's kept affinities as (distinct topic ids, values); every
        other topic reads as the row's smallest kept value (as ``_Affinities.rows``
        makes them whole). Past FULL_SCAN comparisons ``score`` reads its features at
        the sides of the comparisons touching the page's NEAR best topics only, so this
        computes them there and nowhere else: the work follows the page's
        neighbourhood, where whole rows cost a pass over every topic per feature. Equal
        to ``score`` on the whole rows (both take the NEAR best with ties by id).
        """
        e = self.engine
        n, m = e.n_topics, len(e.comparison_ends)
        if m <= FULL_SCAN or self.weights is None:  # every comparison is read anyway
            whole = whole_rows(rows, n)
            return self.score(seeds, page, skip_comparisons, skip_topics, aff=whole)
        seeds = [int(s) for s in seeds]
        # the page's best affinity at every kept topic; any other topic has `floor`
        floor = max(float(values.min()) for _, values in rows)
        kept = distinct(np.concatenate([ids for ids, _ in rows]).astype(np.int64))
        kept_best = np.full(len(kept), floor)
        for ids, values in rows:
            at = np.searchsorted(kept, ids)
            kept_best[at] = np.maximum(kept_best[at], values)
        k = min(NEAR, n)
        above = kept_best > floor
        if above.sum() >= k:
            top = kept[_top(kept_best, k)]
        else:  # the k-th best ties at the floor with every topic not above it
            above = kept[above]
            ties = np.setdiff1d(np.arange(min(n, k + len(above))), above)[: k - len(above)]
            top = np.concatenate([above, ties])
        partners = [e.partners(s) for s in seeds]
        near = distinct(np.concatenate([top, seeds, *partners]).astype(np.int64))
        cand = comparisons_touching(e, near)
        cand = cand[~_positions(np.sort(np.asarray(skip_comparisons, np.int64)), cand)[0]]
        topics = near[~_positions(np.sort(np.asarray(skip_topics, np.int64)), near)[0]]
        ends = e.comparison_ends[cand]
        # every topic a feature is read at, and where each topic is among them (-1: not)
        at = distinct(np.concatenate([ends.ravel(), topics]).astype(np.int64))
        where = np.full(n, -1, dtype=np.int64)
        where[at] = np.arange(len(at))
        best = np.full(len(at), floor)
        hit, found = _positions(kept, at)
        best[hit] = kept_best[found]
        rel = self._relations_at(seeds, at, where, partners)
        on_page = np.zeros(len(at), dtype=bool)
        seen = where[seeds]
        on_page[seen[seen >= 0]] = True  # a topic page skips its own topic
        first, second = where[ends[:, 0]], where[ends[:, 1]]
        x = _comparison_matrix(first, second, on_page, best, rel, self.space.kinds[at], page)
        pc = _sigmoid(self.weights.comparisons.logits(x))
        x = _topic_matrix(where[topics], self.space.hubness[topics], best, rel, page)
        pt = _sigmoid(self.weights.topics.logits(x))
        oc = np.lexsort((cand, -pc))[:CANDIDATES]
        ot = np.lexsort((topics, -pt))[:MAX_LIMIT]
        return PageCandidates(cand[oc], pc[oc], topics[ot], pt[ot])

    def _relations_at(
        self, seeds: list[int], at: np.ndarray, where: np.ndarray, partners: list[np.ndarray]
    ) -> dict[str, np.ndarray]:
        """``_relations`` read at the topics ``at`` only, the same values; ``where`` is
        each topic's position among them, or -1."""
        e, space = self.engine, self.space

        def positions(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            found = where[ids]
            keep = found >= 0
            return found[keep], keep

        size = len(at)
        related = np.zeros(size, dtype=bool)
        related_to = np.zeros(size, dtype=np.int64)
        kind = np.zeros(size, dtype=bool)
        compared = np.zeros(size, dtype=bool)
        tags, text = np.zeros(size), np.zeros(size)
        kinds = space.kinds[at]
        rel = e.related_topics
        for i, s in enumerate(seeds):
            near, _ = positions(rel.indices[rel.indptr[s] : rel.indptr[s + 1]])
            related[near] = True
            related_to[near] |= 1 << min(i, 62)
            kind |= kinds == space.kinds[s]
            compared[positions(partners[i])[0]] = True
            for out, (rows, columns) in (
                (tags, (space.tag_vectors, space.tag_vectors_t)),
                (text, (space.text_vectors, space.text_vectors_t)),
            ):
                ids, values = space._spread_row(rows, columns, s, local=True)
                found, keep = positions(ids)
                out[found] = np.maximum(out[found], values[keep])
        return {
            "compared": compared,
            "related": related,
            "related_to": related_to,
            "kind": kind,
            "tags": tags,
            "text": text,
        }


class Background:
    """Topics in no seed's neighbourhood, best first.

    A topic that no neighbourhood feature of a seed reaches (no PageRank mass, no
    shared neighbour, tag or word) differs from the others only by kind, domain and
    hubness: within each of the four classes "same kind as the seed or not" times
    "same domain or not", its affinity orders it by hubness alone. So the best
    ``count`` of each class, read from lists sorted once, hold the best ``count`` of
    all such topics, whatever the ranker's weights.
    """

    def __init__(self, space: FeatureSpace, ranker: LinearModel):
        n = space.engine.n_topics
        self.kinds, self.domains = space.kinds, space.domains
        weight = ranker.coef[FEATURES.index("hubness")]
        self.order = np.lexsort((np.arange(n), -weight * space.hubness))
        kinds, domains = self.kinds[self.order], self.domains[self.order]
        self.by_kind = _groups(self.order, kinds)
        self.by_domain = _groups(self.order, domains)
        # one key per (kind, domain); domains run from -1 (none) to span - 2
        self.span = int(self.domains.max(initial=0)) + 2
        self.by_both = _groups(self.order, kinds * self.span + domains)

    def candidates(self, seed: int, count: int) -> np.ndarray:
        """Ids holding the best ``count`` of each class for ``seed`` (unsorted)."""
        kinds, domains = self.kinds, self.domains
        k, d = kinds[seed], domains[seed]
        same_kind = self.by_kind[k]
        if d < 0:  # no domain: "same domain" is false for every topic
            other = self.order[: count + len(same_kind)]
            return np.concatenate([same_kind[:count], other[kinds[other] != k][:count]])
        both = self.by_both.get(k * self.span + d, self.order[:0])
        same_domain = self.by_domain[d]
        parts = [both[:count]]
        if len(both) < len(same_kind):  # same kind, another domain
            head = same_kind[: count + len(both)]
            parts.append(head[domains[head] != d][:count])
        if len(both) < len(same_domain):  # same domain, another kind
            head = same_domain[: count + len(both)]
            parts.append(head[kinds[head] != k][:count])
        if len(same_kind) + len(same_domain) - len(both) < len(self.order):  # neither
            head = self.order[: count + len(same_kind) + len(same_domain)]
            parts.append(head[(kinds[head] != k) & (domains[head] != d)][:count])
        return np.concatenate(parts)


def _groups(order: np.ndarray, keys: np.ndarray) -> dict[int, np.ndarray]:
    """``order`` split by ``keys`` (aligned with it), each part keeping its order."""
    by_key = np.argsort(keys, kind="stable")
    values, starts = np.unique(keys[by_key], return_index=True)
    parts = np.split(order[by_key], starts[1:])
    return {int(v): part for v, part in zip(values.tolist(), parts, strict=True)}


def whole_rows(rows: list[tuple[np.ndarray, np.ndarray]], n: int) -> np.ndarray:
    """Truncated affinity rows ((kept topic ids, values) each) made whole over ``n``
    topics: every topic not kept reads as its row's smallest kept value, which leaves
    it behind every kept one."""
    out = np.empty((len(rows), n))
    for i, (ids, values) in enumerate(rows):
        out[i] = values.min()
        out[i, ids] = values
    return out


def _comparison_matrix(
    first: np.ndarray,
    second: np.ndarray,
    on_page: np.ndarray,
    best: np.ndarray,
    rel: dict,
    kinds: np.ndarray,
    page: str,
) -> np.ndarray:
    """COMPARISON_FEATURES of comparisons whose sides are at positions ``first`` and
    ``second`` of the per-topic arrays (``on_page``, ``best``, ``rel``'s, ``kinds``):
    topic ids when those cover every topic, or positions in a page's few topics."""
    on1, on2 = on_page[first], on_page[second]
    a1, a2 = np.where(on1, ON_PAGE, best[first]), np.where(on2, ON_PAGE, best[second])
    # a side that is on the page contributes nothing to the counts below
    off1, off2 = ~on1, ~on2

    def count(flags: np.ndarray) -> np.ndarray:  # of the sides that are off the page
        return np.add(flags[first] & off1, flags[second] & off2, dtype=np.float64)

    def low(values: np.ndarray) -> np.ndarray:  # of the weaker side, 1 when on the page
        return np.minimum(np.where(on1, 1.0, values[first]), np.where(on2, 1.0, values[second]))

    related_to = rel["related_to"]
    out = np.empty((len(first), len(COMPARISON_FEATURES)))
    out[:, 0] = on1 | on2
    out[:, 1] = np.minimum(a1, a2)
    out[:, 2] = np.maximum(a1, a2)
    out[:, 3] = count(rel["compared"])
    out[:, 4] = count(rel["related"])
    out[:, 5] = off1 & off2 & ((related_to[first] & related_to[second]) != 0)
    out[:, 6] = count(rel["kind"])
    out[:, 7] = low(rel["tags"])
    out[:, 8] = low(rel["text"])
    out[:, 9] = kinds[first] == kinds[second]
    out[:, 10] = page == "topic"
    out[:, 11] = page == "stack"
    return out


def _topic_matrix(
    at: np.ndarray, hubness: np.ndarray, best: np.ndarray, rel: dict, page: str
) -> np.ndarray:
    """TOPIC_FEATURES of the topics at positions ``at`` of the per-topic arrays, whose
    hubness is ``hubness``."""
    return np.column_stack(
        [
            best[at],
            rel["compared"][at],
            rel["related"][at],
            rel["kind"][at],
            rel["tags"][at],
            rel["text"][at],
            hubness,
            np.full(len(at), page == "topic"),
            np.full(len(at), page == "stack"),
        ]
    ).astype(np.float64)


def _top(values: np.ndarray, k: int) -> np.ndarray:
    """Positions of the ``k`` largest ``values``, ties at the k-th by lower position,
    so that a page's NEAR best topics do not depend on how a selection breaks ties."""
    if len(values) <= k:
        return np.arange(len(values))
    kth = values[np.argpartition(-values, k - 1)[:k]].min()
    above = np.flatnonzero(values > kth)
    return np.r_[above, np.flatnonzero(values == kth)[: k - len(above)]]


def _positions(ids: np.ndarray, at: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``at``: whether it is among ``ids`` (sorted, distinct), and where
    (the positions of those found, in ``at``'s order)."""
    if len(ids) == 0:
        return np.zeros(len(at), dtype=bool), np.zeros(0, dtype=np.int64)
    where = np.searchsorted(ids, at)
    where[where == len(ids)] = 0
    found = ids[where] == at
    return found, where[found]


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def page_model(engine: Engine) -> PageModel:
    """The engine's PageModel, built once."""
    return engine.derived("page-model", lambda: PageModel(engine))
