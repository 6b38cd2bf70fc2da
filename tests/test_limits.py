"""Hostile and degenerate content folders (issue 18): alias bombs, deep nesting, huge
files, 40,000 tags, no topics at all, drafts. Each is a located problem and exit 2,
fast and in little memory, never a traceback."""

from __future__ import annotations

import resource
import subprocess
import sys
import time

import pytest

from pickgraph import graph
from pickgraph.graph.yamlsource import MAX_ALIAS_DEPTH, MAX_ALIAS_VALUES, MAX_DEPTH
from pickgraph.web.cli import main

REDIS = "topics/redis.yaml"

# Runs the command line, then reports its own peak resident memory (not the test
# process's children, which would include every earlier subprocess).
_MEASURED = """
import resource, sys
from pickgraph.web.cli import main
code = main(sys.argv[1:])
print(f"peak-kb {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}", file=sys.stderr)
sys.exit(code)
"""
# A safety net: a regression fails with MemoryError here instead of eating the machine.
_ADDRESS_SPACE = 2 << 30


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (_ADDRESS_SPACE, _ADDRESS_SPACE))


def validate_measured(folder, env=None) -> tuple[int, str, float, int]:
    """(exit code, stdout + stderr, seconds, peak MB) of ``pickgraph validate``."""
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _MEASURED, "validate", "--content", str(folder)],
        capture_output=True,
        text=True,
        timeout=60,
        preexec_fn=_cap_memory,
        env=env,
    )
    seconds = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    peak_kb = int(output.rsplit("peak-kb ", 1)[1].split()[0]) if "peak-kb " in output else -1
    return proc.returncode, output, seconds, peak_kb // 1024


def billion_laughs() -> str:
    """Nine levels of nine aliases: about 300 bytes that expand to 9**9 strings."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [{', '.join([f'*{prev}'] * 9)}]")
    return "\n".join(lines) + "\n"


def deep_flow(depth: int) -> str:
    return f"slug: redis\nrelated: {'[' * depth}x{']' * depth}\n"


HOSTILE = [
    pytest.param(
        billion_laughs(),
        f"topics/redis.yaml:5:4: error: aliases nested more than {MAX_ALIAS_DEPTH} deep "
        "(an alias inside what another alias repeats); content files need no aliases",
        id="billion-laughs",
    ),
    pytest.param(
        deep_flow(900),
        # the file's mapping is the first level, so the 64th bracket (after
        # "related: ", 9 characters) is one too many
        f"topics/redis.yaml:2:{9 + MAX_DEPTH}: error: values nested more than {MAX_DEPTH} "
        "levels deep",
        id="nesting-900-deep",
    ),
]


@pytest.mark.parametrize("text, expected", HOSTILE)
def test_hostile_file_is_one_located_error_fast_and_small(mini, text, expected):
    mini.write(REDIS, text)
    code, output, seconds, peak_mb = validate_measured(mini.root)
    assert code == 2, output
    assert expected in output
    assert "Traceback" not in output and "internal error" not in output
    assert seconds < 5 and 0 < peak_mb < 500, (seconds, peak_mb)


def test_fifty_megabyte_file_is_refused_unread(mini):
    big = mini.root / REDIS
    with open(big, "wb") as f:
        f.write(b"slug: redis\nsummary: " + b"x" * (50 * 2**20) + b"\n")
    size = big.stat().st_size
    code, output, seconds, peak_mb = validate_measured(mini.root)
    assert code == 2
    assert (
        f"topics/redis.yaml:1:1: error: file is {size:,} bytes, over the limit of "
        "1,048,576 (set PICKGRAPH_MAX_FILE_BYTES to raise it)"
    ) in output
    assert seconds < 5 and 0 < peak_mb < 500, (seconds, peak_mb)


def test_file_size_limit_is_a_setting(mini, monkeypatch, capsys):
    largest = max(mini.root.rglob("*.yaml"), key=lambda p: p.stat().st_size)
    size = largest.stat().st_size
    monkeypatch.setenv("PICKGRAPH_MAX_FILE_BYTES", str(size - 1))
    assert main(["validate", "--content", str(mini.root)]) == 2
    out = capsys.readouterr().out
    assert (
        f"{largest.name}:1:1: error: file is {size:,} bytes, over the limit of {size - 1:,}" in out
    )
    monkeypatch.setenv("PICKGRAPH_MAX_FILE_BYTES", str(size))
    assert main(["validate", "--content", str(mini.root)]) == 0
    monkeypatch.setenv("PICKGRAPH_MAX_FILE_BYTES", "1MB")
    assert main(["validate", "--content", str(mini.root)]) == 2
    err = capsys.readouterr().err
    assert (
        "pickgraph: error: PICKGRAPH_MAX_FILE_BYTES='1MB': expected a positive whole "
        "number of bytes"
    ) in err


def errors_of(folder) -> list[str]:
    report = graph.check(folder)
    return [str(p).replace(f"{report.folder}/", "", 1) for p in report.errors]


@pytest.mark.parametrize(
    "text, expected",
    [
        pytest.param(
            "slug: redis\nrelated: &r [a, *r]\n",
            "topics/redis.yaml:2:10: error: aliases nested more than 3 deep",
            id="recursive-anchor",
        ),
        pytest.param(
            f"slug: redis\nall: &all [{', '.join(['x'] * 2000)}]\n"
            f"copies: [{', '.join(['*all'] * 6)}]\n",
            f"topics/redis.yaml:3:9: error: aliases expand to more than {MAX_ALIAS_VALUES:,} "
            "values",
            id="wide-alias-expansion",
        ),
        pytest.param(
            deep_flow(5000),
            "topics/redis.yaml:2:1009: error: YAML syntax error: exceeded maximum nesting depth",
            id="past-libyaml-limit",
        ),
    ],
)
def test_alias_and_depth_limits_in_process(mini, text, expected):
    mini.write(REDIS, text)
    (error,) = errors_of(mini.root)
    assert error.startswith(expected), error


def test_a_few_aliases_still_work(mini):
    mini.replace("topics/redis.yaml", "related: [caching, in-memory]", "related: &r [caching]")
    mini.write("topics/redis.yaml", mini.read("topics/redis.yaml") + "aliases: [redis-oss]\n")
    assert errors_of(mini.root) == []


def _single_use_tags(mini, n: int) -> float:
    """Seconds to check a folder whose Redis lists ``n`` tags no other topic uses
    (best of three runs: the machine may be busy)."""
    tags = ", ".join(f"unknown-tag-{i}" for i in range(n))
    mini.write(
        REDIS,
        f"slug: redis\nname: Redis\nkind: database\nsummary: An in-memory store.\n"
        f"related: [{tags}]\n",
    )
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        report = graph.check(mini.root)
        best = min(best, time.perf_counter() - start)
    assert sum(p.code == "single-use-tag" for p in report.problems) == n + 2
    return best


def test_forty_thousand_unknown_tags_check_in_linear_time(mini):
    """It was quadratic (list.index per tag): 7.5 s at 40,000 tags."""
    small = _single_use_tags(mini, 5_000)
    large = _single_use_tags(mini, 40_000)
    # Eight times the tags: at most 8x the time when linear, 64x when quadratic.
    assert large < 20 * small, (small, large)
    assert large < 2.0, large  # about 0.5 s on a quiet 2-core machine


@pytest.mark.parametrize(
    "make, why",
    [
        (lambda root: None, "it has no topics/ folder"),
        (lambda root: (root / "topics").mkdir(), "its topics/ folder holds no .yaml file"),
    ],
    ids=["no-topics-folder", "empty-topics-folder"],
)
def test_folder_without_topics_exits_2_naming_it(tmp_path, capsys, make, why):
    folder = tmp_path / "site"
    folder.mkdir()
    make(folder)
    assert main(["validate", "--content", str(folder)]) == 2
    out = capsys.readouterr().out
    assert f"{folder}:0:0: error: no topics in {folder}: {why}" in out


# ---------------------------------------------------------------- drafts


def test_draft_files_are_skipped_and_counted(mini, capsys):
    mini.write("topics/valkey.yaml", "draft: true\nslug: valkey\nname: Valkey\n")
    mini.write("comparisons/valkey-vs-redis.yaml", "draft: true\na:\n  topic: valkey\n")
    report = graph.check(mini.root)
    assert report.ok(strict=True)
    assert [p.rsplit("/", 2)[-2:] for p in report.drafts] == [
        ["topics", "valkey.yaml"],
        ["comparisons", "valkey-vs-redis.yaml"],
    ]
    assert "valkey" not in report.graph.topics and len(report.graph.comparisons) == 4
    version = report.graph.version  # drafts count in it: an edited draft changes it
    mini.write("topics/valkey.yaml", "draft: true\nslug: valkey\nname: Valkey OSS\n")
    assert graph.check(mini.root).graph.version != version
    assert main(["validate", "--strict", "--content", str(mini.root)]) == 0
    assert "14 files, 0 errors, 0 warnings, 2 drafts skipped" in capsys.readouterr().err
    assert main(["stats", "--content", str(mini.root)]) == 0
    assert f"{report.folder}: 2 drafts skipped" in capsys.readouterr().err


def test_draft_false_loads_and_a_bad_draft_value_is_an_error(mini):
    text = mini.read(REDIS)
    mini.write(REDIS, "draft: false\n" + text)
    assert errors_of(mini.root) == []
    mini.write(REDIS, "draft: maybe\n" + text)
    assert errors_of(mini.root) == ["topics/redis.yaml:1:8: error: draft: expected true or false"]


def test_comparison_naming_a_draft_topic_says_so(mini):
    mini.write(REDIS, "draft: true\n" + mini.read(REDIS))
    (error,) = errors_of(mini.root)
    assert error.startswith("comparisons/redis-vs-memcached.yaml:2:10: error: topic 'redis'")
    assert error.endswith("topics/redis.yaml): finish it, or mark this comparison draft: true too")


def test_folder_whose_topics_are_all_drafts_has_no_topics(tmp_path):
    folder = tmp_path / "site"
    (folder / "topics").mkdir(parents=True)
    (folder / "topics" / "a.yaml").write_text("draft: true\nslug: a\n")
    report = graph.check(folder)
    assert [p.message for p in report.errors] == [
        f"no topics in {folder}: every file in its topics/ folder is a draft"
    ]
