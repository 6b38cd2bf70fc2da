"""What the default shows (engine/suggest.py): the confidence floor, stacks served part
by part, evidence of closed kinds. Tiny graphs with hand-set page weights give known
answers; the bundle is checked page by page. Issue 12 (reader quality)."""

from __future__ import annotations

import numpy as np
import pytest
from tiny import tiny_graph

from pickgraph.engine.evidence import EVIDENCE_KINDS, LINKS
from pickgraph.engine.index import build_index
from pickgraph.engine.pagemodel import COMPARISON_FEATURES, TOPIC_FEATURES, PageModel, PageWeights
from pickgraph.engine.ranker import LinearModel
from pickgraph.engine.suggest import FLOOR, LOW_FLOOR, Recommender


def weights(comparisons: dict[str, float], topics: dict[str, float], intercept: float):
    def model(names, chosen):
        return LinearModel(names, tuple(chosen.get(n, 0.0) for n in names), intercept)

    return PageWeights(model(COMPARISON_FEATURES, comparisons), model(TOPIC_FEATURES, topics))


def recommender(tg, w: PageWeights) -> Recommender:
    rec = Recommender(tg)
    rec.engine.derived("page-model", lambda: PageModel(rec.engine, w))
    return rec


# a and b are the page; c is compared with a, d with b; e-f and g-h elsewhere, linked
# only by tags; x is compared with a too
GRAPH = tiny_graph(
    {
        "a": ["t1"],
        "b": ["t1"],
        "c": ["t1"],
        "d": ["t1"],
        "x": ["t2"],
        "e": ["t2"],
        "f": ["t2"],
        "g": ["t3"],
        "h": ["t3"],
    },
    [
        ("a", "b"),
        ("a", "c"),
        ("b", "d"),
        ("a", "x"),
        ("e", "f"),
        ("g", "h"),
        ("x", "e"),
        ("c", "g"),
    ],
)
# P = sigmoid(-2 + 4 * shares_side): 0.88 with a side of the page, 0.12 without
SHARES = weights({"shares_side": 4.0}, {"compared": 4.0}, -2.0)


def test_floor_keeps_what_clears_it_and_says_when_short():
    rec = recommender(GRAPH, SHARES)
    s = rec.for_comparison("a-vs-b")
    assert [c.slug for c in s.comparisons] == ["a-vs-c", "a-vs-x", "b-vs-d"]
    assert all(c.score == pytest.approx(1 / (1 + np.exp(-2))) for c in s.comparisons)
    assert s.notes.get("comparisons") is None  # three: not short
    # topics compared with a side: c, d, x (0.88); the rest (0.12) are below the floor
    assert {t.slug for t in s.topics} == {"c", "d", "x"}
    page = rec.for_comparison("a-vs-x")
    shown = [c.slug for c in page.comparisons]
    assert shown == ["a-vs-b", "a-vs-c", "e-vs-x"]
    # limit is a maximum
    assert len(rec.for_comparison("a-vs-b", limit=1).comparisons) == 1


def test_short_list_says_so_and_a_page_is_never_empty():
    rec = recommender(GRAPH, SHARES)
    s = rec.for_comparison("g-vs-h")  # only c-vs-g shares a side
    assert [c.slug for c in s.comparisons] == ["c-vs-g"]
    assert s.notes["comparisons"] == "Only one comparison is close enough to this page to suggest."
    # nothing anywhere clears the floor: the page still shows its best linked suggestion
    nothing = recommender(GRAPH, weights({}, {}, -5.0))
    page = nothing.for_comparison("a-vs-b")
    assert len(page.comparisons) + len(page.topics) == 1
    assert page.comparisons[0].score < LOW_FLOOR


def test_fill_to_three_uses_the_low_floor_only():
    # P between LOW_FLOOR and FLOOR for everything off the page's sides
    mid = (LOW_FLOOR + FLOOR) / 2
    logit = float(np.log(mid / (1 - mid)))
    w = weights({"shares_side": 4.0 - logit}, {}, logit)
    s = recommender(GRAPH, w).for_comparison("a-vs-b", limit=6)
    # the three sharing a side clear the floor; nothing in between is needed to reach 3
    assert len(s.comparisons) == 3
    s = recommender(GRAPH, w).for_comparison("g-vs-h", limit=6)
    # one clears the floor; the low floor fills up to three, never past it
    assert len(s.comparisons) == 3 and s.comparisons[1].score == pytest.approx(mid)


def test_suggestions_without_a_real_link_are_never_shown():
    # every comparison of the same kind of pair gets 0.88, linked to the page or not
    w = weights({"same_kind_pair": 4.0}, {}, -2.0)
    s = recommender(GRAPH, w).for_comparison("a-vs-b", limit=10)
    for c in s.comparisons:
        assert {e.kind for e in c.evidence} & LINKS, c.slug
    shown = {c.slug for c in s.comparisons}
    assert "p-vs-q" not in shown  # the same kind of thing, but nothing links it to the page
    assert "g-vs-h" in shown  # G is compared with C, as A is
    gh = next(c for c in s.comparisons if c.slug == "g-vs-h")
    assert gh.reasons[0] == "G is a tool, like A; both compared with C"


def test_evidence_kinds_and_tags_carried_by_both():
    tg = tiny_graph(
        {
            "kafka": ["streaming", "brokers"],
            "rabbitmq": ["brokers"],
            "pulsar": ["streaming", "brokers"],
            "redpanda": ["streaming"],
            "helm": ["kubernetes-tools"],
        },
        [
            ("kafka", "rabbitmq"),
            ("kafka", "pulsar"),
            ("kafka", "redpanda"),
            ("pulsar", "redpanda"),
            ("rabbitmq", "helm"),
        ],
    )
    rec = recommender(tg, SHARES)
    page = {c.slug: c for c in rec.for_topic("kafka", limit=10, floor=False).comparisons}
    pr = page["pulsar-vs-redpanda"]
    kinds = [e.kind for e in pr.evidence]
    assert kinds[0] == "compared-with" and set(kinds) <= set(EVIDENCE_KINDS)
    tag = next(e.text for e in pr.evidence if e.kind == "shared-tag")
    # "streaming" is carried by both Pulsar and Redpanda; "brokers" by Pulsar only
    assert tag == "PULSAR and REDPANDA carry the tag Streaming, like KAFKA"
    side = rec.for_comparison("kafka-vs-rabbitmq", limit=10, floor=False).comparisons
    first = {c.slug: c.evidence[0] for c in side}
    assert first["kafka-vs-pulsar"].kind == "shares-side"
    assert first["kafka-vs-pulsar"].text == "also compares KAFKA"


def test_a_stack_serves_each_of_its_parts():
    # a has many close comparisons, z only one: z is served all the same
    tg = tiny_graph(
        {t: ["t"] for t in ("a", "b", "c", "d", "e", "z", "y")},
        [("a", "b"), ("a", "c"), ("a", "d"), ("a", "e"), ("b", "c"), ("z", "y")],
    )
    w = weights({"shares_side": 4.0, "stack_page": 0.0}, {}, -2.0)
    s = recommender(tg, w).for_topics(["a", "z"], limit=3)
    assert "y-vs-z" in {c.slug for c in s.comparisons}
    assert all(c.serves for c in s.comparisons)
    served = {t for c in s.comparisons for t in c.serves}
    assert served == {"a", "z"}


# ---------------------------------------------------------------- the bundle


@pytest.fixture(scope="module")
def indexed(bundled):
    return Recommender(bundled, build_index(bundled))


def test_every_page_of_the_bundle(indexed, bundled):
    """Lists of 3 to 6 on average, no page without a suggestion, every suggestion with
    a real link first and evidence of known kinds."""
    lengths = []
    for kind, slugs in (("comparison", bundled.comparisons), ("topic", bundled.topics)):
        for slug in slugs:
            s = indexed.for_comparison(slug) if kind == "comparison" else indexed.for_topic(slug)
            assert s.comparisons or s.topics, slug
            lengths += [len(s.comparisons), len(s.topics)]
            for item in s.comparisons + s.topics:
                kinds = [e.kind for e in item.evidence]
                assert set(kinds) <= set(EVIDENCE_KINDS), (slug, item.slug)
                assert kinds[0] in LINKS, (slug, item.slug, kinds)  # never popularity alone
                assert item.score >= LOW_FLOOR or len(s.comparisons) + len(s.topics) == 1
    assert 3 <= np.mean(lengths) <= 6, np.mean(lengths)


@pytest.mark.parametrize(
    "stack",
    [
        ["python", "postgresql", "kubernetes"],
        ["react", "nodejs", "mongodb"],
        ["go", "redis", "docker"],
    ],
)
def test_named_stacks_serve_every_topic(indexed, bundled, stack):
    """Each topic is served: a suggested comparison involves it, or a topic compared
    with it or listed as related to it (the acceptance of issue 12)."""
    s = indexed.for_topics(stack)
    for topic in stack:
        near = {topic, *(c.other(topic) for c in bundled.comparisons_of(topic))}
        near |= set(bundled.topics[topic].related) | {
            t for t, x in bundled.topics.items() if topic in x.related
        }
        assert any(set(c.topics) & near for c in s.comparisons), (stack, topic)


def test_suggest_json_items_carry_evidence(capsys):
    import json

    from pickgraph.web.cli import main

    assert main(["suggest", "kafka-vs-rabbitmq", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    for item in data["comparisons"] + data["topics"]:
        assert item["evidence"] and all(set(e) == {"kind", "text"} for e in item["evidence"])
        assert item["reasons"] == [e["text"] for e in item["evidence"]]
    assert set(data["notes"]) == {"comparisons", "topics"}
