"""The content lint: placeholders, fragments, duplicated text, orphans (warnings)."""

from __future__ import annotations

import pytest

from pickgraph import graph
from pickgraph.graph.lint import text_problems

PAIR = "comparisons/redis-vs-memcached.yaml"


def warnings(content) -> list[str]:
    report = graph.check(content.root)
    prefix = f"{report.folder}/"
    return [str(p).replace(prefix, "", 1) for p in report.warnings]


@pytest.mark.parametrize(
    "text, code",
    [
        ("Specific tradeoffs depend on your use case", "placeholder"),
        ("It really depends on your use case", "placeholder"),
        ("Pricing is TBD for now", "placeholder"),
        ("TODO write the cons", "placeholder"),
        ("Lorem ipsum dolor sit amet", "placeholder"),
        ("+g", "fragment"),
        ("g", "fragment"),
        ("Fast", "fragment"),
        ("Good tooling", "fragment"),
        ("Works well with tools like e", "fragment"),
        ("g. Django and Rails both ship an ORM", "fragment"),
        ("A gradual set- theoretic type system", "broken-word"),
        ("Checkpoints give exactly- once results", "broken-word"),
    ],
)
def test_text_problems_flag(text, code):
    assert [c for c, _ in text_problems(text)] == [code]


@pytest.mark.parametrize(
    "text",
    [
        "Rich data structures such as sorted sets",
        "Written in C and runs anywhere",
        "Data science teams that already work in R",
        "e-commerce platforms rely on it for carts",
        "x86 and ARM builds are published",
        "Pairs well with k6 for load tests",
        "Raw, semi- or unstructured data",
        "Pre- and post-processing hooks",
        "Client- versus server-side rendering",
        "First- through third-party cookies",
        "A small- but growing community",
        "A gradual set-theoretic type system - inferred",
    ],
)
def test_text_problems_accept_real_text(text):
    assert list(text_problems(text)) == []


def test_placeholder_con_is_a_warning_then_an_error_under_strict(mini):
    mini.replace(
        PAIR,
        "    - Mostly single-threaded command execution per instance",
        "    - Specific tradeoffs depend on your use case",
    )
    assert warnings(mini) == [
        "comparisons/redis-vs-memcached.yaml:7:7: warning: text is a placeholder"
    ]
    assert graph.load(mini.root) is not None
    with pytest.raises(graph.ContentError):
        graph.load(mini.root, strict=True)


def test_fragment_left_by_a_broken_split(mini):
    mini.replace(PAIR, "    - Optional persistence and replication", '    - "+g"')
    assert warnings(mini) == [
        "comparisons/redis-vs-memcached.yaml:5:7: warning: text is a fragment ('+g'): fewer "
        "than 3 words"
    ]


def test_word_broken_across_yaml_lines(mini):
    """A plain scalar folded at a hyphen reads "self- hosting"; topic summaries are
    checked as well as comparison text."""
    mini.replace(
        PAIR,
        "    - Optional persistence and replication",
        "    - Optional persistence for self-\n      hosting teams",
    )
    assert warnings(mini) == [
        "comparisons/redis-vs-memcached.yaml:5:7: warning: 'self- hosting' reads as a word "
        "broken at a hyphen: a line that ends inside a hyphenated word folds into a space; "
        "keep the word on one line"
    ]
    mini.replace(PAIR, "for self-\n      hosting teams", "for self-hosting teams")
    mini.replace(
        "topics/redis.yaml",
        "summary: An in-memory data structure server used as a cache, queue and session store.",
        "summary: An in-memory data structure server used as a cache, queue and session\n"
        "  store, with a single-\n  threaded core.",
    )
    assert warnings(mini) == [
        "topics/redis.yaml:5:10: warning: 'single- threaded' reads as a word broken at a "
        "hyphen: a line that ends inside a hyphenated word folds into a space; keep the word "
        "on one line"
    ]
    # a summary gets only this check: an imported topic's stub summary ("Redis.") is
    # a fragment on purpose and must not fail --strict
    mini.replace(
        "topics/redis.yaml",
        "summary: An in-memory data structure server used as a cache, queue and session\n"
        "  store, with a single-\n  threaded core.",
        "summary: Redis.",
    )
    assert warnings(mini) == []


def test_same_text_on_both_sides(mini):
    mini.replace(
        PAIR,
        "    - A tiny feature set that is easy to run",
        "    - Optional persistence and replication",
    )
    assert warnings(mini) == [
        "comparisons/redis-vs-memcached.yaml:13:7: warning: the same text appears on both "
        "sides (first at a.pros[1])"
    ]


def test_long_bottom_line(mini):
    mini.replace(
        PAIR,
        "bottom_line: Redis unless all you will ever need is a plain cache.",
        "bottom_line: " + "Redis wins again " * 14,
    )
    found = warnings(mini)
    assert found == [
        "comparisons/redis-vs-memcached.yaml:21:14: warning: bottom_line is 237 characters; "
        "keep it to one line (200 at most)"
    ]


def test_topic_in_no_comparison(mini):
    mini.write(
        "topics/valkey.yaml",
        "slug: valkey\nname: Valkey\nkind: database\n"
        "summary: A fork of Redis under the Linux Foundation.\nrelated: [caching, in-memory]\n",
    )
    assert warnings(mini) == ["topics/valkey.yaml:1:7: warning: topic 'valkey' is in no comparison"]


def test_tag_used_by_one_topic_and_tag_described_but_unused(mini):
    mini.replace(
        "topics/redis.yaml",
        "related: [caching, in-memory]",
        "related: [caching, in-memory, streams]",
    )
    mini.write("tags.yaml", mini.read("tags.yaml") + "search:\n  name: Search\n")
    assert warnings(mini) == [
        "tags.yaml:7:1: warning: tag 'search' is described but no topic uses it",
        "topics/redis.yaml:6:31: warning: tag 'streams' is used by this topic only; a tag "
        "groups several topics",
    ]


def test_literal_block_wrapped_over_lines_is_one_paragraph(mini):
    mini.replace(
        "topics/redis.yaml",
        "summary: An in-memory data structure server used as a cache, queue and session store.",
        "summary: |\n  An in-memory data structure server\n  used as a cache and queue.",
    )
    tg = graph.load(mini.root, strict=True)
    assert (
        tg.topic("redis").summary == "An in-memory data structure server used as a cache and queue."
    )
