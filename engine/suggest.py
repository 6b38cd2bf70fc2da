"""Suggestions for a comparison page, a topic page, or any stack of 1-10 topics.

The default method shows a reader only what clears a calibrated confidence floor:
each candidate carries the page model's probability that this page's reader would
click it (``pagemodel.py``), and a list takes candidates while that probability is at
least FLOOR, and while it is at least LOW_FLOOR until MIN_SHOWN are in. A list may so
come out shorter than its limit, even below MIN_SHOWN or empty when the graph has
nothing close enough, and then says so; a page is never left with no suggestion at
all while a candidate with a real link exists. Every shown suggestion carries evidence
of why (``evidence.py``) and at least one piece of it says how it bears on the page:
popularity alone never is a reason.

A stack is served part by part: each of its topics first gets the best suggestion that
involves it, or a topic compared with it or related to it, then the rest is filled by
probability, no part taking more than its share.

Other methods (the baselines) rank by their topic scores as before, fill the list to
its limit and keep no topic in more than half of it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from pickgraph.graph import TopicGraph
from pickgraph.graph.errors import BadRequest

from .candidates import CANDIDATES, DEFAULT_LIMIT, MAX_LIMIT, PageCandidates
from .core import Engine
from .evidence import Evidence, comparison_evidence, has_link, records, topic_evidence
from .methods import DEFAULT_METHOD, BlendedPPR, Method, get_method
from .pagemodel import page_model
from .scoring import diversify, rank_comparisons, rank_topics

__all__ = [
    "DEFAULT_LIMIT",
    "FLOOR",
    "LOW_FLOOR",
    "MAX_LIMIT",
    "MIN_SHOWN",
    "Recommender",
    "Suggestion",
    "Suggestions",
    "check_limit",
]

# The probability, by the page model, that the page's reader would click a suggestion
# next. Chosen on the development judgments with each query held out
# (eval/tune_floor.py, docs/evaluation.md): the highest precision that keeps comparison
# and topic pages at three suggestions a list on average.
FLOOR = 0.6
LOW_FLOOR = 0.3
MIN_SHOWN = 3


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
    evidence: tuple[Evidence, ...]
    topics: tuple[str, ...]
    serves: tuple[str, ...] = ()  # on a stack: the stack's topics it serves

    @property
    def reasons(self) -> tuple[str, ...]:
        return tuple(e.text for e in self.evidence)

    def to_dict(self) -> dict:
        out = {
            "kind": self.kind,
            "slug": self.slug,
            "title": self.title,
            "score": self.score,
            "reasons": list(self.reasons),
            "evidence": [e.to_dict() for e in self.evidence],
            "topics": list(self.topics),
        }
        if self.serves:
            out["serves"] = list(self.serves)
        return out


@dataclass(frozen=True)
class Suggestions:
    """What to compare next, and which topics are close, for one query."""

    query: dict
    method: str
    comparisons: list[Suggestion] = field(default_factory=list)
    topics: list[Suggestion] = field(default_factory=list)
    # Per list, a sentence when it came out short because nothing else is close.
    notes: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {
            "query": self.query,
            "method": self.method,
            "comparisons": [s.to_dict() for s in self.comparisons],
            "topics": [s.to_dict() for s in self.topics],
            "notes": {k: self.notes.get(k) for k in ("comparisons", "topics")},
        }


class Recommender:
    """Suggestions over one TopicGraph.

    >>> from pickgraph import graph
    >>> rec = Recommender(graph.load())
    >>> s = rec.for_comparison("mysql-vs-postgresql")
    >>> 1 <= len(s.comparisons) <= 6, "mysql-vs-postgresql" in [c.slug for c in s.comparisons]
    (True, False)
    >>> all(c.evidence for c in s.comparisons)
    True
    """

    def __init__(self, tg: TopicGraph, index=None):
        self.tg = tg
        self.engine = index.engine if index is not None else Engine(tg)
        self.index = index

    def prepare(self) -> Recommender:
        """Derive now everything a page's suggestions derive on first use: the page
        model's tables (with the topic ranker, which a loaded index carries) and the
        topics' pick records that reasons cite. A server calls it before forking its
        workers, so that they share one copy."""
        page_model(self.engine).prepare()
        records(self.engine)
        return self

    # ------------------------------------------------------------ page definitions
    def page_seeds(self, kind: str, slug: str) -> tuple[list[int], set[int], list[int]]:
        """(seed topics, comparisons to leave out, topics to leave out) for a page.

        A comparison page leaves out itself and its two topics; a topic page its own
        comparisons (the page lists them) and itself. ``slug`` is canonical."""
        e = self.engine
        if kind == "comparison":
            seeds = [e.topic_id[t] for t in self.tg.heads[slug].topics]
            return seeds, {e.comparison_id[slug]}, seeds
        t = e.topic_id[slug]
        own = {int(c) for c in e.comparisons_of(t)}
        return [t], own, [t]

    def page_candidates(
        self, kind: str, slug: str, method: str | Method | None = None
    ) -> PageCandidates:
        """Ranked candidates of one page (``slug`` canonical), from the index when it
        has them."""
        chosen = get_method(method)
        if chosen.name == DEFAULT_METHOD and self.index is not None:
            found = self.index.get(kind, slug)
            if found is not None:
                return found
        seeds, skip_c, skip_t = self.page_seeds(kind, slug)
        if chosen.name == DEFAULT_METHOD:
            return page_model(self.engine).score(seeds, kind, sorted(skip_c), skip_t)
        scores = chosen.topic_scores(self.engine, seeds)
        # baselines keep their former page definition: a topic page's related topics
        # leave out the topics it is compared with
        if kind == "topic":
            skip_t = [*skip_t, *self.engine.partners(seeds[0]).tolist()]
        return candidates_from_scores(self.engine, scores, seeds, skip_c, skip_t)

    # ------------------------------------------------------------ public queries
    def for_page(
        self,
        kind: str,
        slug: str,
        limit: int | None = None,
        method: str | Method | None = None,
        diverse: bool = True,
        floor: bool = True,
    ) -> Suggestions:
        """Suggestions for the page of a comparison or topic (``kind``); a slug named
        another way (alias, either order) is resolved. Without ``floor`` the default
        method fills its lists like a baseline (for measuring its ranking apart from
        its floor)."""
        limit = check_limit(limit)
        slug = self.tg.canonical(kind, slug)
        seeds, _, _ = self.page_seeds(kind, slug)
        cand = self.page_candidates(kind, slug, method)
        topics = self.tg.heads[slug].topics if kind == "comparison" else (slug,)
        query = {"type": kind, "slug": slug, "topics": list(topics)}
        return self._assemble(query, method, cand, seeds, limit, diverse, floor=floor)

    def for_comparison(self, slug: str, *args, **kwargs) -> Suggestions:
        """:meth:`for_page` of comparison ``slug``."""
        return self.for_page("comparison", slug, *args, **kwargs)

    def for_topic(self, slug: str, *args, **kwargs) -> Suggestions:
        """:meth:`for_page` of topic ``slug``."""
        return self.for_page("topic", slug, *args, **kwargs)

    def for_topics(
        self,
        slugs: list[str],
        limit: int | None = None,
        method: str | Method | None = None,
        diverse: bool = True,
        floor: bool = True,
    ) -> Suggestions:
        """Suggestions for a reader's stack of 1-10 topics, computed on demand.

        >>> from pickgraph import graph
        >>> s = Recommender(graph.load()).for_topics(["python", "postgres"], limit=4)
        >>> s.query["topics"], 1 <= len(s.comparisons) <= 4
        (['python', 'postgresql'], True)
        """
        limit = check_limit(limit)
        seeds = self.engine.seed_ids(slugs)
        chosen = get_method(method)
        topics = [self.engine.topic_slugs[s] for s in seeds]
        query = {"type": "topics", "topics": topics}
        if chosen.name == DEFAULT_METHOD:
            cand = page_model(self.engine).score(seeds, "stack", (), seeds)
            return self._assemble(query, method, cand, seeds, limit, diverse, True, floor)
        if isinstance(chosen, BlendedPPR):
            scores = chosen.topic_scores(self.engine, seeds, per_seed=False)
        else:
            scores = chosen.topic_scores(self.engine, seeds)
        # Rank a few times the list length; only when diversity leaves the list short
        # is the full candidate list needed.
        count = min(CANDIDATES, 5 * limit)
        cand = candidates_from_scores(self.engine, scores, seeds, set(), seeds, count, limit)
        result = self._assemble(query, method, cand, seeds, limit, diverse)
        if len(result.comparisons) < limit and len(cand.comparisons) == count < CANDIDATES:
            cand = candidates_from_scores(self.engine, scores, seeds, set(), seeds)
            result = self._assemble(query, method, cand, seeds, limit, diverse)
        return result

    # ------------------------------------------------------------ lists
    def _assemble(
        self,
        query,
        method,
        cand: PageCandidates,
        seeds,
        limit,
        diverse,
        stack: bool = False,
        floor: bool = True,
    ) -> Suggestions:
        e = self.engine
        name = get_method(method).name
        ranked = list(zip(cand.comparisons.tolist(), cand.comparison_scores.tolist(), strict=True))
        topics = list(zip(cand.topics.tolist(), cand.topic_scores.tolist(), strict=True))
        notes: dict[str, str] = {}
        if name != DEFAULT_METHOD:
            chosen = diversify(e, ranked, limit) if diverse else ranked[:limit]
            comps = [self._comparison(cid, p, seeds) for cid, p in chosen]
            tops = [self._topic(tid, p, seeds) for tid, p in topics[:limit]]
            return Suggestions(query, name, comps, tops, notes)
        bars = (FLOOR, LOW_FLOOR) if floor else (-1.0, -1.0)
        if stack and len(seeds) > 1:
            comps = self._stack_list(ranked, seeds, limit, bars)
        else:
            comps = self._floored(ranked, seeds, limit, self._comparison, diverse, bars)
        tops = self._floored(topics, seeds, limit, self._topic, False, bars)
        if not comps and not tops:  # never a page with nothing: its best linked suggestion
            comps = self._best_linked(ranked, seeds, self._comparison)
            if not comps:
                tops = self._best_linked(topics, seeds, self._topic)
        for key, items in (("comparisons", comps), ("topics", tops)):
            if floor and len(items) < min(MIN_SHOWN, limit):
                notes[key] = _shortfall(key, len(items))
        return Suggestions(query, name, comps, tops, notes)

    def _floored(self, ranked, seeds, limit, build, diverse, bars) -> list[Suggestion]:
        """The best candidates that clear the floor and have a real link (see above)."""
        out: list[Suggestion] = []
        used: dict[int, int] = {}
        cap = max(1, limit // 2)
        high, low = bars
        for cid, p in ranked:
            if len(out) == limit or p < (high if len(out) >= MIN_SHOWN else low):
                break
            item = build(cid, p, seeds)
            if not has_link(item.evidence):
                continue
            if diverse and build == self._comparison and not _room(self.engine, cid, used, cap):
                continue
            out.append(item)
        return out

    def _best_linked(self, ranked, seeds, build) -> list[Suggestion]:
        for cid, p in ranked:
            item = build(cid, p, seeds)
            if has_link(item.evidence):
                return [item]
        return []

    def _stack_list(self, ranked, seeds, limit, bars) -> list[Suggestion]:
        """Each part of the stack served first, then the rest by probability."""
        e = self.engine
        high, low = bars
        share = math.ceil(limit / len(seeds)) + 1
        serving = _serving(e, [cid for cid, _ in ranked], seeds)
        chosen: list[tuple[int, float]] = []
        load = dict.fromkeys(seeds, 0)

        def take(cid, p) -> bool:
            item = self._comparison(cid, p, seeds)
            if not has_link(item.evidence) or any(c == cid for c, _ in chosen):
                return False
            chosen.append((cid, p))
            for s in serving[cid]:
                load[s] += 1
            return True

        for s in seeds:  # coverage: each part's best, if anything near it is close enough
            if len(chosen) == limit or load[s]:
                continue
            for cid, p in ranked:
                if p < low:
                    break
                if s in serving[cid] and take(cid, p):
                    break
        for cid, p in ranked:
            if len(chosen) == limit or p < (high if len(chosen) >= MIN_SHOWN else low):
                break
            if any(load[s] >= share for s in serving[cid]):
                continue
            take(cid, p)
        chosen.sort(key=lambda x: (-x[1], x[0]))
        return [
            self._comparison(cid, p, seeds, tuple(e.topic_slugs[s] for s in serving[cid]))
            for cid, p in chosen
        ]

    def _comparison(self, cid: int, score: float, seeds, serves=()) -> Suggestion:
        e = self.engine
        comp = self.tg.heads[e.comparison_slugs[cid]]  # topics only: no texts read
        a, b = sorted((comp.a.topic, comp.b.topic))
        return Suggestion(
            "comparison",
            comp.slug,
            self.tg.title(comp.slug),
            round(score, 6),
            tuple(comparison_evidence(e, cid, seeds)),
            (a, b),
            serves,
        )

    def _topic(self, tid: int, score: float, seeds, serves=()) -> Suggestion:
        e = self.engine
        slug = e.topic_slugs[tid]
        return Suggestion(
            "topic",
            slug,
            self.tg.topics[slug].name,
            round(score, 6),
            tuple(topic_evidence(e, tid, seeds)),
            (slug,),
            serves,
        )


def _shortfall(key: str, count: int) -> str:
    """What a short list says: the graph has nothing else close to the page."""
    noun = "comparison" if key == "comparisons" else "topic"
    if count == 0:
        return f"No other {noun} is close enough to this page to suggest."
    if count == 1:
        return f"Only one {noun} is close enough to this page to suggest."
    return f"Only {count} {noun}s are close enough to this page to suggest."


def _room(e: Engine, cid: int, used: dict[int, int], cap: int) -> bool:
    """Whether comparison ``cid`` keeps each of its topics within ``cap`` uses; if so,
    count them."""
    a, b = (int(x) for x in e.comparison_ends[cid])
    if used.get(a, 0) >= cap or used.get(b, 0) >= cap:
        return False
    used[a] = used.get(a, 0) + 1
    used[b] = used.get(b, 0) + 1
    return True


def _serving(e: Engine, cids: list[int], seeds: list[int]) -> dict[int, tuple[int, ...]]:
    """The stack topics each comparison serves: it involves one, or a topic compared
    with one or related to one."""
    ends = e.comparison_ends[np.asarray(cids, dtype=np.int64)].reshape(-1, 2)
    hits = np.zeros((len(cids), len(seeds)), dtype=bool)
    for i, s in enumerate(seeds):
        close = np.zeros(e.n_topics, dtype=bool)
        close[[s, *e.partners(s).tolist(), *_related(e, s)]] = True
        hits[:, i] = close[ends].any(axis=1)
    return {
        cid: tuple(s for s, hit in zip(seeds, row, strict=True) if hit)
        for cid, row in zip(cids, hits.tolist(), strict=True)
    }


def _related(e: Engine, topic: int) -> list[int]:
    rel = e.related_topics
    return rel.indices[rel.indptr[topic] : rel.indptr[topic + 1]].tolist()


def candidates_from_scores(
    engine: Engine,
    scores: np.ndarray,
    seeds: list[int],
    skip_comparisons,
    skip_topics,
    comparisons: int = CANDIDATES,
    topics: int = MAX_LIMIT,
) -> PageCandidates:
    """Candidates of a baseline method, ranked from its topic scores."""
    comps = rank_comparisons(engine, scores, seeds, skip_comparisons, comparisons)
    topics = rank_topics(engine, scores, skip_topics, topics)
    return PageCandidates(
        np.array([c for c, _ in comps], dtype=np.int64),
        np.array([v for _, v in comps], dtype=np.float64),
        np.array([t for t, _ in topics], dtype=np.int64),
        np.array([v for _, v in topics], dtype=np.float64),
    )
