"""Importing published plain-text pages, and rendering comparisons back to that form."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pickgraph import graph
from pickgraph.graph.importer import import_pages
from pickgraph.graph.textpage import parse_page, render_page
from pickgraph.web.cli import main

PAGES = Path(__file__).parent / "fixtures" / "pages"
SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"
SEED_PAGE = SEED / "it-management-vs-product-management.txt"


def load_yaml(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


@pytest.mark.skipif(not SEED_PAGE.exists(), reason="../shared/seed is not beside the checkout")
def test_seed_page_imports_into_a_valid_comparison(tmp_path):
    report = import_pages([SEED_PAGE], tmp_path)
    assert [p.status for p in report.pages] == ["imported"]
    assert not [p for p in report.lint if p.severity == "error"]
    tg = graph.load(tmp_path)  # valid: loads without errors
    c = tg.comparison("it-management-vs-product-management")
    assert (tg.topic(c.a.topic).name, tg.topic(c.b.topic).name) == (
        "IT Management",
        "Product Management",
    )
    assert c.pick == "it-management"
    assert tg.topic("it-management").related == ["project-management", "devops"]
    assert tg.topic("product-management").related == ["agile-methodology", "user-research"]
    assert c.a.cons == ["Specific tradeoffs depend on your use case"]
    placeholders = [p for p in report.lint if p.code == "placeholder"]
    assert {(Path(p.path).name, p.line) for p in placeholders} >= {
        ("it-management-vs-product-management.yaml", 8),
        ("it-management-vs-product-management.yaml", 23),
    }


def test_flattened_layout_with_the_different_purposes_verdict():
    page = parse_page((PAGES / "flat-kanban-vs-scrum.txt").read_text())
    assert (page.a.name, page.b.name, page.pick) == ("Kanban", "Scrum", "Kanban")
    assert page.a.pros == [
        "Work-in-progress limits expose bottlenecks before they turn into missed dates",
        "No fixed iterations, so urgent requests can start as soon as capacity frees up",
    ]
    assert page.a.tags == ["agile-methodology", "lean"]
    assert page.b.cons == [
        "Mid-sprint changes are discouraged, which frustrates teams handling support work"
    ]
    assert (page.a.kind, page.b.kind) == ("methodology", "framework")
    assert page.verdict.startswith("These tools serve different purposes.")
    assert page.bottom_line == (
        "For teams with unpredictable incoming work, Kanban's flow beats Scrum's fixed sprints."
    )


def test_kind_named_in_the_verdict_sets_the_topic_kind(tmp_path):
    import_pages([PAGES / "flat-kanban-vs-scrum.txt"], tmp_path)
    assert load_yaml(tmp_path / "topics" / "kanban.yaml")["kind"] == "methodology"
    assert load_yaml(tmp_path / "topics" / "scrum.yaml")["kind"] == "framework"


def test_use_if_verdict_gives_when_to_choose_each_side():
    page = parse_page((PAGES / "scrum-vs-kanban-conflict.txt").read_text())
    assert (
        page.a.choose_if == "Your team is new to agile and wants a clear cadence of planning "
        "and review."
    )
    assert page.b.choose_if.startswith("Your work arrives unpredictably")
    assert page.pick == "Scrum"


def test_same_pair_from_two_pages_is_a_conflict_naming_both_files(tmp_path):
    report = import_pages(
        [
            PAGES / "flat-kanban-vs-scrum.txt",
            PAGES / "scrum-vs-kanban-conflict.txt",
            PAGES / "kanban-vs-scrum-copy.txt",
        ],
        tmp_path,
    )
    # the flattened page has no "Use X if:", so it is written as a draft
    assert [p.status for p in report.pages] == ["draft", "conflict", "duplicate"]
    (message,) = [m for _, m in report.pages[1].problems]
    assert "flat-kanban-vs-scrum.txt" in message and "picks differ (kanban / scrum)" in message
    assert report.pages[1].comparison == "kanban-vs-scrum"
    assert not report.ok
    assert sorted(p.name for p in (tmp_path / "comparisons").iterdir()) == ["kanban-vs-scrum.yaml"]


def test_pair_already_in_existing_content_is_reported(tmp_path, mini):
    page = tmp_path / "pg.txt"
    text = render_page(graph.load(mini.root), "postgresql-vs-mysql")
    page.write_text(
        text.replace("🧊Nice Pick\n\nPostgreSQL", "🧊Nice Pick\n\nMySQL").replace(
            "PostgreSQL wins", "MySQL wins"
        )
    )
    report = import_pages([page], tmp_path / "out", existing=mini.root)
    assert report.pages[0].status == "conflict"
    assert "postgresql-vs-mysql.yaml" in report.pages[0].problems[-1][1]


def test_topics_are_matched_by_name_and_alias_and_merged(tmp_path, mini):
    page = tmp_path / "page.txt"
    page.write_text(
        "Postgres vs SQLite3\n\nIntro.\n\n🧊Nice Pick\n\nPostgres\n\nReason here.\n\n"
        "Postgres\n\nSummary.\n\nPros\n\n  • +Handles many writers at once well\n"
        "  • +Related to: sql, geospatial\n\nCons\n\n  • -Needs a server to run and secure\n\n"
        "SQLite3\n\nSummary.\n\nPros\n\n  • +A single file holds the whole database\n"
        "  • +Related to: sql\n\nCons\n\n  • -One writer at a time on the file\n\n"
        "The Verdict\n\nUse Postgres if: Many clients write at once.\n\n"
        "Use SQLite3 if: One program owns the data.\n"
    )
    report = import_pages([page], tmp_path / "out", existing=mini.root)
    assert (
        report.pages[0].status == "conflict" or report.pages[0].comparison == "postgresql-vs-sqlite"
    )
    out = tmp_path / "out"
    topics = sorted(p.name for p in (out / "topics").iterdir())
    assert topics == ["postgresql.yaml"]  # no new topics; PostgreSQL gained a tag
    assert load_yaml(out / "topics" / "postgresql.yaml")["related"] == [
        "sql",
        "relational-databases",
        "geospatial",
    ]


def test_truncated_page_imports_what_it_has_as_a_draft_and_reports_the_rest(tmp_path):
    """Issue 18: a truncated page is written as a draft, so the folder still loads."""
    report = import_pages([PAGES / "truncated.txt"], tmp_path)
    (page,) = report.pages
    assert page.status == "draft"
    messages = [m for _, m in page.problems]
    assert "no section for Pulumi: its pros and cons are missing" in messages
    comparison = tmp_path / "comparisons" / "terraform-vs-pulumi.yaml"
    assert comparison.read_text().startswith("draft: true\na:\n  topic: terraform\n")
    data = load_yaml(comparison)
    assert data["pick"] == "terraform" and data["draft"] is True
    assert data["a"]["pros"] == [
        "The largest catalogue of providers and modules of any infrastructure tool"
    ]
    assert load_yaml(tmp_path / "topics" / "pulumi.yaml")["draft"] is True  # no tags
    assert "draft" not in load_yaml(tmp_path / "topics" / "terraform.yaml")
    assert sorted(Path(p).name for p in report.drafts) == [
        "pulumi.yaml",
        "terraform-vs-pulumi.yaml",
    ]
    reasons = {(Path(p.path).name, p.line, p.message) for p in report.lint if p.code == "draft"}
    assert (
        "terraform-vs-pulumi.yaml",
        9,
        "missing required field 'pros' in b (a draft until fixed)",
    ) in reasons
    assert ("pulumi.yaml", 6, "related: must list at least 1 item (a draft until fixed)") in reasons
    assert not [p for p in report.lint if p.severity == "error"]
    tg = graph.load(tmp_path)
    assert list(tg.topics) == ["terraform"] and not tg.comparisons


SCRAPED = Path(__file__).parent / "fixtures" / "scraped" / "gitflow-vs-trunk-based-development.txt"
SCRAPED_URL = "https://nicepick.dev/compare/gitflow-vs-trunk-based-development"


def scraped_variants() -> list:
    text = SCRAPED.read_text()
    no_url = text.split("\n", 1)[1]
    # the pick's name on a line of its own after a fused badge: read unfixed, that
    # line opened a side section and the real one then "appeared as a side twice"
    own_line = no_url.replace(
        "🧊Nice PickGitflowDevelopers", "🧊Nice Pick\nGitflow\nDevelopers"
    ).replace("GitflowNice PickDevelopers", "Gitflow\nNice PickDevelopers")
    return [
        pytest.param(text, id="url-and-fused"),
        pytest.param(no_url, id="fused"),
        pytest.param(own_line, id="fused-badge-then-name"),
    ]


@pytest.mark.parametrize("text", scraped_variants())
def test_scraped_page_with_fused_inline_elements(text):
    """Issue 18: extraction joins inline elements ("Nice PickDevelopers should …")."""
    page = parse_page(text)
    assert page.problems == []
    assert (page.a.name, page.b.name, page.pick) == (
        "Gitflow",
        "Trunk-Based Development",
        "Gitflow",
    )
    assert page.intro.endswith("many times a day. Here's our take.")
    assert page.pick_reason == (
        "Developers should learn Gitflow when they maintain several released versions at once"
    )
    assert page.a.summary == page.pick_reason
    assert page.a.pros == [
        "Release branches let a team stabilise one version while work on the next goes on"
    ]
    assert page.a.tags == ["version-control", "release-management"]
    assert page.b.cons == [
        "Unfinished work must hide behind feature flags, which add code paths to test"
    ]
    assert page.a.choose_if == "You ship numbered releases and patch old versions for months."
    assert page.b.choose_if.startswith("You deploy continuously")
    assert page.bottom_line.startswith("For teams that keep several released versions alive")


def test_url_on_the_first_line_becomes_a_source(tmp_path):
    report = import_pages([SCRAPED], tmp_path)
    assert report.pages[0].status == "imported"
    assert not [m for _, m in report.pages[0].problems if "pick" in m or "twice" in m]
    tg = graph.load(tmp_path)
    c = tg.comparison("gitflow-vs-trunk-based-development")
    assert c.pick == "gitflow"
    assert [s.url for s in c.sources] == [SCRAPED_URL]
    assert parse_page(SCRAPED.read_text()).url == SCRAPED_URL


def test_plain_text_is_not_split_where_it_only_looks_fused():
    page = parse_page(
        "A vs B\n\nA\n\nA is our nice pick for Pros and Cons lists.\n\nPros\n\n"
        "  • +Keeps the Pros column short for readers\n"
    )
    assert page.a.summary == "A is our nice pick for Pros and Cons lists."
    assert page.a.pros == ["Keeps the Pros column short for readers"]
    assert page.pick is None


def test_missing_sections_are_reported_with_line_numbers():
    page = parse_page((PAGES / "missing-sections.txt").read_text())
    assert page.ok and page.pick is None
    assert page.b.pros == [
        "Agents converge machines to the declared state every half hour "
        "without anyone running a command"
    ]
    report = import_pages([PAGES / "missing-sections.txt"], Path(tempfile.mkdtemp()))
    assert "no pick found (no 'Nice Pick', 'X wins' or 'We picked')" in [
        m for _, m in report.pages[0].problems
    ]


def test_unicode_page(tmp_path):
    report = import_pages([PAGES / "unicode.txt"], tmp_path)
    assert report.pages[0].status == "imported"
    tg = graph.load(tmp_path)
    c = tg.comparison("cafe-orm-vs-nandu-db")
    assert tg.topic("nandu-db").name == "Ñandú DB" and c.pick == "nandu-db"
    assert c.a.pros[0].endswith("readable diffs — no hand-written SQL")


@pytest.mark.parametrize(
    "name, line, message",
    [
        ("garbage.txt", 0, "not valid UTF-8: undecodable bytes replaced"),
        ("no-title.txt", 1, "expected a title 'A vs B', found 'Our favourite databases this year'"),
    ],
)
def test_garbage_is_reported_not_raised(tmp_path, name, line, message):
    report = import_pages([PAGES / name], tmp_path)
    assert report.pages[0].status == "skipped"
    assert (line, message) in report.pages[0].problems


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=2000))
def test_parser_only_reports_on_arbitrary_text(text):
    page = parse_page(text)
    for line, message in page.problems:
        assert line >= 0 and message


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    st.lists(
        st.sampled_from(
            [
                "Dynamic",
                "A vs B",
                "🧊Nice Pick",
                "A",
                "B",
                "Nice Pick",
                "Pros",
                "Cons",
                "  • +A good point here",
                "- -A bad point here",
                "The Verdict",
                "Use A if: ever",
                "A wins",
                "It depends",
                "🧊",
                "The Bottom Line",
                "  • +Related to: x, y",
                "",
                "noise",
            ]
        ),
        max_size=40,
    )
)
def test_importer_only_reports_on_shuffled_page_parts(tmp_path, lines):
    page = tmp_path / "p.txt"
    page.write_text("A vs B\n" + "\n".join(lines))
    with tempfile.TemporaryDirectory() as out:
        report = import_pages([page], out)
        assert report.pages[0].status in ("imported", "draft", "skipped")
        if report.pages[0].status != "skipped":
            # what was written always loads: an incomplete file is a draft (issue 18)
            errors = [p for p in graph.check(out).errors if p.code != "no-topics"]
            assert errors == []


def test_round_trip_of_every_bundled_comparison(bundled):
    for slug, c in bundled.comparisons.items():
        page = parse_page(render_page(bundled, slug), slug)
        assert page.problems == [], slug
        names = [bundled.topics[t].name for t in c.topics]
        assert [page.a.name, page.b.name] == names
        for parsed, side in ((page.a, c.a), (page.b, c.b)):
            assert parsed.pros == side.pros, slug
            assert parsed.cons == side.cons, slug
            assert parsed.choose_if == side.choose_if, slug
            assert parsed.tags == bundled.topics[side.topic].related, slug
        assert page.pick == (bundled.topics[c.winner].name if c.winner else None), slug
        assert page.no_pick == (c.winner is None), slug
        assert page.pick_reason == c.verdict, slug


def test_round_trip_through_files(tmp_path, bundled):
    """render -> import -> load gives back the comparison's facts, as content files.

    The import matches topics against the bundle's topics (without its comparisons),
    as an editor importing pages into an existing site would."""
    import shutil

    topics_only = tmp_path / "existing"
    shutil.copytree(
        graph.BUNDLED_CONTENT, topics_only, ignore=shutil.ignore_patterns("comparisons")
    )
    (topics_only / "comparisons").mkdir()
    slugs = list(bundled.comparisons)[:40]
    pages = []
    for slug in slugs:
        p = tmp_path / "pages" / f"{slug}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text(render_page(bundled, slug))
        pages.append(p)
    report = import_pages(pages, tmp_path / "out", existing=topics_only)
    assert report.imported == len(slugs)
    assert not [p for p in report.lint if p.severity == "error" and "comparisons" in p.path]
    for slug in slugs:
        c = bundled.comparisons[slug]
        data = load_yaml(tmp_path / "out" / "comparisons" / f"{c.a.topic}-vs-{c.b.topic}.yaml")
        assert data["pick"] == c.pick
        assert data["verdict"] == c.verdict
        assert data["bottom_line"] == c.bottom_line
        assert (data["a"]["pros"], data["b"]["cons"]) == (c.a.pros, c.b.cons)
        if c.no_pick_reason:
            assert data["no_pick_reason"] == c.no_pick_reason


def test_importing_200_pages(tmp_path, bundled):
    """200 pages in one run (benchmarks/import_pages.py times it)."""
    pages = []
    for i, slug in enumerate(list(bundled.comparisons)[:200]):
        p = tmp_path / "pages" / f"{i}.txt"
        p.parent.mkdir(exist_ok=True)
        p.write_text(render_page(bundled, slug))
        pages.append(p)
    report = import_pages(pages, tmp_path / "out")
    assert report.imported == 200
    assert len(list((tmp_path / "out" / "comparisons").iterdir())) == 200


def test_import_and_render_commands(tmp_path, capsys):
    code = main(["import", str(PAGES / "unicode.txt"), "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 0 and "1 of 1 pages imported" in err
    code = main(["import", str(PAGES / "truncated.txt"), "--out", str(tmp_path / "t")])
    out, err = capsys.readouterr()
    assert code == 2 and "truncated.txt: no section for Pulumi" in out
    assert "1 of 1 pages imported into" in err and "(1 as drafts," in err
    assert main(["render", "postgres-vs-mysql"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("Dynamic\n\nMySQL vs PostgreSQL\n")
    assert "PostgreSQL wins" in text
