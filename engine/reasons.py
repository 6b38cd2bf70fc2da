"""Human-readable reasons for a suggestion, derived from the graph.

Every suggestion carries at least one: a shared topic, a common comparison partner,
shared tags, a pick record, a shared domain, or as a last resort the path that links
it to the query.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from graph.model import NO_PICK

from .core import Engine

__all__ = ["comparison_reasons", "topic_reasons"]

MAX_REASONS = 3
# Name at most this many shared tags in one reason.
MAX_TAGS = 3


def _name(engine: Engine, topic: int) -> str:
    return engine.tg.topics[engine.topic_slugs[topic]].name


def _tag_name(engine: Engine, tag: str) -> str:
    if tag in engine.tg.topics:
        return engine.tg.topics[tag].name
    return engine.tg.tags[tag].name


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _tags(engine: Engine, topic: int) -> set[str]:
    return set(engine.tg.topics[engine.topic_slugs[topic]].related)


def _shared_tags(engine: Engine, topics: list[int], seeds: list[int]) -> list[str]:
    mine = set().union(*(_tags(engine, t) for t in topics))
    theirs = set().union(*(_tags(engine, s) for s in seeds))
    # one listing the other as related is a reason of its own, not a shared tag
    shared = (mine & theirs) - {engine.topic_slugs[t] for t in topics + seeds}
    # rarest tags first: they say the most
    return sorted(shared, key=lambda t: (len(engine.tg.topics_tagged(t)), t))


def _records(engine: Engine) -> np.ndarray:
    """Per topic: (wins, decided comparisons, comparisons), computed once per engine."""
    cached = engine.__dict__.get("_records")
    if cached is None:
        cached = np.zeros((engine.n_topics, 3), dtype=np.int64)
        for c in engine.tg.comparisons.values():
            for slug in (c.a.topic, c.b.topic):
                row = cached[engine.topic_id[slug]]
                row[2] += 1
                if c.pick != NO_PICK:
                    row[1] += 1
                    row[0] += c.pick == slug
        engine.__dict__["_records"] = cached
    return cached


def _pick_record(engine: Engine, topic: int) -> str | None:
    wins, decided, total = (int(v) for v in _records(engine)[topic])
    if wins >= 2 and wins * 2 >= decided:
        return f"{_name(engine, topic)} is the pick in {wins} of its {total} comparisons"
    return None


def _common_partner(engine: Engine, topic: int, seeds: list[int]) -> str | None:
    mine = set(engine.partners(topic).tolist())
    for s in seeds:
        if s == topic:
            continue
        common = sorted(
            mine & set(engine.partners(s).tolist()), key=lambda p: engine.topic_slugs[p]
        )
        if common:
            return (
                f"{_name(engine, topic)} and {_name(engine, s)} are both compared with "
                f"{_name(engine, common[0])}"
            )
    return None


def _domain(engine: Engine, topics: list[int], seeds: list[int]) -> str | None:
    seed_domains = {engine.tg.topics[engine.topic_slugs[s]].domain for s in seeds}
    for t in topics:
        d = engine.tg.topics[engine.topic_slugs[t]].domain
        if d and d in seed_domains and d in engine.tg.domains:
            return f"also in {engine.tg.domains[d].name}"
    return None


def _path(engine: Engine, topic: int, seeds: list[int]) -> str | None:
    """'linked to X through Y' from a breadth-first search of the node graph."""
    adj = engine.node_adjacency
    targets = set(seeds)
    parent = {topic: -1}
    queue = deque([topic])
    while queue:
        u = queue.popleft()
        if u in targets and u != topic:
            path = [u]
            while parent[path[-1]] != -1:
                path.append(parent[path[-1]])
            middle = [engine.node_slugs[v] for v in path[1:-1]]
            via = _and([_tag_name(engine, m) for m in middle[:2]]) or "a direct link"
            return f"linked to {_name(engine, u)} through {via}"
        for v in adj.indices[adj.indptr[u] : adj.indptr[u + 1]]:
            v = int(v)
            if v not in parent:
                parent[v] = u
                queue.append(v)
    return None


def _tag_reason(
    engine: Engine, topics: list[int], seeds: list[int], suffix: str = ""
) -> str | None:
    shared = _shared_tags(engine, topics, seeds)
    if not shared:
        return None
    names = [_tag_name(engine, t) for t in shared[:MAX_TAGS]]
    word = "tag" if len(names) == 1 else "tags"
    return f"shares the {word} {_and(names)}{suffix}"


def comparison_reasons(engine: Engine, comparison: int, seeds: list[int]) -> list[str]:
    """Why comparison ``comparison`` is suggested for a query on ``seeds``."""
    a, b = (int(x) for x in engine.comparison_ends[comparison])
    reasons: list[str] = []
    shared = [t for t in (a, b) if t in seeds]
    for t in shared:
        reasons.append(f"also compares {_name(engine, t)}")
    others = [t for t in (a, b) if t not in seeds]
    for t in others:
        # a partner other than this comparison's own other side
        other_side = b if t == a else a
        partners = set(engine.partners(t).tolist()) - {other_side}
        direct = [s for s in seeds if s in partners]
        if direct:
            reasons.append(f"{_name(engine, t)} is also compared with {_name(engine, direct[0])}")
        else:
            r = _common_partner(engine, t, seeds)
            if r:
                reasons.append(r)
    r = _tag_reason(engine, others or [a, b], seeds)
    if r:
        reasons.append(r)
    for t in others:
        r = _pick_record(engine, t)
        if r:
            reasons.append(r)
            break
    r = _domain(engine, others, seeds)
    if r:
        reasons.append(r)
    if not reasons:
        r = _path(engine, others[0] if others else a, seeds)
        reasons.append(r or "close to the query in the topic graph")
    return _unique(reasons)[:MAX_REASONS]


def topic_reasons(engine: Engine, topic: int, seeds: list[int]) -> list[str]:
    """Why topic ``topic`` is suggested for a query on ``seeds``."""
    reasons: list[str] = []
    slug = engine.topic_slugs[topic]
    mine = _tags(engine, topic)
    for s in seeds:
        if engine.topic_slugs[s] in mine:
            reasons.append(f"{_name(engine, topic)} lists {_name(engine, s)} as related")
        elif slug in _tags(engine, s):
            reasons.append(f"{_name(engine, s)} lists {_name(engine, topic)} as related")
    partners = set(engine.partners(topic).tolist())
    direct = [s for s in seeds if s in partners]
    if direct:
        reasons.append(f"compared with {_name(engine, direct[0])}")
    else:
        r = _common_partner(engine, topic, seeds)
        if r:
            reasons.append(r)
    r = _tag_reason(engine, [topic], seeds)
    if r:
        reasons.append(r)
    r = _pick_record(engine, topic)
    if r:
        reasons.append(r)
    r = _domain(engine, [topic], seeds)
    if r:
        reasons.append(r)
    if not reasons:
        r = _path(engine, topic, seeds)
        reasons.append(r or "close to the query in the topic graph")
    return _unique(reasons)[:MAX_REASONS]


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
