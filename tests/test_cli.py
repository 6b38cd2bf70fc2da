"""The pickgraph command line: exit codes, locations, JSON output, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from pickgraph import graph
from pickgraph.web.cli import main


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
        [sys.executable, "-m", "pickgraph.web.cli", "validate", "--content", str(mini.root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr


def test_suggest_answers_a_comparison_in_either_order_and_a_stack(capsys):
    code, out, _ = run(capsys, "suggest", "postgres-vs-mysql", "--limit", "4", "--json")
    data = json.loads(out)
    assert code == 0 and data["query"]["slug"] == "mysql-vs-postgresql"
    slugs = [c["slug"] for c in data["comparisons"]]
    assert 1 <= len(slugs) <= 4 and "mysql-vs-postgresql" not in slugs
    assert all(c["reasons"] for c in data["comparisons"])
    assert all(c["evidence"][0]["kind"] == "shares-side" for c in data["comparisons"][:2])
    code, again, _ = run(capsys, "suggest", "mysql-vs-postgresql", "--limit", "4", "--json")
    assert json.loads(again)["comparisons"] == data["comparisons"]
    code, out, _ = run(
        capsys, "suggest", "--topics", "python,postgres", "--limit", "3", "--method", "ppr-aa"
    )
    assert code == 0
    assert out.startswith("You might also compare (topics python, postgresql, method ppr-aa):")
    assert out.count("  score ") == 6  # three comparisons, three related topics
    code, out, _ = run(capsys, "suggest", "--topics", "python,postgres")
    assert out.startswith("You might also compare (topics python, postgresql, method learned):")
    assert "(shares-side)" in out


def test_suggest_bad_input_exits_2_naming_it(capsys):
    code, out, err = run(capsys, "suggest", "postgresq")
    assert code == 2 and out == ""
    assert "unknown topic or comparison 'postgresq'; did you mean postgresql" in err
    code, _, err = run(capsys, "suggest", "--topics", "kafka,nope")
    assert code == 2 and "unknown topic 'nope'" in err
    with pytest.raises(SystemExit) as exc:
        main(["suggest", "kafka", "--limit", "51"])
    assert exc.value.code == 2
    assert "--limit: must be from 1 to 50" in capsys.readouterr().err


def test_gaps_and_rank_by_tag(capsys):
    code, out, _ = run(capsys, "gaps", "--tag", "sql", "--limit", "3", "--json")
    data = json.loads(out)
    assert code == 0 and data["tag"] == "sql" and len(data["gaps"]) == 3
    for gap in data["gaps"]:
        assert gap["reasons"] and gap["slug"] == "-vs-".join(gap["topics"])
    code, out, _ = run(capsys, "rank", "--tag", "sql", "--json")
    rows = json.loads(out)["rankings"]
    assert code == 0 and rows[0]["topic"] == "postgresql"
    for name in ("gaps", "rank"):
        code, _, err = run(capsys, name, "--tag", "no-such-tag")
        assert code == 2 and "unknown tag 'no-such-tag'" in err


def test_evaluate_json_shape_and_repeated_method(capsys):
    code, out, _ = run(
        capsys, "evaluate", "--splits", "2", "--method", "ppr-aa", "--method", "random", "--json"
    )
    data = json.loads(out)
    assert code == 0 and data["default"] == "learned" and data["protocol"] == "v2"
    assert set(data["methods"]) == {"learned", "ppr-aa", "random"}
    assert set(data["intervals"]) == {"ppr-aa", "random"}
    for metrics in data["methods"].values():
        assert set(metrics) >= {"hits@5", "hits@10", "mrr", "ndcg@10", "coverage"}
    assert data["methods"]["ppr-aa"]["hits@10"] > 5 * data["methods"]["random"]["hits@10"]
    for bad in (["--splits", "0"], ["--holdout", "1.5"]):
        code, _, err = run(capsys, "evaluate", *bad)
        assert code == 2 and "pickgraph: error:" in err


def test_index_build_names_a_bad_scheduler_and_exits_2(capsys, mini, monkeypatch):
    code, out, err = run(capsys, "index", "build", "--content", str(mini.root), "--scheduler", "x")
    assert code == 2 and out == ""
    assert "--scheduler must be 'serial', 'local' or a dask scheduler's address" in err
    monkeypatch.setenv("PICKGRAPH_SCHEDULER", "tcp://no host:1")
    code, out, err = run(capsys, "index", "build", "--content", str(mini.root))
    assert code == 2 and "$PICKGRAPH_SCHEDULER must be" in err and "'tcp://no host:1'" in err


def test_index_build_in_this_process_reports_and_writes_the_index(capsys, mini, tmp_path):
    out_dir = tmp_path / "index"
    code, out, err = run(
        capsys,
        "index",
        "build",
        "--content",
        str(mini.root),
        "--scheduler",
        "serial",
        "--out",
        str(out_dir),
        "--json",
    )
    assert code == 0, err
    report = json.loads(out)
    assert report["stats"]["tasks"] == "serial" and report["stats"]["exact"] is True
    assert report["stats"]["pages"] == 6 + 4
    header = json.loads((out_dir / "header.json").read_text())
    assert header["version"] == report["version"] == graph.load(mini.root).version


def test_index_build_never_replaces_a_folder_that_is_not_an_index(capsys, mini, tmp_path):
    """--out names a folder holding the user's files: refused before the build, exit 2,
    every file still there; a folder holding an earlier index is replaced."""
    victim = tmp_path / "mine"
    (victim / "sub").mkdir(parents=True)
    (victim / "notes.txt").write_text("keep me")
    base = ["index", "build", "--content", str(mini.root), "--scheduler", "serial"]
    code, out, err = run(capsys, *base, "--out", str(victim))
    assert code == 2 and out == ""
    assert "holds files that are not a pickgraph index" in err
    assert (victim / "notes.txt").read_text() == "keep me" and (victim / "sub").is_dir()
    code, out, err = run(capsys, *base, "--out", ".")
    assert code == 2 and "is not a folder an index can be written to" in err
    index = tmp_path / "index"
    for _ in range(2):  # the second build replaces the first index
        code, out, err = run(capsys, *base, "--out", str(index))
        assert code == 0, err
    assert sorted(p.name for p in index.iterdir() if p.suffix == ".json") == ["header.json"]


@pytest.mark.parametrize(
    "address, message",
    [
        ("foo://127.0.0.1:1", "--scheduler must be"),
        ("ws://[::1:1", "--scheduler must be"),
        ("tls://127.0.0.1:1", "cannot reach the dask scheduler tls://127.0.0.1:1"),
    ],
)
def test_index_build_with_an_unusable_scheduler_exits_2(capsys, mini, address, message):
    code, out, err = run(
        capsys, "index", "build", "--content", str(mini.root), "--scheduler", address
    )
    assert code == 2 and message in err and "internal error" not in err


def test_cache_fill_builds_the_entry_a_start_reads_then_reports_it_held(
    capsys, mini, tmp_path, monkeypatch
):
    from pickgraph.web.state import SiteState

    monkeypatch.setenv("PICKGRAPH_CACHE", str(tmp_path / "cache"))
    code, out, err = run(capsys, "cache", "fill", "--content", str(mini.root))
    assert code == 0 and err == ""
    assert out.startswith("cached content ") and "6 topics, 4 comparisons" in out
    code, out, _ = run(capsys, "cache", "fill", "--content", str(mini.root))
    assert code == 0 and "is already in the cache" in out
    state = SiteState.from_folder(mini.root)
    assert state.from_cache is True and state.recommender.index is not None


def test_cache_fill_refuses_a_turned_off_cache_and_invalid_content(
    capsys, mini, tmp_path, monkeypatch
):
    monkeypatch.setenv("PICKGRAPH_CACHE", "")
    code, out, err = run(capsys, "cache", "fill", "--content", str(mini.root))
    assert code == 2 and out == ""
    assert (
        err.strip()
        == "pickgraph: error: the start-up cache is turned off (PICKGRAPH_CACHE is empty)"
    )
    monkeypatch.setenv("PICKGRAPH_CACHE", str(tmp_path / "cache"))
    mini.replace("comparisons/redis-vs-memcached.yaml", "pick: redis", "pick: valkey")
    code, out, err = run(capsys, "cache", "fill", "--content", str(mini.root))
    assert code == 2 and "redis-vs-memcached.yaml:17:7:" in err and "Traceback" not in err
    assert not (tmp_path / "cache").exists() or not list((tmp_path / "cache").glob("state-*"))
