"""Malformed content: every case asserts the exact location and message reported."""

from __future__ import annotations

import multiprocessing as mp
import os

import pytest

from pickgraph import graph
from pickgraph.graph.errors import ContentError

REDIS = "topics/redis.yaml"
PAIR = "comparisons/redis-vs-memcached.yaml"


def problems(content) -> list[str]:
    """Every problem of a folder as 'rel/path:line:col: severity: message'."""
    report = graph.check(content.root)
    prefix = f"{report.folder}/"
    return [str(p).replace(prefix, "", 1) for p in report.problems]


def errors(content) -> list[str]:
    return [p for p in problems(content) if ": error: " in p]


def test_fixture_is_clean(mini):
    assert problems(mini) == []
    tg = graph.load(mini.root, strict=True)
    assert len(tg.topics) == 6 and len(tg.comparisons) == 4


# Each case: (file to write, its new text, the one error expected, exactly).
CASES = [
    pytest.param(
        REDIS,
        "slug: redis\nname: [Redis\n",
        "topics/redis.yaml:3:1: error: YAML syntax error: did not find expected ',' or ']' "
        "(while parsing a flow sequence)",
        id="yaml-syntax-unclosed-list",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\n  kind: database\n",
        "topics/redis.yaml:3:7: error: YAML syntax error: mapping values are not allowed in this context",
        id="yaml-syntax-bad-indent",
    ),
    pytest.param(
        REDIS,
        b"slug: redis\nname: R\xe9dis\n",
        "topics/redis.yaml:2:8: error: file is not valid UTF-8: byte 0xe9 cannot be decoded",
        id="undecodable-byte",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Re\x07dis\n",
        "topics/redis.yaml:2:9: error: control character U+0007 is not allowed in YAML",
        id="control-character",
    ),
    pytest.param(
        REDIS,
        "a: 1\n---\nb: 2\n",
        "topics/redis.yaml:2:1: error: YAML syntax error: but found another document "
        "(expected a single document in the stream)",
        id="two-documents",
    ),
    pytest.param(REDIS, "", "topics/redis.yaml:1:1: error: file is empty", id="empty-file"),
    pytest.param(
        REDIS,
        "- slug\n- name\n",
        "topics/redis.yaml:1:1: error: file: expected a mapping of fields, got a list",
        id="top-level-list",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory data store for caching.\n"
        "related: [caching, in-memory]\nname: Redis OSS\n",
        "topics/redis.yaml:6:1: error: duplicate key 'name' (first at line 2)",
        id="duplicate-key",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsumary: An in-memory data store for caching.\n"
        "related: [caching, in-memory]\n",
        "topics/redis.yaml:4:1: error: unknown field 'sumary'; did you mean 'summary'?",
        id="unknown-field-typo",
    ),
    pytest.param(
        PAIR,
        None,  # built below from the fixture: adds a field to side b
        "comparisons/redis-vs-memcached.yaml:10:3: error: unknown field 'b.colour' "
        "(allowed: topic, pros, cons, choose_if, summary)",
        id="unknown-field-nested",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nrelated: [caching, in-memory]\n",
        "topics/redis.yaml:1:1: error: missing required field 'summary'",
        id="missing-field",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\nrelated: caching\n",
        "topics/redis.yaml:5:10: error: related: expected a list, got the text 'caching'",
        id="wrong-type-list",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: 42\nkind: database\nsummary: An in-memory store.\nrelated: [caching]\n",
        "topics/redis.yaml:2:7: error: name: expected text, got the number 42",
        id="wrong-type-text",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: no\nkind: database\nsummary: An in-memory store.\nrelated: [caching]\n",
        "topics/redis.yaml:2:7: error: name: 'no' is read by YAML as the boolean false; "
        "put it in quotes if you mean the text",
        id="yaml11-boolean",
    ),
    pytest.param(
        REDIS,
        "slug: Redis_DB\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching]\n",
        "topics/redis.yaml:1:7: error: slug: 'Redis_DB' is not a valid slug: use lower-case "
        "letters, digits and single hyphens (such as 'redis-db')",
        id="malformed-slug",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, redis-vs-memcached]\n",
        "topics/redis.yaml:5:20: error: related[1]: 'redis-vs-memcached' contains 'vs' as a "
        "word, which comparison URLs reserve",
        id="slug-with-vs",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching]\naliases: [none]\n",
        "topics/redis.yaml:6:11: error: aliases[0]: 'none' is reserved for comparisons "
        "without a pick",
        id="reserved-slug",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: cache\nsummary: An in-memory store.\nrelated: [caching]\n",
        "topics/redis.yaml:3:7: error: kind: unknown value 'cache'; expected one of 'language', "
        "'runtime', 'framework', 'library', 'database', 'tool', 'platform', 'service', "
        "'protocol', 'standard', 'concept', 'methodology', 'practice', 'discipline' or 'role'",
        id="unknown-kind",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\ndomain: database\nsummary: An in-memory "
        "store.\nrelated: [caching, in-memory]\n",
        "topics/redis.yaml:4:9: error: unknown domain 'database'; did you mean 'databases'?",
        id="unknown-domain",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: >\n  First paragraph.\n\n"
        "  Second paragraph.\nrelated: [caching, in-memory]\n",
        "topics/redis.yaml:4:10: error: summary: text must be one paragraph (it contains a "
        "blank line)",
        id="two-paragraphs",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\nhomepage: redis.io\n",
        "topics/redis.yaml:6:11: error: homepage: 'redis.io' is not an http:// or https:// URL",
        id="bad-homepage",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\nfacts:\n  license: bsd 3-clause\n",
        "topics/redis.yaml:7:12: error: facts.license: 'bsd 3-clause' is not an SPDX licence "
        "id from the list (graph/licenses.py); did you mean 'BSD-3-Clause'?",
        id="facts-license-misspelt",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\nfacts:\n  first_release: 209\n",
        "topics/redis.yaml:7:18: error: facts.first_release: must be at least 1950, got 209",
        id="facts-year-out-of-range",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\nfacts:\n  hosting: cloud\n",
        "topics/redis.yaml:7:12: error: facts.hosting: unknown value 'cloud'; expected one of "
        "'self-hosted', 'managed' or 'both'",
        id="facts-hosting-unknown",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\nfacts:\n  licence: MIT\n",
        "topics/redis.yaml:7:3: error: unknown field 'facts.licence'; did you mean 'license'?",
        id="facts-unknown-field",
    ),
    pytest.param(
        "topics/redis.yaml",
        "slug: redis-server\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\n",
        "topics/redis.yaml:1:7: error: slug 'redis-server' does not match the file name; "
        "name the file redis-server.yaml",
        id="topic-file-name",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\naliases: [memcached]\n",
        "topics/redis.yaml:6:11: error: alias 'memcached' is the slug of topic 'memcached'",
        id="alias-is-topic",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, in-memory]\naliases: [redis-server, pg]\n",
        "topics/redis.yaml:6:25: error: alias 'pg' is already an alias of topic 'postgresql' "
        "(@/topics/postgresql.yaml)",
        id="duplicate-alias",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, postgres]\n",
        "topics/redis.yaml:5:20: error: related tag 'postgres' is an alias of topic "
        "'postgresql'; write 'postgresql'",
        id="alias-as-tag",
    ),
    pytest.param(
        REDIS,
        "slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        "related: [caching, caching]\n",
        "topics/redis.yaml:5:20: error: related tag 'caching' is listed twice",
        id="duplicate-tag",
    ),
    pytest.param(
        "tags.yaml",
        "redis:\n  name: Redis\n",
        "tags.yaml:1:1: error: tag 'redis' is a topic; describe it in topics/redis.yaml",
        id="tag-is-topic",
    ),
    pytest.param(
        "tags.yaml",
        "sql:\n  name: SQL\nIn Memory:\n  name: In memory\n",
        "tags.yaml:3:1: error: 'In Memory' is not a valid slug: use lower-case letters, digits "
        "and single hyphens (such as 'in-memory')",
        id="tag-bad-slug",
    ),
    pytest.param(
        PAIR,
        ("topic: memcached", "topic: memcache"),
        "comparisons/redis-vs-memcached.yaml:10:10: error: unknown topic 'memcache'; did you "
        "mean memcached?",
        id="unknown-topic",
    ),
    pytest.param(
        PAIR,
        ("topic: memcached", "topic: redis"),
        "comparisons/redis-vs-memcached.yaml:10:10: error: topic 'redis' is compared with itself",
        id="self-comparison",
    ),
    pytest.param(
        PAIR,
        (
            "url: https://redis.io/docs/latest/develop/data-types/",
            "url: http://redis.io/docs/",
        ),
        "comparisons/redis-vs-memcached.yaml:24:10: error: sources[0].url: "
        "'http://redis.io/docs/' is not an absolute https:// URL",
        id="source-not-https",
    ),
    pytest.param(
        PAIR,
        ("pick: redis", "pick: valkey"),
        "comparisons/redis-vs-memcached.yaml:17:7: error: pick 'valkey' is neither side: "
        "expected 'redis', 'memcached' or 'none'",
        id="pick-not-a-side",
    ),
    pytest.param(
        PAIR,
        ("pick: redis", "pick: none"),
        "comparisons/redis-vs-memcached.yaml:17:7: error: pick is 'none': add no_pick_reason "
        "saying what the choice depends on",
        id="no-pick-without-reason",
    ),
    pytest.param(
        PAIR,
        ("pick: redis", "pick: redis\nno_pick_reason: It depends on the workload."),
        "comparisons/redis-vs-memcached.yaml:18:1: error: no_pick_reason is only for "
        "comparisons with pick: none",
        id="reason-with-pick",
    ),
    pytest.param(
        PAIR,
        (
            "  pros:\n    - Multithreaded, so one instance uses every core\n"
            "    - A tiny feature set that is easy to run\n",
            "  pros: []\n",
        ),
        "comparisons/redis-vs-memcached.yaml:11:9: error: b.pros: must list at least 1 item",
        id="empty-pros",
    ),
    pytest.param(
        PAIR,
        ("  choose_if: You only need a simple, very fast cache.", '  choose_if: "  "'),
        "comparisons/redis-vs-memcached.yaml:16:14: error: b.choose_if: text is empty",
        id="empty-text",
    ),
    pytest.param(
        PAIR,
        ("reviewed: 2026-11-02", "reviewed: 2026-11-02\nweight: 0"),
        "comparisons/redis-vs-memcached.yaml:23:9: error: weight: must be greater than 0 and "
        "at most 1, got 0",
        id="weight-range",
    ),
    pytest.param(
        PAIR,
        ("reviewed: 2026-11-02", "reviewed: soon"),
        "comparisons/redis-vs-memcached.yaml:22:11: error: reviewed: expected a date written "
        "YYYY-MM-DD, got the text 'soon'",
        id="not-a-date",
    ),
    pytest.param(
        PAIR,
        ("reviewed: 2026-11-02", "reviewed: 2026-02-30"),
        "comparisons/redis-vs-memcached.yaml:22:11: error: reviewed: '2026-02-30' is not a "
        "real date",
        id="impossible-date",
    ),
    pytest.param(
        PAIR,
        ("  cons:\n    - Values are opaque", "  cons:\n    - yes\n    - Values are opaque"),
        "comparisons/redis-vs-memcached.yaml:15:7: error: b.cons[0]: 'yes' is read by YAML as "
        "the boolean true; put it in quotes if you mean the text",
        id="yaml11-boolean-in-list",
    ),
    pytest.param(
        PAIR,
        ("bottom_line: Redis unless", "bottom_line:\n  - Redis unless"),
        "comparisons/redis-vs-memcached.yaml:22:3: error: bottom_line: expected text, got a list",
        id="list-for-text",
    ),
]


@pytest.mark.parametrize("rel, text, expected", CASES)
def test_malformed_content(mini, rel, text, expected):
    if text is None:
        mini.replace(PAIR, "b:\n", "b:\n  colour: red\n")
    elif isinstance(text, tuple):
        mini.replace(rel, *text)
    else:
        mini.write(rel, text)
    found = errors(mini)
    expected = expected.replace("@/", f"{graph.check(mini.root).folder}/")
    assert expected in found, "\n".join(found)
    with pytest.raises(ContentError) as info:
        graph.load(mini.root)
    assert any(str(p).endswith(expected.split(": error: ")[1]) for p in info.value.problems)


def test_pair_twice_in_reversed_order_names_both_files(mini):
    text = mini.read(PAIR)
    swapped = text.replace("a:\n  topic: redis", "x").replace(
        "b:\n  topic: memcached", "a:\n  topic: memcached"
    )
    swapped = swapped.replace("x", "b:\n  topic: redis", 1)
    mini.write("comparisons/memcached-vs-redis.yaml", swapped)
    found = errors(mini)
    folder = graph.check(mini.root).folder
    assert found == [
        f"comparisons/redis-vs-memcached.yaml:2:10: error: the pair redis / memcached is "
        f"already compared in {folder}/comparisons/memcached-vs-redis.yaml"
    ]


def test_comparison_file_name_must_match_sides(mini):
    (mini / PAIR).rename(mini / "comparisons/redis-versus-memcached.yaml")
    assert errors(mini) == [
        "comparisons/redis-versus-memcached.yaml:1:1: error: file name does not match its "
        "sides: name it redis-vs-memcached.yaml"
    ]


def test_text_cut_short_by_a_comment_is_a_warning_naming_where(mini):
    """In YAML " #" starts a comment: an unquoted pro written "... since #![no_std] ..."
    ends at "since" without any error. The loader says so, and --strict refuses it."""
    mini.replace(PAIR, "Optional persistence and replication", "Persistence on disk #1 choice")
    report = graph.check(mini.root)
    assert report.ok() and not report.ok(strict=True)
    (found,) = [p for p in report.warnings if p.code == "cut-by-comment"]
    line = mini.read(PAIR).splitlines().index("    - Persistence on disk #1 choice") + 1
    assert (found.path.endswith(PAIR), found.line, found.column) == (True, line, 27)  # the "#"
    assert "'Persistence on disk'" in found.message and "quotes" in found.message
    assert report.graph.comparisons["memcached-vs-redis"].a.pros[1] == "Persistence on disk"
    # quoted, the same text is whole and clean; "#" inside words is never a comment
    mini.replace(PAIR, "- Persistence on disk #1 choice", '- "Persistence on disk #1 choice"')
    mini.replace(PAIR, "Mostly single-threaded", "Mostly C#-style single-threaded")
    report = graph.check(mini.root)
    assert report.ok(strict=True)
    assert (
        report.graph.comparisons["memcached-vs-redis"].a.pros[1] == "Persistence on disk #1 choice"
    )


def test_every_problem_is_reported_in_one_run(mini):
    mini.write(REDIS, "slug: redis\nname: no\nkind: cache\nsummary: x\nrelated: [caching]\n")
    mini.replace(PAIR, "pick: redis", "pick: valkey")
    mini.write("topics/mysql.yaml", b"slug: mysql\nname: \xff\n")
    found = errors(mini)
    assert [f.split(":")[0] for f in found] == [
        "comparisons/redis-vs-memcached.yaml",
        "topics/mysql.yaml",
        "topics/redis.yaml",
        "topics/redis.yaml",
    ]


def test_broken_topic_file_does_not_cascade_into_unknown_topic(mini):
    mini.write(REDIS, "slug: redis\nname: [\n")
    found = errors(mini)
    assert len(found) == 1 and found[0].startswith("topics/redis.yaml:")


def test_missing_folder_is_a_content_error(tmp_path):
    report = graph.check(tmp_path / "nowhere")
    assert [p.message for p in report.errors] == ["content folder not found"]
    with pytest.raises(ContentError):
        graph.load(tmp_path / "nowhere")


def test_environment_variable_names_the_default_folder(mini, monkeypatch):
    monkeypatch.setenv("PICKGRAPH_CONTENT", str(mini.root))
    assert len(graph.load().topics) == 6


def test_quoted_iso_date_is_accepted(mini):
    mini.replace(PAIR, "reviewed: 2026-11-02", 'reviewed: "2026-11-02"')
    tg = graph.load(mini.root, strict=True)
    assert tg.comparison("redis-vs-memcached").reviewed.isoformat() == "2026-11-02"


def test_two_files_claiming_one_slug(mini):
    mini.write("topics/redis-server.yaml", mini.read(REDIS))
    found = errors(mini)
    folder = graph.check(mini.root).folder
    assert (
        "topics/redis-server.yaml:1:7: error: slug 'redis' does not match the file name; "
        "name the file redis.yaml" in found
    )
    assert (
        f"topics/redis.yaml:1:7: error: topic 'redis' is already defined in "
        f"{folder}/topics/redis-server.yaml" in found
    )


@pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or "fork" not in mp.get_all_start_methods(),
    reason="the parallel reader needs two cores and fork",
)
def test_parallel_read_reports_what_the_serial_one_does(mini, monkeypatch):
    """Drafts, limits and errors cross the process boundary unchanged (issue 18)."""
    from pickgraph.graph import loader

    mini.write("topics/valkey.yaml", "draft: true\nslug: valkey\n")
    mini.write("topics/sqlite.yaml", "slug: sqlite\nname: " + "[" * 100 + "]" * 100 + "\n")
    mini.replace(PAIR, "pick: redis", "pick: valkey")
    serial = graph.check(mini.root)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(loader, "_CHUNK", 1)
    parallel = graph.check(mini.root)
    assert parallel.problems == serial.problems
    assert [p.code for p in serial.errors] == ["bad-pick", "too-deep"]
    assert parallel.drafts == serial.drafts == [str(serial.folder / "topics" / "valkey.yaml")]


def test_parallel_read_with_other_threads_running_does_not_fork_them(mini, monkeypatch):
    """A server reloading content has other threads (its file watcher, a dask client):
    the reading processes then come from a fork server, never from a fork of a
    multi-threaded process, and read what the serial reader does."""
    import threading
    import warnings

    from pickgraph.graph import loader

    serial = graph.check(mini.root)
    monkeypatch.setattr(loader, "PARALLEL_MIN_FILES", 0)
    monkeypatch.setattr(loader, "_CHUNK", 1)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, daemon=True)
    other.start()
    try:
        assert loader._pool_context().get_start_method() == "forkserver"
        with warnings.catch_warnings():
            warnings.simplefilter("error", DeprecationWarning)  # "use of fork() may deadlock"
            parallel = graph.check(mini.root)
    finally:
        stop.set()
        other.join()
    assert parallel.problems == serial.problems
    assert sorted(parallel.graph.topics) == sorted(serial.graph.topics)
