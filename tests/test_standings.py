"""Sets of 3-5 topics side by side and "best of" lists (issue 16): what the picks
say about an order, and how sure it is, on graphs whose answers are known by hand."""

from __future__ import annotations

import pytest
from tiny import tiny_graph

from pickgraph.engine.core import Engine
from pickgraph.engine.rank import order_uncertainty, rankings
from pickgraph.engine.standings import MIN_BEST, best_of, best_tags, compare_set
from pickgraph.graph.errors import NotFound

TAGS = {t: ["x"] for t in "abcde"}


def test_a_full_set_with_transitive_picks_is_ordered_by_them():
    tg = tiny_graph(TAGS, [("a", "b", "a"), ("b", "c", "b"), ("a", "c", "a")])
    s = compare_set(Engine(tg), ["c", "a", "b"])
    assert s["slug"] == "a-vs-b-vs-c"
    assert s["order"]["determined"] is True
    assert [r["topic"] for r in s["order"]["ranking"]] == ["a", "b", "c"]
    assert s["order"]["statement"] == "The picks put them in this order: A, B, C."


def test_an_order_through_a_third_topic_says_so():
    # a beats b, b beats c; a and c never met: the order still follows
    tg = tiny_graph(TAGS, [("a", "b", "a"), ("b", "c", "b")])
    s = compare_set(Engine(tg), ["a", "b", "c"])
    assert s["order"]["determined"] is True
    assert s["order"]["statement"] == (
        "The picks put them in this order: A, B, C. A and C have not been compared; "
        "the other picks settle the order between them."
    )
    missing = [p for p in s["pairs"] if not p["compared"]]
    assert [p["slug"] for p in missing] == ["a-vs-c"]
    assert missing[0]["gap"]["score"] > 0 and missing[0]["gap"]["reasons"]


def test_a_cycle_is_named_not_ordered():
    tg = tiny_graph(TAGS, [("a", "b", "a"), ("b", "c", "b"), ("a", "c", "c")])
    s = compare_set(Engine(tg), ["a", "b", "c"])
    assert s["order"]["determined"] is False
    assert sorted(s["order"]["cycle"]) == ["a", "b", "c"]
    assert s["order"]["statement"].startswith("The picks go round in a circle (")
    # a perfect cycle leaves every strength equal
    assert len({r["strength"] for r in s["order"]["ranking"]}) == 1


def test_a_missing_or_undecided_pair_leaves_the_order_open():
    tg = tiny_graph(TAGS, [("a", "b", "a"), ("a", "c", "a"), ("b", "d", "none"), ("c", "d", "c")])
    s = compare_set(Engine(tg), ["a", "b", "c", "d"])
    assert s["order"]["determined"] is False
    text = s["order"]["statement"]
    assert "B and C have not been compared" in text
    assert "no single pick between B and D" in text


def test_uncertainty_is_seeded_and_wider_with_fewer_picks():
    topics = ["a", "b", "c"]
    few = [("a", "b", 1.0), ("b", "c", 1.0)]
    many = few * 6
    u1 = order_uncertainty(topics, few, topics)
    assert u1 == order_uncertainty(topics, few, topics)  # the same picks, the same answer
    u2 = order_uncertainty(topics, many, topics)
    assert u2["ahead"][0] > u1["ahead"][0]
    width = lambda u: sum(hi - lo for lo, hi in u["positions"].values())  # noqa: E731
    assert width(u2) < width(u1)


def test_best_of_agrees_with_rank_and_flags_what_the_picks_cannot_split(bundled):
    for tag in ("relational-databases", "message-brokers"):
        b = best_of(bundled, tag)
        ranked = [r["topic"] for r in rankings(bundled, tag, "bradley-terry") if r["comparisons"]]
        assert [r["topic"] for r in b["ranked"]] == ranked
        for r in b["ranked"][:-1]:
            assert r["told_apart"] == (r["ahead_of_next"] >= 0.9)
            assert r["positions"][0] <= r["position"] <= r["positions"][1]
        # every comparison listed under a place is one among the tag's ranked topics
        for r in b["ranked"]:
            for g in r["comparisons"]:
                assert g["opponent"] in ranked
    assert "relational-databases" in best_tags(bundled)


def test_set_slugs_resolve_to_one_canonical_order(bundled):
    assert bundled.resolve("comparison", "rabbitmq-vs-kafka-vs-nats").slug == (
        "kafka-vs-nats-vs-rabbitmq"
    )
    for slug, reason in [
        ("kafka-vs-nats-vs-rabbitmq-vs-redis-vs-mqtt-vs-redpanda", "at most 5 topics, not 6"),
        ("kafka-vs-kafka-vs-nats", "names each topic once"),
        ("kafka-vs-nats-vs-nosuchthing", "no topic 'nosuchthing'"),
    ]:
        with pytest.raises(NotFound, match=reason):
            bundled.resolve("comparison", slug)


@pytest.mark.parametrize(
    "path, status",
    [
        ("/compare/kafka-vs-nats-vs-rabbitmq", 200),
        ("/compare/nats-vs-rabbitmq-vs-kafka", 301),
        ("/compare/Kafka-vs-NATS-vs-RabbitMQ.json", 301),
        ("/compare/kafka-vs-nats-vs-rabbitmq-vs-redis-vs-mqtt-vs-redpanda", 404),
        ("/compare/kafka-vs-kafka-vs-nats", 404),
        ("/api/v1/sets/kafka-vs-nats-vs-rabbitmq-vs-redis-vs-mqtt-vs-redpanda", 400),
        ("/api/v1/sets/kafka-vs-nats-vs-nosuchthing", 400),
        ("/api/v1/sets/kafka-vs-nats", 400),
        ("/best/relational-databases", 200),
        ("/best/nosuchtag", 404),
        ("/best/", 200),
    ],
)
def test_set_and_best_urls(client, path, status):
    resp = client.get(path)
    assert resp.status_code == status, resp.get_data(as_text=True)[:300]
    if status == 301:
        assert resp.headers["Location"].startswith("/compare/kafka-vs-nats-vs-rabbitmq")


def test_the_set_page_its_twin_and_the_api_agree(client):
    twin = client.get("/compare/kafka-vs-nats-vs-rabbitmq.json").get_json()
    api = client.get("/api/v1/sets/rabbitmq-vs-nats-vs-kafka").get_json()
    assert api["requested"] == "rabbitmq-vs-nats-vs-kafka"
    for field in ("slug", "title", "topics", "pairs", "order", "best"):
        assert twin[field] == api[field], field
    assert [p["slug"] for p in api["pairs"]] == [
        "kafka-vs-nats",
        "kafka-vs-rabbitmq",
        "nats-vs-rabbitmq",
    ]
    assert all(p["compared"] and p["url"] for p in api["pairs"])
    html = client.get("/compare/kafka-vs-nats-vs-rabbitmq").get_data(as_text=True)
    for p in api["pairs"]:
        assert f'href="{p["url"]}"' in html


def test_search_lands_on_the_set(client):
    for q in ("kafka vs rabbitmq vs nats", "kafka rabbitmq nats"):
        hits = client.get(f"/api/v1/search?q={q}").get_json()["comparisons"]
        assert hits[0]["kind"] == "set"
        assert hits[0]["url"] == "/compare/kafka-vs-nats-vs-rabbitmq"


def test_pages_link_the_new_pages(client):
    pair = client.get("/compare/kafka-vs-rabbitmq").get_data(as_text=True)
    assert 'href="/compare/kafka-vs-nats-vs-rabbitmq"' in pair
    topic = client.get("/topic/postgresql").get_data(as_text=True)
    assert 'href="/best/relational-databases"' in topic
    tag = client.get("/tag/relational-databases").get_data(as_text=True)
    assert 'href="/best/relational-databases"' in tag and "<table" not in tag


def test_best_tags_are_the_tags_with_three_topics_compared_inside(bundled):
    """The one-pass computation against the definition, tag by tag."""
    expected = []
    for slug, tag in bundled.tags.items():
        members = set(tag.topics)
        inside = {
            t
            for c in bundled.comparisons.values()
            if c.a.topic in members and c.b.topic in members
            for t in c.topics
        }
        if len(inside) >= MIN_BEST:
            expected.append(slug)
    assert best_tags(bundled) == expected
    assert 50 < len(expected) < len(bundled.tags)
