"""Hostile requests: Host headers, junk query strings, crafted not-found paths (issue 18)."""

from __future__ import annotations

import json
import re

import pytest
from conftest import MINI

from pickgraph.graph import similar
from pickgraph.graph.errors import BadRequest
from pickgraph.web import create_app
from pickgraph.web.settings import Settings
from pickgraph.web.state import ResponseCache

ATTACKER = "attacker.example"


@pytest.fixture
def mini_app():
    """A fresh app (its own response cache) on the small content folder."""
    return create_app({"TESTING": True, "CONTENT": str(MINI), "CACHE": ""})


def _absolute_urls(client) -> str:
    """Every place a page names its own absolute URL: canonical, og:url, JSON-LD,
    the sitemap and robots.txt."""
    page = client.get("/compare/memcached-vs-redis").get_data(as_text=True)
    found = re.findall(r'<link rel="canonical" href="([^"]+)"', page)
    found += re.findall(r'<meta property="og:url" content="([^"]+)"', page)
    found += re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    found.append(client.get("/sitemap.xml").get_data(as_text=True))
    found.append(client.get("/robots.txt").get_data(as_text=True))
    return "\n".join(found)


def test_a_foreign_host_header_is_refused_and_poisons_nothing(mini_app):
    client = mini_app.test_client()
    for path in ("/", "/compare/memcached-vs-redis", "/sitemap.xml", "/robots.txt") * 2:
        resp = client.get(path, headers={"Host": ATTACKER})
        assert resp.status_code == 400
        assert ATTACKER not in resp.get_data(as_text=True)
    api = client.get("/api/v1/topics/redis", headers={"Host": ATTACKER})
    assert api.status_code == 400 and api.get_json()["parameter"] == "Host"
    urls = _absolute_urls(client)
    assert "http://localhost/compare/memcached-vs-redis" in urls
    assert ATTACKER not in urls


def test_with_a_site_url_every_absolute_url_uses_it_whatever_the_host():
    app = create_app(
        {"TESTING": True, "CONTENT": str(MINI), "CACHE": "", "SITE_URL": "https://pick.example"}
    )
    client = app.test_client()
    assert client.get("/", headers={"Host": ATTACKER}).status_code == 200
    urls = _absolute_urls(client)
    assert "https://pick.example/compare/memcached-vs-redis" in urls
    assert ATTACKER not in urls and "localhost" not in urls


def test_allowed_hosts_each_get_their_own_cached_answers():
    app = create_app(
        {"TESTING": True, "CONTENT": str(MINI), "CACHE": "", "ALLOWED_HOSTS": "a.example,b.example"}
    )
    client = app.test_client()
    a = client.get("/topic/redis", headers={"Host": "a.example"}).get_data(as_text=True)
    b = client.get("/topic/redis", headers={"Host": "b.example:8080"}).get_data(as_text=True)
    assert 'href="http://a.example/topic/redis"' in a
    assert 'href="http://b.example:8080/topic/redis"' in b
    assert client.get("/topic/redis").status_code == 400  # localhost is not in the list


def test_werkzeugs_own_redirects_are_relative(mini_app):
    resp = mini_app.test_client().get("/compare//memcached-vs-redis")
    assert resp.status_code == 308
    assert resp.headers["Location"] == "/compare/memcached-vs-redis"


def test_junk_query_parameters_neither_change_answers_nor_fill_the_cache(mini_app):
    client = mini_app.test_client()
    state = mini_app.extensions["pickgraph"].state
    plain = client.get("/api/v1/topics/redis/suggestions?limit=2").data
    for i in range(200):
        junk = client.get(f"/api/v1/topics/redis/suggestions?limit=2&utm_source=x{i}&_={i}")
        assert junk.data == plain
    # the parameters a route reads do make answers of their own, in any order
    other = client.get("/api/v1/topics/redis/suggestions?method=ppr-aa&limit=1").data
    same = client.get("/api/v1/topics/redis/suggestions?limit=1&method=ppr-aa").data
    assert other == same != plain
    assert len(state.responses) == 2


def test_the_response_cache_is_bounded_in_bytes():
    cache = ResponseCache(max_bytes=100_000)
    for i in range(1_000):
        cache.put(("", f"/p{i}", ()), (b"x" * 2_000, "text/html", [("ETag", f'"{i}"')], ()))
        assert cache.bytes <= 100_000
    assert 10 < len(cache) < 50
    assert cache.get(("", "/p999", ())) is not None and cache.get(("", "/p0", ())) is None
    cache.put(("", "/huge", ()), (b"x" * 20_000, "text/html", [], ()))  # over a tenth: not kept
    assert cache.get(("", "/huge", ())) is None


@pytest.mark.parametrize(
    "slug",
    [
        "aeinorst-vs-" * 337,
        "-vs-".join(f"p{i}" for i in range(300)),
        "abcdefghij" * 500,
        "nosuch-vs-nothing",
    ],
)
def test_a_crafted_not_found_slug_costs_what_a_pair_does(bundled, slug, monkeypatch):
    """Fuzzy look-ups are what a miss costs (benchmarks/notfound.py times it): a slug
    of hundreds of parts or thousands of characters gets no more of them than a
    misspelt pair, and each matches at most MAX_TEXT characters."""
    calls = []
    closest = similar.Names.closest

    def counting(self, text, *args, **kwargs):
        calls.append(len(text))
        return closest(self, text, *args, **kwargs)

    monkeypatch.setattr(similar.Names, "closest", counting)
    bundled.similar("comparison", slug)
    assert 1 <= len(calls) <= 2
    found = similar.Names(["kubernetes"]).closest("kubernetes" + "x" * 10_000)
    assert found == []  # the text is cut, not matched whole


@pytest.mark.parametrize(
    "given, message",
    [
        ({"SITE_URL": "ftp://pick.example"}, "SITE_URL must be an absolute http(s) URL"),
        ({"MAX_DROP": "1.5"}, "MAX_DROP must be a number from 0 to 1"),
        ({"RESPONSE_CACHE_MB": "lots"}, "RESPONSE_CACHE_MB must be a number"),
    ],
)
def test_bad_settings_are_refused_by_name(given, message):
    with pytest.raises(BadRequest, match=re.escape(message)):
        Settings.read(given)


def test_serve_with_a_bad_site_url_exits_2(capsys):
    from pickgraph.web.cli import main

    assert main(["serve", "--content", str(MINI), "--site-url", "pick.example"]) == 2
    err = capsys.readouterr().err
    assert "SITE_URL must be an absolute http(s) URL" in err and "Traceback" not in err


def test_health_check_names_no_path(mini_app):
    body = mini_app.test_client().get("/healthz").get_data(as_text=True)
    assert str(MINI) not in body and "/" not in json.loads(body)["version"]
