"""Why a suggestion is on a page: evidence of closed kinds, strongest first.

Each piece of evidence is a fact of the graph a reader can check on the pages it
links, with a kind from EVIDENCE_KINDS (a closed list: clients may switch on it):

- ``shares-side``: the suggested comparison has a side of the page ("also compares
  Kafka");
- ``compared-with``: a suggested topic is compared with a topic of the page;
- ``related``: a topic lists the other in its related list (Helm lists Kubernetes);
- ``shared-tag``: a tag carried by the page's topic and by *both* topics of the
  suggested comparison (or, saying which, by one of them); rarest tag first;
- ``same-kind``: the suggested topic is the same kind of thing (a database, a
  language) as a topic of the page, in the same area (a tag or a partner in common);
- ``common-partner``: both are compared with the same third topic;
- ``co-click``: readers of this page often read that one next (reader feedback);
- ``same-domain``: both are in the same section of the site;
- ``popularity``: how often a topic is the pick. Never shown alone;
- ``nearby``: nothing above holds; a method ranked it near the page anyway. The default
  never shows such a suggestion (baselines do, and say so).

``LINKS`` are the kinds that say why a suggestion bears on the page; a suggestion with
none of them is not shown at all (``has_link``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pickgraph.graph.model import NO_PICK

from .core import Engine

__all__ = [
    "EVIDENCE_KINDS",
    "Evidence",
    "LINKS",
    "comparison_evidence",
    "has_link",
    "join_names",
    "rarest_first",
    "shared_tags",
    "tag_name",
    "topic_evidence",
    "topic_name",
]

EVIDENCE_KINDS = (
    "shares-side",
    "compared-with",
    "related",
    "shared-tag",
    "same-kind",
    "common-partner",
    "co-click",
    "same-domain",
    "popularity",
    "nearby",
)
LINKS = frozenset(EVIDENCE_KINDS[:7])
# At most this many pieces of evidence per suggestion, and tags named in one.
MAX_EVIDENCE = 3
MAX_TAGS = 2
# How a kind reads in a sentence ("Apache Pulsar is a platform, like Apache Kafka").
KIND_NOUNS = {
    "language": "a programming language",
    "runtime": "a runtime",
    "framework": "a framework",
    "library": "a library",
    "database": "a database",
    "tool": "a tool",
    "platform": "a platform",
    "service": "a service",
    "protocol": "a protocol",
    "standard": "a standard",
    "concept": "a concept",
    "methodology": "a methodology",
    "practice": "a practice",
    "discipline": "a discipline",
    "role": "a role",
}


@dataclass(frozen=True)
class Evidence:
    kind: str
    text: str

    def to_dict(self) -> dict:
        return {"kind": self.kind, "text": self.text}


def has_link(evidence: list[Evidence] | tuple[Evidence, ...]) -> bool:
    """Whether any piece says why the suggestion bears on the page."""
    return any(e.kind in LINKS for e in evidence)


def topic_name(e: Engine, t: int) -> str:
    return e.tg.topics[e.topic_slugs[t]].name


def tag_name(e: Engine, tag: str) -> str:
    return e.tg.topics[tag].name if tag in e.tg.topics else e.tg.tags[tag].name


def _tags(e: Engine, t: int) -> set[str]:
    """A topic's tags, the topics it lists as related excluded (they are ``related``)."""
    return {x for x in e.tg.topics[e.topic_slugs[t]].related if x not in e.tg.topics}


def rarest_first(e: Engine, tags: set[str]) -> list[str]:
    """Tags ordered by how few topics carry them (they say the most), then by slug."""
    return sorted(tags, key=lambda t: (len(e.tg.topics_tagged(t)), t))


def shared_tags(e: Engine, a: int, b: int) -> list[str]:
    """The tags two topics both carry, rarest first."""
    return rarest_first(e, _tags(e, a) & _tags(e, b))


def _lists(e: Engine, a: int, b: int) -> bool:
    return e.topic_slugs[b] in e.tg.topics[e.topic_slugs[a]].related


def join_names(items: list[str]) -> str:
    """'A', 'A and B', 'A, B and C'."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def records(e: Engine) -> np.ndarray:
    """Per topic: (wins, decided comparisons, comparisons), computed once."""

    def build() -> np.ndarray:
        # counted over the engine's comparison arrays (its comparisons are the heads
        # in order), not a Python step per comparison and side
        n, ends = e.n_topics, e.comparison_ends
        picks = [c.pick for c in e.tg.heads.values()]
        decided = np.array([p != NO_PICK for p in picks], dtype=bool)
        winners = np.array([e.topic_id[p] for p in picks if p != NO_PICK], dtype=np.int64)
        out = np.zeros((n, 3), dtype=np.int64)
        out[:, 0] = np.bincount(winners, minlength=n)
        out[:, 1] = np.bincount(ends[decided].ravel(), minlength=n)
        out[:, 2] = np.bincount(ends.ravel(), minlength=n)
        return out

    return e.derived("records", build)


def _popularity(e: Engine, t: int) -> Evidence | None:
    wins, decided, total = (int(v) for v in records(e)[t])
    if wins >= 2 and wins * 2 >= decided:
        text = f"{topic_name(e, t)} is the pick in {wins} of its {total} comparisons"
        return Evidence("popularity", text)
    return None


def _partners(e: Engine, t: int) -> set[int]:
    return set(e.partners(t).tolist())


def _topic_links(e: Engine, t: int, seeds: list[int], skip: int | None = None) -> list[Evidence]:
    """How topic ``t`` (not on the page) links to the page's topics, strongest first.
    ``skip`` is the other side of a suggested comparison: being compared with it is
    what the comparison is, not evidence."""
    out: list[Evidence] = []
    partners = _partners(e, t) - ({skip} if skip is not None else set())
    for s in seeds:
        if s in partners:
            text = f"{topic_name(e, t)} is also compared with {topic_name(e, s)}"
            out.append(Evidence("compared-with", text))
    for s in seeds:
        if _lists(e, t, s) or _lists(e, s, t):
            first, second = (t, s) if _lists(e, t, s) else (s, t)
            text = f"{topic_name(e, first)} lists {topic_name(e, second)} as related"
            out.append(Evidence("related", text))
    return out


def comparison_evidence(e: Engine, comparison: int, seeds: list[int]) -> list[Evidence]:
    """Why comparison ``comparison`` is suggested on a page of ``seeds``."""
    a, b = (int(x) for x in e.comparison_ends[comparison])
    on_page = [t for t in (a, b) if t in seeds]
    others = [t for t in (a, b) if t not in seeds]
    out = [Evidence("shares-side", f"also compares {topic_name(e, t)}") for t in on_page]
    for t in others:
        out += _topic_links(e, t, seeds, skip=b if t == a else a)
    tag = _tag_evidence(e, others, seeds)
    if tag is not None:
        out.append(tag)
    for t in others:
        kin = _same_kind(e, t, seeds)
        if kin is not None:
            out.append(kin)
            break
    if len(others) == 2 and not any(x.kind == "compared-with" for x in out):
        common = _partners(e, others[0]) & _partners(e, others[1]) - set(seeds)
        if common:
            third = min(common, key=lambda p: e.topic_slugs[p])
            pair = f"{topic_name(e, others[0])} and {topic_name(e, others[1])}"
            out.append(
                Evidence("common-partner", f"{pair} are both compared with {topic_name(e, third)}")
            )
    out += _weak(e, others or [a, b], seeds)
    return _ordered(out)


def _same_kind(e: Engine, t: int, seeds: list[int]) -> Evidence | None:
    """``t`` is the same kind of thing as a topic of the page, in the same area (a tag
    or a comparison partner in common): a kind alone (15 of them) links too little."""
    kind = e.tg.topics[e.topic_slugs[t]].kind
    for s in seeds:
        if e.tg.topics[e.topic_slugs[s]].kind != kind:
            continue
        noun = KIND_NOUNS.get(kind, kind)
        tags = rarest_first(e, _tags(e, t) & _tags(e, s))
        common = _partners(e, t) & _partners(e, s)
        if tags:
            why = f"both carry the tag {tag_name(e, tags[0])}"
        elif common:
            why = f"both compared with {topic_name(e, min(common, key=lambda p: e.topic_slugs[p]))}"
        else:
            continue
        text = f"{topic_name(e, t)} is {noun}, like {topic_name(e, s)}; {why}"
        return Evidence("same-kind", text)
    return None


def _tag_evidence(e: Engine, others: list[int], seeds: list[int]) -> Evidence | None:
    """A tag of the page carried by both topics of a suggested comparison that are not
    on the page, rarest first; failing that, one of them carrying it, named."""
    if not others:
        return None
    page_tags = set().union(*(_tags(e, s) for s in seeds))
    carried = [_tags(e, t) & page_tags for t in others]
    both = set.intersection(*carried)
    if both:
        tags = rarest_first(e, both)[:MAX_TAGS]
        who = join_names([topic_name(e, t) for t in others])
        verb = "carry" if len(others) == 2 else "carries"
    else:
        found = [(t, c) for t, c in zip(others, carried, strict=True) if c]
        if not found:
            return None
        t, c = found[0]
        tags, who, verb = rarest_first(e, c)[:1], topic_name(e, t), "carries"
    like = join_names([topic_name(e, s) for s in seeds if _tags(e, s) & set(tags)][:2])
    word = "tags" if len(tags) > 1 else "tag"
    names = join_names([tag_name(e, x) for x in tags])
    return Evidence("shared-tag", f"{who} {verb} the {word} {names}, like {like}")


def topic_evidence(e: Engine, topic: int, seeds: list[int]) -> list[Evidence]:
    """Why topic ``topic`` is suggested on a page of ``seeds``."""
    out = _topic_links(e, topic, seeds)
    shared = _tags(e, topic) & set().union(*(_tags(e, s) for s in seeds))
    if shared:
        tags = rarest_first(e, shared)[:MAX_TAGS]
        like = join_names([topic_name(e, s) for s in seeds if _tags(e, s) & set(tags)][:2])
        word = "tags" if len(tags) > 1 else "tag"
        names = join_names([tag_name(e, x) for x in tags])
        out.append(Evidence("shared-tag", f"carries the {word} {names}, like {like}"))
    kin = _same_kind(e, topic, seeds)
    if kin is not None:
        out.append(kin)
    if not any(x.kind == "compared-with" for x in out):
        for s in seeds:
            common = sorted(_partners(e, topic) & _partners(e, s), key=lambda p: e.topic_slugs[p])
            if common:
                out.append(
                    Evidence(
                        "common-partner",
                        f"{topic_name(e, topic)} and {topic_name(e, s)} are "
                        f"both compared with {topic_name(e, common[0])}",
                    )
                )
                break
    out += _weak(e, [topic], seeds)
    return _ordered(out)


def _weak(e: Engine, topics: list[int], seeds: list[int]) -> list[Evidence]:
    out = []
    domains = {e.tg.topics[e.topic_slugs[s]].domain for s in seeds}
    for t in topics:
        d = e.tg.topics[e.topic_slugs[t]].domain
        if d and d in domains and d in e.tg.domains:
            out.append(Evidence("same-domain", f"also in {e.tg.domains[d].name}"))
            break
    for t in topics:
        p = _popularity(e, t)
        if p:
            out.append(p)
            break
    return out


def _ordered(items: list[Evidence]) -> list[Evidence]:
    rank = {k: i for i, k in enumerate(EVIDENCE_KINDS)}
    unique = list(dict.fromkeys(items))
    unique.sort(key=lambda x: rank[x.kind])  # stable: within a kind, as found
    return unique[:MAX_EVIDENCE] or [NEARBY]


NEARBY = Evidence("nearby", "near this page in the topic graph, with no direct link")
