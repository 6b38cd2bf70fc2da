"""The pickgraph command line: exit codes, locations, JSON output, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from web.cli import main


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_validate_clean_folder_exits_0(capsys, mini):
    code, out, err = run(capsys, "validate", "--strict", "--content", str(mini.root))
    assert code == 0 and out == ""
    assert "12 files, 0 errors, 0 warnings" in err


def test_validate_prints_every_problem_and_exits_2(capsys, mini):
    mini.write(
        "topics/redis.yaml", "slug: redis\nname: no\nkind: cache\nsummary: x\nrelated: [caching]\n"
    )
    code, out, err = run(capsys, "validate", "--content", str(mini.root))
    assert code == 2
    lines = [line for line in out.splitlines() if ": error: " in line]
    assert [line.split(": error: ")[0].rsplit("/", 2)[-2:] for line in lines] == [
        ["topics", "redis.yaml:2:7"],
        ["topics", "redis.yaml:3:7"],
    ]
    assert "Traceback" not in out + err


def test_validate_strict_turns_warnings_into_errors(capsys, mini):
    mini.replace(
        "comparisons/redis-vs-memcached.yaml",
        "    - Optional persistence and replication",
        "    - TBD",
    )
    code, out, _ = run(capsys, "validate", "--content", str(mini.root))
    assert code == 0 and ": warning: " in out
    code, out, _ = run(capsys, "validate", "--strict", "--content", str(mini.root))
    assert code == 2 and ": error: text is a placeholder (TBD)" in out


def test_validate_json(capsys, mini):
    mini.replace("comparisons/redis-vs-memcached.yaml", "pick: redis", "pick: valkey")
    code, out, _ = run(capsys, "validate", "--json", "--content", str(mini.root))
    report = json.loads(out)
    assert code == 2 and report["ok"] is False and report["errors"] == 1
    (problem,) = [p for p in report["problems"] if p["severity"] == "error"]
    assert problem["path"].endswith("comparisons/redis-vs-memcached.yaml")
    assert (problem["line"], problem["column"], problem["code"]) == (17, 7, "bad-pick")


def test_stats_json_on_fixture(capsys, mini):
    code, out, _ = run(capsys, "stats", "--json", "--content", str(mini.root))
    s = json.loads(out)
    assert code == 0
    assert (s["topics"], s["tags"], s["comparisons"]) == (6, 5, 4)
    # {postgresql, mysql, sqlite, duckdb + their tags} and {redis, memcached + tags}
    assert s["components"] == 2
    assert s["largest_component_share"] == round(7 / 11, 4)


def test_commands_on_invalid_content_exit_2_with_locations(capsys, mini):
    mini.write("topics/redis.yaml", b"\xff")
    code, out, err = run(capsys, "stats", "--content", str(mini.root))
    assert code == 2 and out == ""
    assert "topics/redis.yaml:1:1: error: file is not valid UTF-8" in err


def test_missing_folder_exit_2(capsys, tmp_path):
    code, _, err = run(capsys, "stats", "--content", str(tmp_path / "nope"))
    assert code == 2 and "content folder not found" in err


def test_usage_error_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["export", "--format", "pdf", "--out", "x"])
    assert info.value.code == 2


def test_console_script_is_installed(mini):
    proc = subprocess.run(
        [sys.executable, "-m", "web.cli", "validate", "--content", str(mini.root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
