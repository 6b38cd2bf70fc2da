"""The import never destroys a file (issue 18): existing files are kept unless
--force, --force merges rather than replaces, the --content folder is never written,
writes are atomic, and a folder of truncated pages imports as drafts that load and
serve."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import yaml

from pickgraph import graph
from pickgraph.graph.importer import ImportRefused, import_pages
from pickgraph.web.cli import main

FIXTURES = Path(__file__).parent / "fixtures"
PAGE = FIXTURES / "pages" / "unicode.txt"
TRUNCATED = sorted((FIXTURES / "truncated").glob("*.txt"))
PAIR = "comparisons/cafe-orm-vs-nandu-db.yaml"
TOPIC = "topics/nandu-db.yaml"


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def edited(tmp_path) -> Path:
    """An imported folder whose comparison and topic were then edited by hand."""
    out = tmp_path / "out"
    assert import_pages([PAGE], out).pages[0].status == "imported"
    comparison = out / PAIR
    comparison.write_text(
        "# checked by hand against the docs\n"
        + comparison.read_text().replace(
            "  pros:\n", "  pros:\n  - A pro the page never had, added by hand\n", 1
        )
        + "sources:\n- url: https://example.org/cafe-orm/docs\n  title: Café ORM documentation\n"
    )
    topic = out / TOPIC
    topic.write_text(topic.read_text() + "aliases: [nandu]\nhomepage: https://example.org/nandu\n")
    return out


def test_import_leaves_edited_files_byte_identical_without_force(edited, capsys):
    before = snapshot(edited)
    code = main(["import", str(PAGE), "--out", str(edited)])
    out, err = capsys.readouterr()
    assert code == 2
    assert snapshot(edited) == before
    assert (
        f"{edited / PAIR}: exists and differs: not overwritten (--force merges the page into it)"
        in out
    )
    assert f"{edited / TOPIC}: exists and differs" in out
    assert "1 already there" in err and "2 existing files kept" in err


def test_importing_the_same_page_again_changes_nothing_and_says_nothing(tmp_path):
    import_pages([PAGE], tmp_path)
    before = snapshot(tmp_path)
    report = import_pages([PAGE], tmp_path)
    assert report.ok and report.kept == [] and report.written == []
    assert snapshot(tmp_path) == before


def test_force_merges_the_page_into_the_edited_files(edited):
    report = import_pages([PAGE], edited, force=True)
    assert report.pages[0].status == "imported" and report.kept == []
    data = yaml.safe_load((edited / PAIR).read_text())
    pros = data["a"]["pros"]
    assert pros[0] == "A pro the page never had, added by hand"  # kept, and first
    assert pros[1:] == [
        "Migrations are generated from model changes with readable diffs — no hand-written SQL"
    ]
    assert data["sources"] == [
        {"url": "https://example.org/cafe-orm/docs", "title": "Café ORM documentation"}
    ]
    topic = yaml.safe_load((edited / TOPIC).read_text())
    assert topic["aliases"] == ["nandu"] and topic["homepage"] == "https://example.org/nandu"
    assert topic["name"] == "Ñandú DB"
    graph.load(edited)  # the merged folder is valid


def test_force_merges_into_a_file_that_lists_the_sides_the_other_way(edited):
    reverse = edited / "comparisons" / "nandu-db-vs-cafe-orm.yaml"
    data = yaml.safe_load((edited / PAIR).read_text())
    data["a"], data["b"] = data["b"], data["a"]
    data["b"]["cons"].append("A con written by hand on the file's b side")
    reverse.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    (edited / PAIR).unlink()
    before = reverse.read_bytes()
    report = import_pages([PAGE], edited)  # without --force: kept, no second file
    assert report.pages[0].status == "exists" and reverse.read_bytes() == before
    assert not (edited / PAIR).exists()
    import_pages([PAGE], edited, force=True)
    assert not (edited / PAIR).exists()
    merged = yaml.safe_load(reverse.read_text())
    assert merged["a"]["topic"] == "nandu-db" and merged["b"]["topic"] == "cafe-orm"
    assert merged["b"]["cons"][-1] == "A con written by hand on the file's b side"
    graph.load(edited)


def test_force_refuses_to_merge_into_an_unreadable_file(edited):
    (edited / PAIR).write_text("a: [unclosed\n")
    report = import_pages([PAGE], edited, force=True)
    assert (edited / PAIR).read_text() == "a: [unclosed\n"
    ((path, why),) = report.kept
    assert path == str(edited / PAIR)
    assert why.startswith(f"cannot merge into it ({edited / PAIR}:2:1: error: YAML syntax error")


@pytest.mark.parametrize("sub", ["", "topics"])
def test_out_inside_the_content_folder_is_refused(mini, capsys, sub):
    before = snapshot(mini.root)
    out = mini.root / sub
    code = main(["import", str(PAGE), "--out", str(out), "--content", str(mini.root)])
    err = capsys.readouterr().err
    assert code == 2 and snapshot(mini.root) == before
    assert (
        f"pickgraph: error: --out {out} is inside the --content folder {mini.root}: the "
        "import never writes into the content it matches against; choose another --out"
    ) in err
    with pytest.raises(ImportRefused):
        import_pages([PAGE], Path(os.path.relpath(out)), existing=mini.root)


def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(edited, monkeypatch):
    before = snapshot(edited)

    def fail(src, dst):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.raises(OSError):
        import_pages([PAGE], edited, force=True)
    assert snapshot(edited) == before  # no half-written file, no .tmp left behind


# ---------------------------------------------------------------- truncated pages


def test_a_folder_of_truncated_pages_imports_as_drafts_that_load_and_serve(tmp_path, capsys):
    out = tmp_path / "out"
    report = import_pages(TRUNCATED, out)
    assert [p.status for p in report.pages] == ["draft", "draft"]
    assert sorted(Path(p).name for p in report.drafts) == [
        "ansible-vs-puppet.yaml",
        "docker-vs-podman.yaml",
        "podman.yaml",
        "puppet.yaml",
    ]
    assert not [p for p in report.lint if p.severity == "error"]
    tg = graph.load(out)
    assert sorted(tg.topics) == ["ansible", "docker"] and not tg.comparisons

    assert main(["validate", "--content", str(out)]) == 0
    assert "4 drafts skipped" in capsys.readouterr().err

    from pickgraph.web import create_app

    client = create_app({"TESTING": True, "CONTENT": str(out)}).test_client()
    assert client.get("/topic/ansible").status_code == 200
    assert client.get("/compare/ansible-vs-puppet").status_code == 404
    assert client.get("/topic/puppet").status_code == 404


def test_a_full_page_later_finishes_a_draft_with_force(tmp_path):
    """A draft is replaced by a finished file once a complete page says the rest."""
    out = tmp_path / "out"
    page = tmp_path / "page.txt"
    text = (FIXTURES / "pages" / "truncated.txt").read_text()
    page.write_text(text)
    import_pages([page], out)
    assert (out / "comparisons" / "terraform-vs-pulumi.yaml").read_text().startswith("draft")
    page.write_text(
        text + "\n  • +Related to: infrastructure-as-code\n\nCons\n\n"
        "  • -Plans can differ from what providers really do on apply\n\n"
        "Pulumi\n\nPulumi describes infrastructure in TypeScript, Python or Go\n\nPros\n\n"
        "  • +Loops and functions come from a real programming language\n"
        "  • +Related to: infrastructure-as-code\n\nCons\n\n"
        "  • -Programs can hide what a change will do until it is previewed\n\n"
        "The Verdict\n\nUse Terraform if: You want the widest provider support.\n\n"
        "Use Pulumi if: Your team would rather write infrastructure in code it knows.\n"
    )
    report = import_pages([page], out, force=True)
    assert report.pages[0].status == "imported" and not report.drafts
    tg = graph.load(out)
    assert tg.comparison("pulumi-vs-terraform").pick == "terraform"
    assert sorted(tg.topics) == ["pulumi", "terraform"]
