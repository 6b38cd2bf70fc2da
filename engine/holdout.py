"""Hiding comparisons from a topic graph, for evaluation and for self-supervised training.

A hidden comparison must leave no trace: its edge goes, and so does a "related" link
between its two topics (a topic listing the other in ``related``), which would
otherwise keep the pair linked and give the answer away.
"""

from __future__ import annotations

import numpy as np

from pickgraph.graph import Comparison, TopicGraph

__all__ = ["choose_hidden", "hide"]


def hide(tg: TopicGraph, hidden: list[Comparison], label: str, drop_related: bool = True):
    """A TopicGraph without ``hidden`` (and, with ``drop_related``, without the related
    links between their topics); everything else is shared with ``tg``.

    >>> from pickgraph import graph
    >>> tg = graph.load()
    >>> c = tg.comparison("helm-vs-kustomize")
    >>> train = hide(tg, [c], "x")
    >>> c.slug in train.comparisons, "helm" in train.topics["kustomize"].related
    (False, False)
    """
    gone = {c.slug for c in hidden}
    pairs: dict[str, set[str]] = {}
    for c in hidden:
        pairs.setdefault(c.a.topic, set()).add(c.b.topic)
        pairs.setdefault(c.b.topic, set()).add(c.a.topic)
    topics = dict(tg.topics)
    if drop_related:
        for slug, others in pairs.items():
            topic = topics[slug]
            kept = [t for t in topic.related if t not in others]
            if len(kept) != len(topic.related):
                # model_copy keeps the validated model; a topic may end with no tags
                topics[slug] = topic.model_copy(update={"related": kept})
    train = TopicGraph(
        topics=topics,
        comparisons={s: c for s, c in tg.comparisons.items() if s not in gone},
        tag_info={},
        domains=tg.domains,
        aliases=tg.aliases,
        version=f"{tg.version}-{label}",
    )
    for slug, tag in tg.tags.items():  # keep tag names and descriptions
        if slug in train.tags:
            train.tags[slug].name, train.tags[slug].description = tag.name, tag.description
    return train


def choose_hidden(tg: TopicGraph, share: float, rng: np.random.Generator) -> list[Comparison]:
    """A uniform random ``share`` of the comparisons (at least one), in slug order."""
    slugs = sorted(tg.comparisons)
    count = max(1, round(share * len(slugs)))
    picked = sorted(rng.choice(len(slugs), size=count, replace=False).tolist())
    return [tg.comparisons[slugs[i]] for i in picked]
