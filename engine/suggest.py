"""Suggestions for a comparison page, a topic page, or any stack of 1-10 topics.

Each suggestion names a page that exists, never the query's own page, and carries
its score and reasons. Page suggestions come from the precomputed index when one is
attached (the site's case); ad-hoc stacks and non-default methods are computed on
demand on the engine's cached matrices.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

import numpy as np

from graph import TopicGraph
from graph.errors import BadRequest, NotFound

from .core import Engine
from .methods import DEFAULT_METHOD, BlendedPPR, get_method
from .reasons import comparison_reasons, topic_reasons
from .scoring import diversify, rank_comparisons, rank_topics

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Recommender",
    "Suggestion",
    "Suggestions",
    "check_limit",
]

DEFAULT_LIMIT = 6
MAX_LIMIT = 50
# Candidates kept per page before diversity is applied: enough that a diverse list
# of MAX_LIMIT can almost always be filled.
CANDIDATES = 3 * MAX_LIMIT


def check_limit(limit: int | None) -> int:
    """The list length to use; BadRequest outside 1..MAX_LIMIT."""
    if limit is None:
        return DEFAULT_LIMIT
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}", "limit")
    return limit


@dataclass(frozen=True)
class Suggestion:
    """One suggested page: a comparison or a topic."""

    kind: str  # "comparison" or "topic"
    slug: str
    title: str
    score: float
    reasons: tuple[str, ...]
    topics: tuple[str, ...]

    def to_dict(self) -> dict:
        d = asdict(self)
        d["reasons"] = list(self.reasons)
        d["topics"] = list(self.topics)
        return d


@dataclass(frozen=True)
class Suggestions:
    """What to compare next, and which topics are close, for one query."""

    query: dict
    method: str
    comparisons: list[Suggestion] = field(default_factory=list)
    topics: list[Suggestion] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "method": self.method,
            "comparisons": [s.to_dict() for s in self.comparisons],
            "topics": [s.to_dict() for s in self.topics],
        }


@dataclass
class PageCandidates:
    """A page's ranked candidates before diversity: what the index stores."""

    comparisons: np.ndarray  # comparison ids, best first
    comparison_scores: np.ndarray
    topics: np.ndarray  # topic ids, best first
    topic_scores: np.ndarray


class Recommender:
    """Suggestions over one TopicGraph.

    >>> import graph
    >>> rec = Recommender(graph.load())
    >>> s = rec.for_comparison("mysql-vs-postgresql")
    >>> len(s.comparisons), "mysql-vs-postgresql" in [c.slug for c in s.comparisons]
    (6, False)
    >>> all(c.reasons for c in s.comparisons)
    True
    """

    def __init__(self, tg: TopicGraph, index=None):
        self.tg = tg
        self.engine = index.engine if index is not None else Engine(tg)
        self.index = index

    # ------------------------------------------------------------ page definitions
    def page_seeds(self, kind: str, slug: str) -> tuple[list[int], set[int], list[int]]:
        """(seed topics, comparisons to leave out, topics to leave out) for a page."""
        e = self.engine
        if kind == "comparison":
            c = self.tg.comparison(slug)
            seeds = [e.topic_id[c.a.topic], e.topic_id[c.b.topic]]
            return seeds, {e.comparison_id[c.slug]}, seeds
        topic = self.tg.topic(slug)
        t = e.topic_id[topic.slug]
        own = {int(c) for c in e.comparisons_of(t)}
        return [t], own, [t, *e.partners(t).tolist()]

    def page_candidates(self, kind: str, slug: str, method: str | None = None) -> PageCandidates:
        """Ranked candidates of one page, from the index when it has them."""
        name = method or DEFAULT_METHOD
        if self.index is not None and name == DEFAULT_METHOD:
            found = self.index.get(kind, self._canonical(kind, slug))
            if found is not None:
                return found
        seeds, skip_c, skip_t = self.page_seeds(kind, slug)
        scores = get_method(name).topic_scores(self.engine, seeds)
        return candidates_from_scores(self.engine, scores, seeds, skip_c, skip_t)

    def _canonical(self, kind: str, slug: str) -> str:
        if kind == "comparison":
            return self.tg.comparison(slug).slug
        return self.tg.topic(slug).slug

    # ------------------------------------------------------------ public queries
    def for_comparison(
        self, slug: str, limit: int | None = None, method: str | None = None, diverse: bool = True
    ) -> Suggestions:
        """Suggestions for the page of comparison ``slug`` (either order, aliases)."""
        limit = check_limit(limit)
        c = self.tg.comparison(slug)
        seeds, _, _ = self.page_seeds("comparison", c.slug)
        cand = self.page_candidates("comparison", c.slug, method)
        query = {"type": "comparison", "slug": c.slug, "topics": [c.a.topic, c.b.topic]}
        return self._assemble(query, method, cand, seeds, limit, diverse)

    def for_topic(
        self, slug: str, limit: int | None = None, method: str | None = None, diverse: bool = True
    ) -> Suggestions:
        """Suggestions for the page of topic ``slug`` (or an alias)."""
        limit = check_limit(limit)
        topic = self.tg.topic(slug)
        seeds, _, _ = self.page_seeds("topic", topic.slug)
        cand = self.page_candidates("topic", topic.slug, method)
        query = {"type": "topic", "slug": topic.slug, "topics": [topic.slug]}
        return self._assemble(query, method, cand, seeds, limit, diverse)

    def for_topics(
        self,
        slugs: list[str],
        limit: int | None = None,
        method: str | None = None,
        diverse: bool = True,
    ) -> Suggestions:
        """Suggestions for a reader's stack of 1-10 topics, computed on demand.

        >>> import graph
        >>> s = Recommender(graph.load()).for_topics(["python", "postgres"], limit=4)
        >>> s.query["topics"], len(s.comparisons)
        (['python', 'postgresql'], 4)
        """
        limit = check_limit(limit)
        seeds = self.engine.seed_ids(slugs)
        chosen = get_method(method)
        if isinstance(chosen, BlendedPPR):
            scores = chosen.topic_scores(self.engine, seeds, per_seed=False)
        else:
            scores = chosen.topic_scores(self.engine, seeds)
        topics = [self.engine.topic_slugs[s] for s in seeds]
        query = {"type": "topics", "topics": topics}
        # Rank a few times the list length; only when diversity leaves the list short
        # is the full candidate list needed.
        count = min(CANDIDATES, 5 * limit)
        cand = candidates_from_scores(self.engine, scores, seeds, set(), seeds, count, limit)
        result = self._assemble(query, method, cand, seeds, limit, diverse)
        if len(result.comparisons) < limit and len(cand.comparisons) == count < CANDIDATES:
            cand = candidates_from_scores(self.engine, scores, seeds, set(), seeds)
            result = self._assemble(query, method, cand, seeds, limit, diverse)
        return result

    def _assemble(self, query, method, cand: PageCandidates, seeds, limit, diverse) -> Suggestions:
        e = self.engine
        ranked = list(zip(cand.comparisons.tolist(), cand.comparison_scores.tolist(), strict=True))
        chosen = diversify(e, ranked, limit) if diverse else ranked[:limit]
        comparisons = []
        for cid, score in chosen:
            comp = self.tg.comparisons[e.comparison_slugs[cid]]
            a, b = sorted((comp.a.topic, comp.b.topic))
            comparisons.append(
                Suggestion(
                    "comparison",
                    comp.slug,
                    f"{self.tg.topics[a].name} vs {self.tg.topics[b].name}",
                    round(score, 6),
                    tuple(comparison_reasons(e, cid, seeds)),
                    (a, b),
                )
            )
        topics = []
        for tid, score in zip(
            cand.topics[:limit].tolist(), cand.topic_scores[:limit].tolist(), strict=True
        ):
            slug = e.topic_slugs[tid]
            topics.append(
                Suggestion(
                    "topic",
                    slug,
                    self.tg.topics[slug].name,
                    round(score, 6),
                    tuple(topic_reasons(e, tid, seeds)),
                    (slug,),
                )
            )
        return Suggestions(query, method or DEFAULT_METHOD, comparisons, topics)

    def resolve(self, slug: str) -> tuple[str, str]:
        """('comparison' or 'topic', canonical slug) for a page slug; NotFound else."""
        if "-vs-" in slug:
            comp = self.tg.find_comparison(slug)
            if comp is not None:
                return "comparison", comp.slug
        if self.tg.resolve_topic(slug) is not None:
            return "topic", self.tg.resolve_topic(slug)
        if "-vs-" in slug:
            raise NotFound("comparison", slug, self.tg.similar_comparisons(slug))
        raise NotFound("topic or comparison", slug, self.tg.similar_topics(slug))


def candidates_from_scores(
    engine: Engine,
    scores: np.ndarray,
    seeds: list[int],
    skip_comparisons,
    skip_topics,
    comparisons: int = CANDIDATES,
    topics: int = MAX_LIMIT,
) -> PageCandidates:
    comps = rank_comparisons(engine, scores, seeds, skip_comparisons, comparisons)
    topics = rank_topics(engine, scores, skip_topics, topics)
    return PageCandidates(
        np.array([c for c, _ in comps], dtype=np.int64),
        np.array([v for _, v in comps], dtype=np.float64),
        np.array([t for t, _ in topics], dtype=np.int64),
        np.array([v for _, v in topics], dtype=np.float64),
    )
