"""Missing comparisons worth writing: topic pairs that are close but not compared.

A pair scores by resource allocation over the topic-and-tag graph: every shared
neighbour (a tag, a related topic, a common comparison partner) sends 1/degree of its
weight, so a rare shared tag counts for more than a catch-all one. Pairs that already
have a comparison are never listed. Two adjustments favour real alternatives: topics
of different kinds (a language and a framework) count DIFFERENT_KIND of their score,
and a topic that lists the other as related (Helm lists Kubernetes: it is built on
it, not instead of it) counts BUILT_ON.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from pickgraph.graph import TopicGraph, canonical_slug

from .core import Engine
from .evidence import join_names, shared_tags, tag_name, topic_name

__all__ = ["gap", "gaps"]

DIFFERENT_KIND = 0.7
BUILT_ON = 0.5


def gaps(tg_or_engine: TopicGraph | Engine, limit: int = 20, tag: str | None = None) -> list[dict]:
    """The ``limit`` best missing comparisons, each with its score and reasons.

    With ``tag``, only pairs whose topics both carry that tag (or are that topic).

    >>> from pickgraph import graph
    >>> rows = gaps(graph.load(), limit=3)
    >>> len(rows), all(r["slug"] not in graph.load().comparisons for r in rows)
    (3, True)
    """
    engine = tg_or_engine if isinstance(tg_or_engine, Engine) else Engine(tg_or_engine)
    tg = engine.tg
    topics_part = engine.node_adjacency[: engine.n_topics]
    scores = (topics_part @ sp.diags(_share(engine)) @ topics_part.T).tocoo()
    keep = scores.row < scores.col
    rows, cols, vals = scores.row[keep], scores.col[keep], scores.data[keep]
    existing = engine.comparison_adjacency[rows, cols].A1 > 0
    rows, cols, vals = rows[~existing], cols[~existing], vals[~existing]
    vals = _adjusted(engine, rows, cols, vals)
    if tag is not None:
        members = {
            engine.topic_id[t]
            for t in (
                tg.topics_tagged(tag) if tag not in tg.topics else [tag, *tg.topics_tagged(tag)]
            )
        }
        if tag not in tg.topics:
            tg.tag(tag)  # NotFound for an unknown tag
        inside = np.array(
            [r in members and c in members for r, c in zip(rows, cols, strict=True)], dtype=bool
        )
        rows, cols, vals = rows[inside], cols[inside], vals[inside]
    # ties broken by the canonical slug of the pair
    slugs = [
        canonical_slug(engine.topic_slugs[r], engine.topic_slugs[c])
        for r, c in zip(rows, cols, strict=True)
    ]
    order = sorted(range(len(vals)), key=lambda i: (-vals[i], slugs[i]))[:limit]
    out = []
    for i in order:
        a, b = int(rows[i]), int(cols[i])
        out.append(
            {
                "slug": slugs[i],
                "topics": sorted((engine.topic_slugs[a], engine.topic_slugs[b])),
                "title": " vs ".join(
                    topic_name(engine, t)
                    for t in sorted((a, b), key=lambda t: engine.topic_slugs[t])
                ),
                "score": round(float(vals[i]), 6),
                "reasons": _gap_reasons(engine, a, b),
            }
        )
    return out


def _share(engine: Engine) -> np.ndarray:
    """What each node gives a pair of its neighbours: 1 / its degree."""
    deg = np.asarray(engine.node_adjacency.sum(axis=1)).ravel()
    return np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)


def _adjusted(engine: Engine, rows: np.ndarray, cols: np.ndarray, vals: np.ndarray):
    """Scores of pairs (rows[i], cols[i]) after the kind and built-on adjustments."""
    kinds = np.array([engine.tg.topics[s].kind for s in engine.topic_slugs])
    vals = vals * np.where(kinds[rows] == kinds[cols], 1.0, DIFFERENT_KIND)
    built_on = engine.related_topics[rows, cols].A1 > 0
    return vals * np.where(built_on, BUILT_ON, 1.0)


def gap(engine: Engine, a: str, b: str) -> dict:
    """The score and reasons ``gaps`` would give the pair of topics ``a`` and ``b``
    (for a page that shows a pair nobody has compared yet).

    >>> from pickgraph import graph
    >>> e = Engine(graph.load())
    >>> top = gaps(e, limit=1)[0]
    >>> gap(e, *top["topics"])["score"] == top["score"]
    True
    """
    i, j = engine.topic_id[a], engine.topic_id[b]
    adj = engine.node_adjacency
    raw = adj[i].multiply(adj[j]).dot(_share(engine))
    score = _adjusted(engine, np.array([i]), np.array([j]), np.asarray(raw).ravel()[:1])
    return {"score": round(float(score[0]), 6), "reasons": _gap_reasons(engine, i, j)}


def _gap_reasons(engine: Engine, a: int, b: int) -> list[str]:
    reasons = []
    tags = shared_tags(engine, a, b)
    if tags:
        names = [tag_name(engine, t) for t in tags[:3]]
        reasons.append(f"both tagged {join_names(names)}")
    common = sorted(
        set(engine.partners(a).tolist()) & set(engine.partners(b).tolist()),
        key=lambda t: engine.topic_slugs[t],
    )
    if common:
        names = [topic_name(engine, t) for t in common[:3]]
        reasons.append(f"both compared with {join_names(names)}")
    sa, sb = engine.topic_slugs[a], engine.topic_slugs[b]
    if sb in engine.tg.topics[sa].related:
        reasons.append(f"{topic_name(engine, a)} lists {topic_name(engine, b)} as related")
    elif sa in engine.tg.topics[sb].related:
        reasons.append(f"{topic_name(engine, b)} lists {topic_name(engine, a)} as related")
    da, db = engine.tg.topics[sa].domain, engine.tg.topics[sb].domain
    if da and da == db and da in engine.tg.domains:
        reasons.append(f"both in {engine.tg.domains[da].name}")
    return reasons or ["close in the topic graph"]
