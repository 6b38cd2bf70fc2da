"""The reader's site, through the Flask test client: a full crawl, redirects, 404s,
odd paths, escaping and headers."""

from __future__ import annotations

import json
import random
import shutil
import string
from collections import deque
from urllib.parse import urlsplit

import pytest
from htmltools import Page

from pickgraph.engine.standings import best_tags
from pickgraph.web import create_app

PAGE_PREFIXES = ("/compare/", "/topic/", "/tag/", "/best/")


@pytest.fixture(scope="module")
def crawl(app):
    """Breadth-first crawl of every internal link from '/': status, depth, body."""
    client = app.test_client()
    seen: dict[str, dict] = {}
    queue = deque([("/", 0)])
    while queue:
        url, depth = queue.popleft()
        if url in seen:
            continue
        resp = client.get(url)
        record = {
            "status": resp.status_code,
            "depth": depth,
            "location": resp.headers.get("Location"),
        }
        seen[url] = record
        if resp.status_code == 301:
            target = urlsplit(record["location"])
            tr = client.get(target.path + (f"?{target.query}" if target.query else ""))
            record["final"] = tr.status_code
            continue
        if resp.status_code != 200 or resp.mimetype != "text/html":
            continue
        page = Page(resp.get_data(as_text=True))
        record["page"] = page
        for href in page.links + page.assets:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not href.startswith("/"):
                continue  # external links are never followed (and never requested)
            queue.append((href, depth + 1))
    return seen


def test_every_internal_link_answers(crawl):
    bad = {
        u: r["status"]
        for u, r in crawl.items()
        if r["status"] not in (200, 301) or r.get("final", 200) != 200
    }
    assert bad == {}
    assert len(crawl) > 700


def test_every_page_reachable_within_four_clicks(crawl, bundled):
    depth = {u: r["depth"] for u, r in crawl.items() if r["status"] == 200}
    for slug in bundled.comparisons:
        assert depth.get(f"/compare/{slug}", 99) <= 4, slug
    for slug in bundled.topics:
        assert depth.get(f"/topic/{slug}", 99) <= 4, slug
    for slug in bundled.tags:
        assert depth.get(f"/tag/{slug}", 99) <= 4, slug
    # issue 16: every "best of" list, and the fully compared sets the sitemap lists
    for slug in best_tags(bundled):
        assert depth.get(f"/best/{slug}", 99) <= 4, slug
    sets = [u for u in depth if u.startswith("/compare/") and u.count("-vs-") > 1]
    assert len(sets) > 100


def test_json_twins_parse_and_match_their_pages(crawl, client):
    checked = 0
    for url, record in crawl.items():
        page = record.get("page")
        if page is None or not url.startswith(PAGE_PREFIXES + ("/domain/", "/explore/")):
            continue
        twin = page.link_rel["alternate"]
        assert twin["type"] == "application/json"
        data = client.get(twin["href"]).get_json()
        assert data["url"] == url
        assert page.title.startswith(data["title"])
        if url.startswith("/compare/"):
            links = set(page.links)
            for s in data["suggestions"] + data["related_topics"]:
                assert s["url"] in links
            if data["type"] == "set":
                assert {p["url"] for p in data["pairs"] if p["compared"]} <= links
                assert {t["url"] for t in data["topics"]} <= links
            elif data["pick"]:
                assert f"/topic/{data['pick']}" in links
        if url.startswith("/topic/"):
            assert {c["url"] for c in data["comparisons"]} <= set(page.links)
        checked += 1
    assert checked > 600


def test_every_page_has_head_metadata(crawl):
    for url, record in crawl.items():
        page = record.get("page")
        if page is None or record["status"] != 200:
            continue
        assert page.title.strip(), url
        assert page.meta.get("description"), url
        assert page.link_rel["canonical"]["href"].startswith("http://localhost"), url
        for key in ("og:title", "og:description", "og:url", "og:type"):
            assert page.meta.get(key), (url, key)
        # no request to any other host: every asset is served by the app
        assert all(a.startswith("/") for a in page.assets), url


def test_comparison_pages_carry_json_ld(client, bundled):
    for slug in list(bundled.comparisons)[:40]:
        page = Page(client.get(f"/compare/{slug}").get_data(as_text=True))
        blocks = [
            json.loads(text)
            for attrs, text in page.scripts
            if attrs.get("type") == "application/ld+json"
        ]
        assert len(blocks) == 1
        ld = blocks[0]
        assert ld["@type"] == "Article" and len(ld["about"]) == 2
        assert ld["dateModified"] == bundled.comparisons[slug].reviewed.isoformat()


def test_comparison_page_shows_everything(client, bundled):
    c = bundled.comparison("mysql-vs-postgresql")
    html = client.get("/compare/mysql-vs-postgresql").get_data(as_text=True)
    assert "Our pick" in html and html.index("Our pick") < html.index("Pros")
    for text in [
        c.bottom_line,
        c.verdict,
        *c.a.pros,
        *c.a.cons,
        *c.b.pros,
        *c.b.cons,
        c.a.choose_if,
        c.b.choose_if,
        c.reviewed.isoformat(),
        "You might also compare",
    ]:
        assert text.replace("'", "&#39;").replace('"', "&#34;") in html, text
    no_pick = next(x for x in bundled.comparisons.values() if x.winner is None)
    html = client.get(f"/compare/{no_pick.slug}").get_data(as_text=True)
    assert "No single pick" in html
    assert no_pick.no_pick_reason.replace("'", "&#39;") in html


@pytest.mark.parametrize(
    "path, target",
    [
        ("/compare/postgresql-vs-mysql", "/compare/mysql-vs-postgresql"),
        ("/compare/postgres-vs-mysql", "/compare/mysql-vs-postgresql"),
        ("/compare/mysql-vs-pg", "/compare/mysql-vs-postgresql"),
        ("/compare/postgresql-vs-mysql.json", "/compare/mysql-vs-postgresql.json"),
        ("/compare/k8s-vs-docker", "/compare/docker-vs-kubernetes"),
        ("/topic/k8s", "/topic/kubernetes"),
        ("/topic/postgres.json", "/topic/postgresql.json"),
        ("/tag/kubernetes", "/topic/kubernetes"),
        ("/explore/k8s", "/explore/kubernetes"),
        # letter case: a typed or pasted URL in capitals reaches the canonical page
        ("/topic/PostgreSQL", "/topic/postgresql"),
        ("/compare/MySQL-vs-Postgres", "/compare/mysql-vs-postgresql"),
        ("/compare/Postgres-VS-MySQL.json", "/compare/mysql-vs-postgresql.json"),
        ("/tag/SQL", "/tag/sql"),
        ("/explore/K8s", "/explore/kubernetes"),
        ("/domain/Databases.json", "/domain/databases.json"),
    ],
)
def test_reversed_and_alias_urls_redirect_permanently(client, path, target):
    resp = client.get(path)
    assert resp.status_code == 301
    assert resp.headers["Location"] == target
    assert client.get(target).status_code == 200


def test_a_requested_slug_is_resolved_once(app, client, monkeypatch):
    """Issue 13: one resolver owns canonical slugs, and a request goes through it once;
    everything after the view works on the canonical slug."""
    from pickgraph.graph import TopicGraph
    from pickgraph.web.state import ResponseCache

    # rendered afresh, not answered from the response cache
    monkeypatch.setattr(app.extensions["pickgraph"].state, "responses", ResponseCache())

    calls = []
    find = TopicGraph.find

    def counting(self, kind, slug):
        found = find(self, kind, slug)
        calls.append((kind, slug, found))
        return found

    monkeypatch.setattr(TopicGraph, "find", counting)
    assert client.get("/topic/k8s").status_code == 301
    assert [(k, s) for k, s, _ in calls] == [("topic", "k8s")]
    calls.clear()
    assert client.get("/compare/mysql-vs-postgresql").status_code == 200
    assert calls and all(found is not None and not found.moved for _, _, found in calls)


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/compare/postgresql-vs-mysqll", "/compare/mysql-vs-postgresql"),
        ("/topic/kubernets", "/topic/kubernetes"),
        ("/tag/relational-databse", "/tag/relational-databases"),
        ("/no/such/page", None),
    ],
)
def test_unknown_slugs_are_404_with_suggestions(client, path, expected):
    resp = client.get(path)
    assert resp.status_code == 404
    html = resp.get_data(as_text=True)
    assert "Page not found" in html and "Traceback" not in html
    page = Page(html)
    if expected:
        assert "Did you mean" in html and expected in page.links
    twin = client.get(path.rstrip("/") + ".json")
    assert twin.status_code == 404
    body = twin.get_json()
    assert body["ok"] is False and body["status"] == 404 and isinstance(body["error"], str)


def _odd_paths(count: int) -> list[str]:
    rng = random.Random(5)
    fixed = [
        "/compare/",
        "/compare/-vs-",
        "/compare/a-vs-",
        "/compare/-vs-b",
        "/compare/vs",
        "/compare/mysql-vs-postgresql-vs-sqlite",
        "/compare/%2F..%2Fetc%2Fpasswd",
        "/compare/..%2F..%2F",
        "/topic/..",
        "/topic/%00",
        "/topic/%ff%fe",
        "/tag/%2e%2e",
        "/compare/" + "a" * 5000,
        "/topic/" + "é" * 300,
        "/topic/💥",
        "/search?q=" + "x" * 5000,
        "/search?q=%00",
        "/search?q=%ff",
        "/search?q=<script>",
        "/api/v1/search?q=%ff",
        "/api/v1/suggestions?topics=" + ",".join(["python"] * 40),
        "/api/v1/suggestions?topics=,,,",
        "/api/v1/topics/python/suggestions?limit=1e9",
        "/api/v1/gaps?limit=-5&tag=%ff",
        "/api/v1/rankings?tag=..%2F",
        "/compare/mysql-vs-postgresql?limit=abc&&&=",
        "/topic/python.json.json",
        "/static/../web/__init__.py",
        "/static/%2e%2e/x",
        "//compare//mysql-vs-postgresql",
        "/compare/MYSQL-VS-POSTGRESQL",
        "/explore/%20",
        "/domain/..",
        "/sitemap.xml?x=1",
        "/api/v1/comparisons/%2F",
        "/api/v1/",
        "/api",
    ]
    alphabet = string.ascii_letters + string.digits + "-_.~%/?&=#é💥\u202e "
    prefixes = [
        "/compare/",
        "/topic/",
        "/tag/",
        "/domain/",
        "/explore/",
        "/search?q=",
        "/api/v1/comparisons/",
        "/api/v1/topics/",
        "/api/v1/suggestions?topics=",
        "/api/v1/gaps?tag=",
        "/api/v1/search?q=",
        "/",
    ]
    generated = [
        rng.choice(prefixes) + "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        for _ in range(count)
    ]
    return fixed + generated


def test_odd_paths_never_produce_a_server_error(client):
    paths = _odd_paths(260)
    assert len(paths) >= 200
    for path in paths:
        resp = client.get(path)
        assert resp.status_code < 500, path
        if resp.status_code >= 400 and (path.startswith("/api/") or ".json" in path.split("?")[0]):
            assert resp.get_json()["ok"] is False, path


PAYLOAD = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def test_content_text_is_escaped(tmp_path):
    root = tmp_path / "content"
    shutil.copytree(__import__("conftest").MINI, root)
    redis = root / "topics" / "redis.yaml"
    redis.write_text(
        redis.read_text()
        .replace("name: Redis", f"name: '{PAYLOAD}'")
        .replace("summary: An in-memory", f"summary: '{PAYLOAD} An in-memory")
        .replace(
            "data structure server used as a cache, queue and session store.",
            "data structure server.'",
        )
    )
    pair = root / "comparisons" / "redis-vs-memcached.yaml"
    pair.write_text(
        pair.read_text()
        .replace("    - Optional persistence and replication", f"    - '{PAYLOAD} persistence'")
        .replace(
            "bottom_line: Redis unless all you will ever need is a plain cache.",
            f"bottom_line: '{PAYLOAD} Redis unless all you need is a cache.'",
        )
    )
    app = create_app({"TESTING": True, "CONTENT": str(root)})
    client = app.test_client()
    for path in [
        "/compare/memcached-vs-redis",
        "/topic/redis",
        "/topic/memcached",
        "/",
        "/search?q=redis",
        "/tag/caching",
        "/explore/redis",
    ]:
        resp = client.get(path)
        assert resp.status_code == 200, path
        html = resp.get_data(as_text=True)
        assert "<script>alert" not in html and "<img src=x" not in html, path
        assert "onerror=alert(1)>" not in html, path
        if path != "/search?q=redis":
            assert "&lt;script&gt;alert" in html, path
    # the JSON-LD block cannot be closed early by content
    html = client.get("/compare/memcached-vs-redis").get_data(as_text=True)
    ld = [t for a, t in Page(html).scripts if a.get("type") == "application/ld+json"][0]
    assert "</script" not in ld and "<" not in ld


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/compare/mysql-vs-postgresql",
        "/topic/kubernetes.json",
        "/api/v1/topics/python",
        "/nope",
        "/api/v1/nope",
        "/static/style.css",
    ],
)
def test_security_headers_on_every_kind_of_response(client, path):
    resp = client.get(path)
    csp = resp.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "default-src 'self'" in csp
    assert resp.headers["X-Content-Type-Options"] == "nosniff"
    assert resp.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_no_inline_script(crawl):
    for url, record in crawl.items():
        page = record.get("page")
        if page is None:
            continue
        for attrs, _ in page.scripts:
            # only external scripts and JSON data blocks (which browsers never run)
            assert attrs.get("src") or attrs.get("type") == "application/ld+json", url


def test_sitemap_and_robots(client, bundled):
    import networkx as nx

    xml = client.get("/sitemap.xml").get_data(as_text=True)
    # every fully compared set of 3-5 topics (every pair written) has a page listed
    compared = nx.Graph(c.topics for c in bundled.comparisons.values())
    sets = [c for c in nx.enumerate_all_cliques(compared) if 3 <= len(c) <= 5]
    best = best_tags(bundled)
    pages = len(bundled.comparisons) + len(bundled.topics) + len(bundled.tags)
    assert xml.count("<loc>") == 2 + pages + len(bundled.domains) + len(best) + len(sets)
    assert "http://localhost/compare/mysql-vs-postgresql</loc>" in xml
    assert "http://localhost/compare/kafka-vs-nats-vs-rabbitmq</loc>" in xml
    assert "http://localhost/best/relational-databases</loc>" in xml
    robots = client.get("/robots.txt").get_data(as_text=True)
    assert "Sitemap: http://localhost/sitemap.xml" in robots


def test_search_page_groups_results_and_tolerates_typos(client):
    data = client.get("/search.json?q=kubernets").get_json()
    assert data["topics"][0]["slug"] == "kubernetes"
    assert any(c["slug"] == "docker-vs-kubernetes" for c in data["comparisons"])
    data = client.get("/search.json?q=postgres vs mysql").get_json()
    assert data["comparisons"][0]["slug"] == "mysql-vs-postgresql"
    html = client.get("/search?q=k8s").get_data(as_text=True)
    assert '<a href="/topic/kubernetes">Kubernetes</a>' in html


@pytest.mark.parametrize(
    "query, topics, comparison",
    [
        ("react vue", ["react", "vue"], "react-vs-vue"),
        ("postgres vs mysql", ["mysql", "postgresql"], "mysql-vs-postgresql"),
        ("kubernets, docker", ["docker", "kubernetes"], "docker-vs-kubernetes"),
        ("go or rust", ["go", "rust"], "go-vs-rust"),
    ],
)
def test_search_for_several_topics_lists_each_of_them(client, query, topics, comparison):
    data = client.get("/search.json", query_string={"q": query}).get_json()
    assert sorted(t["slug"] for t in data["topics"][:2]) == topics
    assert data["comparisons"][0]["slug"] == comparison


def test_search_names_each_comparison_by_its_title(bundled):
    """The index puts comparison titles together from their topics' names; they must
    be the titles pages show, and found in their normal form."""
    from pickgraph.web.search import SearchIndex, _norm

    index = SearchIndex(bundled)
    found = {e.slug: e for e in index.entries if e.kind == "comparison"}
    assert sorted(found) == sorted(bundled.heads)
    for slug, entry in found.items():
        title = bundled.title(slug)
        assert entry.title == title
        assert set(entry.names) == {_norm(title), slug, slug.replace("-", " ")}
    # names with symbols keep them in their normal form (C#, C++, Node.js)
    assert "c# vs java" in found["csharp-vs-java"].names


def test_short_query_parts_are_not_guessed(client):
    # "cd" is one letter off "cdk" (AWS CDK): a short part must be a name, not a guess
    data = client.get("/search.json?q=ci cd").get_json()
    assert "aws-cdk" not in [t["slug"] for t in data["topics"]]
    assert data["tags"][0]["slug"] == "ci-cd"


def test_content_folder_from_config_and_environment(mini, monkeypatch):
    app = create_app({"TESTING": True, "CONTENT": str(mini.root)})
    assert app.test_client().get("/healthz").get_json()["topics"] == 6
    monkeypatch.setenv("PICKGRAPH_CONTENT", str(mini.root))
    assert create_app({"TESTING": True}).test_client().get("/healthz").get_json()["topics"] == 6


def test_conditional_get_answers_304(client):
    first = client.get("/compare/mysql-vs-postgresql")
    etag = first.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    again = client.get("/compare/mysql-vs-postgresql", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.data == b""


def test_every_setting_is_documented():
    from pathlib import Path

    from pickgraph import web

    doc = (Path(__file__).resolve().parent.parent / "docs" / "operations.md").read_text()
    for name in web.SETTINGS:
        assert f"`{name}`" in doc, name


def test_every_comparison_page_shows_its_sources_and_facts(client, bundled):
    """Issue 15: sources under the verdict, facts side by side above the pros and cons."""
    import re

    for slug, c in bundled.comparisons.items():
        html = client.get(f"/compare/{slug}").get_data(as_text=True)
        sources = html.split('<section class="sources"', 1)[1].split("</section>", 1)[0]
        hrefs = re.findall(r'<a href="(https://[^"]+)"', sources)
        assert hrefs == [s.url for s in c.sources], slug
        assert html.index('class="verdict"') < html.index('class="sources"'), slug
        has_facts = any(bundled.topics[t].facts for t in c.topics)
        if has_facts:
            table = html.split('<section class="facts-table"', 1)[1].split("</section>", 1)[0]
            assert html.index('class="facts-table"') < html.index('class="sides"'), slug
            assert table.count('<th scope="col">') == 3, slug  # the fact column and two sides


def test_stack_page_groups_suggestions_by_part(client):
    resp = client.get("/stack?topics=Python,postgres,kubernetes,python")
    assert resp.status_code == 301
    assert resp.headers["Location"] == "/stack?topics=kubernetes,postgresql,python"
    page = client.get("/stack.json?topics=kubernetes,postgresql,python").get_json()
    assert [g["slug"] for g in page["groups"]] == ["kubernetes", "postgresql", "python"]
    shown = [s for g in page["groups"] for s in g["suggestions"]] + page["others"]
    assert {s["slug"] for s in shown} == {s["slug"] for s in page["suggestions"]}
    for g in page["groups"]:
        assert g["suggestions"], g["slug"]  # every part of this stack is served
        assert all(g["slug"] in s["serves"] for s in g["suggestions"])
    html = client.get("/stack?topics=kubernetes,postgresql,python").get_data(as_text=True)
    assert 'id="part-kubernetes"' in html and "/stack.json?topics=" in html
    assert client.get("/stack").status_code == 200  # the form
    assert client.get("/stack?topics=python,nosuch").status_code == 404
    assert client.get("/stack.json?topics=" + ",".join("abcdefghijk")).status_code == 400
