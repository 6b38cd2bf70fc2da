"""`pickgraph freeze` never destroys what it did not write (issue 18).

It used to sweep its output folder with Frozen-Flask's REMOVE_EXTRA_FILES, so
`pickgraph freeze .` inside a clone deleted the README, the packages and `.git`.
"""

from __future__ import annotations

import json
import subprocess

import pytest

from pickgraph.web.cli import main
from pickgraph.web.freeze import MARKER, freeze


def snapshot(folder) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


def test_folder_with_a_foreign_file_is_refused_with_exit_2(mini, tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    assert main(["freeze", str(out), "--content", str(mini.root)]) == 2
    err = capsys.readouterr().err
    assert f"{out} is not empty and was not written by pickgraph freeze" in err
    assert "notes.txt" in err and "--force" in err
    assert snapshot(out) == {"notes.txt": b"mine"}
    assert [p.name for p in tmp_path.iterdir()] == ["content", "site"]  # no leftovers


def test_freeze_dot_inside_a_clone_touches_nothing(mini, tmp_path, monkeypatch, capsys):
    clone = tmp_path / "clone"
    clone.mkdir()
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    (clone / "README.md").write_text("# project\n")
    (clone / "pyproject.toml").write_text("[project]\nname = 'x'\n")
    (clone / "engine").mkdir()
    (clone / "engine" / "__init__.py").write_text("")
    before = snapshot(clone)
    monkeypatch.chdir(clone)
    assert main(["freeze", ".", "--content", str(mini.root)]) == 2
    assert "is not empty and was not written by pickgraph freeze" in capsys.readouterr().err
    assert snapshot(clone) == before


def test_fresh_folder_then_refreeze_replaces_only_its_own_files(mini, tmp_path):
    out = tmp_path / "site"
    first = freeze(out, str(mini.root))
    assert first["files"] > 20 and (out / "compare" / "mysql-vs-postgresql").is_file()
    listed = set(json.loads((out / MARKER).read_text())["files"])
    assert "compare/mysql-vs-postgresql" in listed and "topic/redis" in listed
    (out / "CNAME").write_text("compare.example.org\n")  # the user's own file
    # the content loses memcached and its comparison: its pages go, CNAME stays
    mini.remove("comparisons/redis-vs-memcached.yaml")
    mini.remove("topics/memcached.yaml")
    mini.replace("topics/redis.yaml", "related: [caching, in-memory]", "related: [in-memory]")
    mini.replace("tags.yaml", "caching:", "unused-caching:")
    freeze(out, str(mini.root))
    assert (out / "CNAME").read_text() == "compare.example.org\n"
    assert not (out / "topic" / "memcached").exists()
    assert not (out / "compare" / "memcached-vs-redis").exists()
    assert (out / "topic" / "redis").is_file()


def test_force_writes_beside_foreign_files_and_deletes_none(mini, tmp_path, capsys):
    out = tmp_path / "site"
    out.mkdir()
    (out / "keep.txt").write_text("mine")
    assert main(["freeze", str(out), "--content", str(mini.root), "--force"]) == 0
    assert (out / "keep.txt").read_text() == "mine"
    assert (out / "compare" / "mysql-vs-postgresql").is_file()


def test_a_failed_freeze_leaves_the_output_as_it_was(mini, tmp_path, monkeypatch):
    import pickgraph.web.freeze as web_freeze

    out = tmp_path / "site"
    freeze(out, str(mini.root))
    before = snapshot(out)

    def broken(build, content, site_url):
        (build / "half-written").write_text("x")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(web_freeze, "_freeze_into", broken)
    with pytest.raises(OSError):
        freeze(out, str(mini.root))
    assert snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["content", "site"]
