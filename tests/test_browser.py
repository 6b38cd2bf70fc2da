"""A reader in a real browser (Debian's chromium through playwright) on the site served
by gunicorn: no failed request, no console error, screenshots kept as artifacts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from live import Server

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM:
        pytest.fail("Debian's chromium is not installed: run .ci/install-system-deps")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        # no background traffic: this machine's network is closed
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-default-apps",
        ],
    }


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from pickgraph.graph import BUNDLED_CONTENT

    server = Server(BUNDLED_CONTENT, tmp_path_factory.mktemp("serve") / "serve.log")
    yield f"http://127.0.0.1:{server.port}"
    server.stop()


class Watch:
    """Every failed request, error response, console error and foreign host of a page."""

    def __init__(self, page, origin: str):
        self.problems: list[str] = []
        host = urlsplit(origin).netloc
        page.on(
            "console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}")
        )
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("requestfailed", self._failed)
        page.on(
            "response",
            lambda r: r.status >= 400 and self.problems.append(f"HTTP {r.status}: {r.url}"),
        )
        page.on(
            "request",
            lambda r: (
                urlsplit(r.url).netloc != host and self.problems.append(f"other host: {r.url}")
            ),
        )

    def _failed(self, request) -> None:
        # a click's beacon outlives the page it left, which reports it as aborted;
        # test_feedback_in_the_browser checks that such clicks arrive
        beacon = request.url.endswith("/api/v1/events") and request.failure == "net::ERR_ABORTED"
        if not beacon:
            self.problems.append(f"failed: {request.url} {request.failure}")


def reader_journey(page, site: str, artifacts, tag: str, width: int) -> None:
    watch = Watch(page, site)
    # lands on a comparison page from a search engine and reads the pick
    page.goto(f"{site}/compare/mysql-vs-postgresql")
    winner = page.locator(".verdict-banner .winner")
    assert winner.inner_text() == "PostgreSQL"
    box = winner.bounding_box()
    assert box["y"] + box["height"] < page.viewport_size["height"], "pick below the fold"
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"comparison-{tag}.png"))
    page.screenshot(path=str(artifacts / f"comparison-{tag}-full.png"), full_page=True)

    # sees both sides' facts side by side, and where the claims can be checked
    assert page.locator(".facts-table tbody tr").count() >= 3
    assert page.locator(".facts-table thead th").nth(1).text_content() == "MySQL"
    sources = page.locator(".sources a")
    assert sources.count() >= 2
    assert all(h.startswith("https://") for h in sources.evaluate_all("l => l.map(a => a.href)"))

    # follows a suggestion, with its reason on the card
    card = page.locator(".suggestions .card").first
    assert card.locator(".reasons li").count() >= 1
    title = card.locator(".card-title").inner_text()
    card.locator(".card-title").click()
    page.wait_for_url(f"{site}/compare/**")
    assert page.locator("h1").inner_text() == title

    # goes to a topic
    side = page.locator(".side h2 a").first
    name = side.inner_text()
    side.click()
    page.wait_for_url(f"{site}/topic/**")
    assert page.locator("h1").inner_text().startswith(name)
    page.screenshot(path=str(artifacts / f"topic-{tag}.png"))

    # uses the search box's autocomplete to reach another comparison
    search = page.locator("header input[type=search]")
    search.click()
    search.press_sequentially("kubernet", delay=40)
    option = page.locator(".autocomplete a[href^='/compare/']").first
    option.wait_for(state="visible", timeout=10_000)
    page.screenshot(path=str(artifacts / f"autocomplete-{tag}.png"))
    href = option.get_attribute("href")
    option.click()
    page.wait_for_url(f"{site}{href}")
    assert "Kubernetes" in page.locator("h1").inner_text()
    assert watch.problems == []


def test_reader_on_desktop(page, site, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    reader_journey(page, site, artifacts, "desktop", 1280)


def test_reader_on_a_375px_phone(page, site, artifacts):
    page.set_viewport_size({"width": 375, "height": 812})
    reader_journey(page, site, artifacts, "phone", 375)


def test_graph_explorer_renders_and_navigates(page, site, artifacts):
    page.set_viewport_size({"width": 1280, "height": 900})
    watch = Watch(page, site)
    page.goto(f"{site}/topic/kubernetes")
    page.locator("a.button", has_text="Explore").click()
    page.wait_for_url(f"{site}/explore/kubernetes")
    page.locator("#graph[data-ready=yes]").wait_for(timeout=15_000)
    assert page.evaluate("window.pickgraphGraph.nodes().length") > 5
    page.screenshot(path=str(artifacts / "explore-kubernetes.png"))
    # click the Docker node where cytoscape drew it
    pos = page.evaluate("window.pickgraphGraph.$id('docker').renderedPosition()")
    box = page.locator("#graph").bounding_box()
    page.mouse.click(box["x"] + pos["x"], box["y"] + pos["y"])
    page.wait_for_url(f"{site}/topic/docker")
    assert page.locator("h1").inner_text().startswith("Docker")
    assert watch.problems == []


def test_explorer_without_javascript_is_a_plain_list(browser, site):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{site}/explore/kubernetes")
    assert not page.locator("#graph").is_visible()
    links = page.locator(".graph-list a")
    assert links.count() > 10
    assert page.locator(".graph-list a[href='/topic/docker']").count() == 1
    context.close()


def test_stack_form_works_without_javascript(browser, site, artifacts):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 375, "height": 800})
    page = context.new_page()
    watch = Watch(page, site)
    page.goto(f"{site}/")
    page.get_by_role("link", name="What should my stack compare next?").click()
    page.fill("#stack-topics", "Python, postgres, Kubernetes")
    page.get_by_role("button", name="Suggest").click()
    page.wait_for_url(f"{site}/stack?topics=kubernetes,postgresql,python")
    parts = page.locator(".stack-part h2").all_inner_texts()
    assert parts[:3] == ["For Kubernetes", "For PostgreSQL", "For Python"]
    assert page.locator(".stack-part .card").count() >= 3
    page.screenshot(path=str(artifacts / "stack-375.png"), full_page=True)
    assert watch.problems == []
    context.close()


def test_reader_goes_from_a_pair_to_three_at_once_and_a_best_of_list(page, site, artifacts):
    """Issue 16: from a pair page to the set of three with its pick matrix, and on to
    the "best of" list the three share."""
    page.set_viewport_size({"width": 1280, "height": 900})
    watch = Watch(page, site)
    page.goto(f"{site}/compare/kafka-vs-rabbitmq")
    page.locator(".sets a", has_text="Apache Kafka vs NATS vs RabbitMQ").click()
    page.wait_for_url(f"{site}/compare/kafka-vs-nats-vs-rabbitmq")
    matrix = page.locator(".matrix tbody tr")
    assert matrix.count() == 3
    assert page.locator(".matrix td a").count() == 6  # each pair, seen from both sides
    assert "The picks" in page.locator(".verdict-banner .bottom-line").inner_text()
    page.screenshot(path=str(artifacts / "set-kafka-nats-rabbitmq.png"), full_page=True)
    page.locator("a.chip", has_text="Best message brokers").click()
    page.wait_for_url(f"{site}/best/message-brokers")
    places = page.locator(".best-place h2 a").all_inner_texts()
    assert {"Apache Kafka", "NATS", "RabbitMQ"} <= set(places)
    page.screenshot(path=str(artifacts / "best-message-brokers.png"), full_page=True)
    assert watch.problems == []


def test_keyboard_alone_reaches_a_comparison_through_search(page, site):
    """Issue 16: no mouse: Tab to the search box, type, arrow down the suggestions,
    Enter, and the comparison page opens."""
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.type") == "search":
            break
    assert page.evaluate("document.activeElement.getAttribute('name')") == "q"
    page.keyboard.type("postgres mysql", delay=40)
    page.locator(".autocomplete a").first.wait_for(state="visible", timeout=10_000)
    page.keyboard.press("ArrowDown")
    active = page.evaluate("document.activeElement.getAttribute('aria-activedescendant')")
    assert active and page.locator(f"#{active}").get_attribute("href").startswith("/compare/")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{site}/compare/mysql-vs-postgresql")
    # and the page's own links take focus in order, each with a visible outline
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_stack_form_completes_each_topic_from_the_keyboard(page, site):
    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{site}/stack")
    field = page.locator("#stack-topics")
    field.focus()
    page.keyboard.type("kuberne", delay=40)
    page.locator(".autocomplete a").first.wait_for(state="visible", timeout=10_000)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert field.input_value() == "Kubernetes, "
    page.keyboard.type("postgr", delay=40)
    page.locator(".autocomplete a", has_text="PostgreSQL").first.wait_for(state="visible")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert field.input_value() == "Kubernetes, PostgreSQL, "
    page.keyboard.press("Enter")  # submits the form
    page.wait_for_url(f"{site}/stack?topics=kubernetes,postgresql")
    assert page.locator(".stack-part h2").count() >= 2


AXE = Path(__file__).resolve().parent / "vendor" / "axe.min.js"
# One page of every type the site has.
PAGE_TYPES = {
    "home": "/",
    "comparison": "/compare/mysql-vs-postgresql",
    "set": "/compare/kafka-vs-nats-vs-rabbitmq",
    "set-with-gap": "/compare/mongodb-vs-mysql-vs-postgresql-vs-sqlite",
    "topic": "/topic/postgresql",
    "tag": "/tag/relational-databases",
    "domain": "/domain/databases",
    "best": "/best/relational-databases",
    "best-index": "/best/",
    "search": "/search?q=postgres",
    "stack": "/stack?topics=kubernetes,postgresql,python",
    "explore": "/explore/kubernetes",
    "api": "/api/",
    "not-found": "/compare/postgresql-vs-mysqll",
}


@pytest.mark.parametrize("width", [1280, 375])
def test_every_page_type_passes_axe(browser, site, artifacts, width):
    """Issue 16: axe-core finds no serious or critical violation on any page type, on
    a desktop and a phone."""
    context = browser.new_context(
        viewport={"width": width, "height": 900},
        bypass_csp=True,  # axe is injected as a script the site's CSP would refuse
    )
    page = context.new_page()
    found = {}
    for name, path in PAGE_TYPES.items():
        page.goto(f"{site}{path}")
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "axe.run(document, {resultTypes: ['violations']})"
            ".then(r => r.violations.map(v => ({id: v.id, impact: v.impact,"
            " nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))})))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            found[name] = bad
    (artifacts / f"axe-{width}.json").write_text(json.dumps(found, indent=1))
    context.close()
    assert found == {}


READER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0"


def test_feedback_in_the_browser(browser, tmp_path, artifacts):
    """Issue 14: a reader clicks a suggestion (its beacon arrives) and votes on a pick
    with JavaScript, another votes with JavaScript off (the plain form); the report
    counts all three."""
    import subprocess
    import sys

    from pickgraph.graph import BUNDLED_CONTENT

    url = f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    server = Server(
        BUNDLED_CONTENT,
        tmp_path / "serve.log",
        env={"PICKGRAPH_DATABASE_URL": url, "PICKGRAPH_INSTANCE": str(tmp_path / "i")},
    )
    site = f"http://127.0.0.1:{server.port}"
    try:
        # with JavaScript: follow the first suggestion, then vote on the next page
        context = browser.new_context(user_agent=READER)
        page = context.new_page()
        watch = Watch(page, site)
        page.goto(f"{site}/compare/mysql-vs-postgresql")
        link = page.locator(".suggestions .card-title").first
        clicked = link.get_attribute("data-slug")
        link.click()
        page.wait_for_url(f"{site}/compare/{clicked}")
        form = page.locator("form.vote")
        form.locator("input[value=yes]").check()
        form.locator("textarea").fill("Matches what we found")
        form.locator("button[type=submit]").click()
        page.locator(".vote-recorded").wait_for(timeout=10_000)
        assert "recorded" in page.locator(".vote-recorded").inner_text()
        assert page.url == f"{site}/compare/{clicked}"  # answered in place
        page.screenshot(path=str(artifacts / "vote-js.png"))
        assert watch.problems == []
        context.close()

        # without JavaScript: the plain form posts and says thank you
        context = browser.new_context(user_agent=READER + " no-js", java_script_enabled=False)
        page = context.new_page()
        page.goto(f"{site}/compare/go-vs-rust")
        page.locator("form.vote input[value=no]").check()
        page.locator("form.vote button[type=submit]").click()
        page.wait_for_url(f"{site}/compare/go-vs-rust/vote")
        assert "your vote is recorded" in page.locator("h1").inner_text()
        page.screenshot(path=str(artifacts / "vote-no-js.png"))
        context.close()

        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "pickgraph.web.cli",
                "feedback",
                "report",
                "--json",
                "--no-gaps",
                "--database",
                url,
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        report = json.loads(out.stdout)
        assert report["clicks"] == 1 and report["votes"] == 2, report
        [row] = report["suggestions"]
        assert (row["page"], row["to"]) == ("comparison/mysql-vs-postgresql", clicked)
        votes = {v["comparison"]: (v["agree"], v["disagree"]) for v in report["agreement"]}
        assert votes == {clicked: (1, 0), "go-vs-rust": (0, 1)}
    finally:
        server.stop()
