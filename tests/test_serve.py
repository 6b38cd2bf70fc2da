"""Production serving: `pickgraph serve` under gunicorn, content reload without
downtime, and the static export served by a plain file server."""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import MINI
from htmltools import Page
from live import Server, free_port, get, serve_command, wait_until

pytestmark = pytest.mark.slow


class Load(threading.Thread):
    """Requests in a loop until stopped, counting every failure."""

    PATHS = [
        "/topic/redis",
        "/compare/memcached-vs-redis",
        "/api/v1/topics/redis/suggestions",
        "/",
        "/compare/mysql-vs-postgresql.json",
    ]

    def __init__(self, port: int):
        super().__init__(daemon=True)
        self.port = port
        self.done = threading.Event()
        self.ok = 0
        self.failures: list[str] = []

    def run(self) -> None:
        i = 0
        while not self.done.is_set():
            path = self.PATHS[i % len(self.PATHS)]
            i += 1
            try:
                status, _ = get(self.port, path)
                if status == 200:
                    self.ok += 1
                else:
                    self.failures.append(f"{path}: {status}")
            except OSError as exc:
                self.failures.append(f"{path}: {exc!r}")


@pytest.fixture
def content(tmp_path) -> Path:
    root = tmp_path / "content"
    shutil.copytree(MINI, root)
    return root


def test_sighup_reloads_valid_content_and_keeps_serving_on_invalid(content, tmp_path):
    server = Server(content, tmp_path / "serve.log")
    load = Load(server.port)
    try:
        before = server.version()
        load.start()
        wait_until(lambda: load.ok > 20)

        # 1. a valid change is picked up
        redis = content / "topics" / "redis.yaml"
        redis.write_text(redis.read_text().replace("name: Redis", "name: Redis Open Source"))
        server.proc.send_signal(signal.SIGHUP)
        loaded = re.compile(r"reloaded content ([0-9a-f]+)")
        after = wait_until(lambda: (m := loaded.search(server.log_text())) and m.group(1))
        assert after != before
        # old workers finish their requests while new ones start: wait until every
        # answer comes from the new generation
        wait_until(lambda: all(server.version() == after for _ in range(6)))
        assert b"Redis Open Source" in get(server.port, "/topic/redis")[1]

        # 2. an invalid change is refused, with every error logged at its location
        pair = content / "comparisons" / "redis-vs-memcached.yaml"
        pair.write_text(pair.read_text().replace("pick: redis", "pick: valkey"))
        redis.write_text("slug: redis\nname: [\n")
        server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload refused" in server.log_text())
        log = server.log_text()
        assert "topics/redis.yaml:3:1: error: YAML syntax error" in log
        assert (
            "comparisons/redis-vs-memcached.yaml:17:7: error: pick 'valkey' is neither side" in log
        )
        assert f"still serving content {after}" in log
        assert server.version() == after
        assert b"Redis Open Source" in get(server.port, "/topic/redis")[1]
        time.sleep(1)  # keep the load running across the refused reload
    finally:
        load.done.set()
        load.join(timeout=15)
        server.stop()
    assert load.failures == []
    assert load.ok > 100


def test_watch_reloads_when_a_file_changes(content, tmp_path):
    server = Server(content, tmp_path / "serve.log", "--watch")
    try:
        before = server.version()
        redis = content / "topics" / "redis.yaml"
        redis.write_text(redis.read_text().replace("name: Redis", "name: Redis Watched"))
        after = wait_until(lambda: (v := server.version()) != before and v, timeout=30)
        assert after != before
        # old workers finish their requests (and may take a new connection) while the
        # new ones start: wait until the page comes from the new content every time
        wait_until(
            lambda: all(b"Redis Watched" in get(server.port, "/topic/redis")[1] for _ in range(6))
        )
        assert "content changed, reloading" in server.log_text()
    finally:
        server.stop()


def test_emptied_or_gutted_content_is_refused_on_reload(content, tmp_path):
    """Issue 18: SIGHUP after emptying the folder, or with comparisons/ moved away,
    keeps the last good version in service and says why in the log."""
    server = Server(content, tmp_path / "serve.log")
    try:
        before = server.version()
        away = tmp_path / "away"
        shutil.move(content / "comparisons", away)
        server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: "reload refused" in server.log_text())
        assert "it would remove 4 of 4 comparisons (100%)" in server.log_text()
        assert get(server.port, "/compare/memcached-vs-redis")[0] == 200

        for path in content.rglob("*"):
            if path.is_file():
                path.unlink()
        server.proc.send_signal(signal.SIGHUP)
        wait_until(lambda: server.log_text().count("reload refused") >= 2)
        assert "no topics" in server.log_text()
        assert server.version() == before
        assert get(server.port, "/topic/redis")[0] == 200
    finally:
        server.stop()


def _slow_client(port: int, stop: threading.Event, opened: list) -> None:
    """Slowloris: a request whose headers arrive one byte a second, never finished."""
    try:
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return
    opened.append(sock)
    try:
        sock.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        while not stop.wait(1.0):
            sock.sendall(b"X")
    except OSError:
        pass
    finally:
        sock.close()


def test_slow_clients_do_not_take_the_default_server_down(content, tmp_path):
    """Issue 18: 50 connections sending their headers at 1 byte/s for 40 s against
    the default `pickgraph serve` leave normal requests answering: no failure, p99
    under 1 s (the sync workers failed every request for 65 s)."""
    server = Server(content, tmp_path / "serve.log")
    stop, opened = threading.Event(), []
    slow = [
        threading.Thread(target=_slow_client, args=(server.port, stop, opened), daemon=True)
        for _ in range(50)
    ]
    times, failures = [], []
    try:
        for t in slow:
            t.start()
        wait_until(lambda: len(opened) == 50, timeout=20)
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            start = time.monotonic()
            try:
                status, _ = get(server.port, "/topic/redis", timeout=5)
                if status != 200:
                    failures.append(status)
            except OSError as exc:
                failures.append(repr(exc))
            times.append(time.monotonic() - start)
            time.sleep(0.05)
    finally:
        stop.set()
        for t in slow:
            t.join(timeout=10)
        server.stop()
    assert failures == []
    assert len(times) > 100
    p99 = sorted(times)[int(0.99 * len(times)) - 1]
    assert p99 < 1.0, f"p99 {p99:.3f} s"


def test_invalid_content_at_start_exits_2_with_locations(content):
    (content / "topics" / "redis.yaml").write_text("slug: redis\nname: no\n")
    proc = subprocess.run(
        serve_command(content, free_port()),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2
    assert (
        "topics/redis.yaml:2:7: error: name: 'no' is read by YAML as the boolean false"
        in proc.stderr
    )
    assert "Traceback" not in proc.stderr


class _StaticHandler(SimpleHTTPRequestHandler):
    """A CDN-like static server: pages have no extension and are served as HTML."""

    def guess_type(self, path):
        if not os.path.splitext(str(path))[1]:
            return "text/html"
        return super().guess_type(path)

    def log_message(self, *args):
        pass


def test_frozen_site_has_no_dead_links(tmp_path, bundled):
    from pickgraph.web.freeze import freeze

    out = tmp_path / "site"
    result = freeze(out)
    assert result["files"] > 1500
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(_StaticHandler, directory=str(out)))
    port = server.server_address[1]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        seen, queue = set(), deque(["/"])
        while queue:
            url = queue.popleft()
            if url in seen:
                continue
            seen.add(url)
            status, body = get(port, url)
            assert status == 200, url
            if url.endswith((".json", ".css", ".js", ".svg", ".xml", ".txt")):
                continue
            page = Page(body.decode())
            for href in page.links + page.assets:
                parts = urlsplit(href)
                if parts.scheme or parts.netloc or not href.startswith("/"):
                    continue
                if parts.query:  # a CDN cannot answer query strings: none may be linked
                    raise AssertionError(f"{url} links {href}")
                queue.append(parts.path)
        for slug in bundled.comparisons:
            assert f"/compare/{slug}" in seen
        # path-style JSON suggestions and explorer data are there for every page
        status, body = get(port, "/suggestions/mysql-vs-postgresql.json")
        assert status == 200 and b'"comparisons"' in body
        assert get(port, "/api/v1/topics/kubernetes/neighbourhood")[0] == 200
        assert get(port, "/sitemap.xml")[0] == 200
    finally:
        server.shutdown()


class _Log:
    def __init__(self):
        self.lines: list[str] = []

    def info(self, msg, *args):
        self.lines.append(msg % args)

    error = warning = info


def test_a_reload_whose_prepare_fails_keeps_serving_the_old_state(content, tmp_path, monkeypatch):
    """What the master derives before forking can fail (a broken install, memory):
    on reload that is a refused reload, never a master that stops; at start-up the
    workers derive it on first use instead."""
    from pickgraph.web.serve import PickgraphServer
    from pickgraph.web.settings import Settings
    from pickgraph.web.state import SiteState

    monkeypatch.setenv("PICKGRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PICKGRAPH_INSTANCE", str(tmp_path / "instance"))
    settings = Settings.read({"CONTENT": str(content)})
    server = PickgraphServer(settings, {"bind": "127.0.0.1:0", "workers": 1})
    old = server.state

    def broken(self):
        raise ImportError("scikit-learn is broken")

    monkeypatch.setattr(SiteState, "prepare", broken)
    assert server.load() is not None  # start-up goes on without it
    assert gc.isenabled()  # off while loading, on again once the heap is frozen
    redis = content / "topics" / "redis.yaml"
    redis.write_text(redis.read_text().replace("name: Redis", "name: Redis Open Source"))
    arbiter = type("Arbiter", (), {"log": _Log()})()
    server._on_reload(arbiter)
    assert server.state is old
    assert any("reload failed (ImportError" in line for line in arbiter.log.lines)
    assert any(f"still serving content {old.version}" in line for line in arbiter.log.lines)


def _reference_lists(content: Path, path: str) -> list[str]:
    """The suggestions ``path`` answers with from a state built in this process, its
    index built first: what a server must answer before and after its index."""
    from pickgraph.web import create_app
    from pickgraph.web.state import SiteState

    state = SiteState.from_folder(content, use_cache=False)
    body = create_app({"TESTING": True}, state=state).test_client().get(path).json
    return [c["slug"] for c in body["comparisons"]]


def test_a_cold_start_on_large_content_serves_at_once_and_loads_its_index_later(content, tmp_path):
    """From DEFER_INDEX_FROM pages (here 0, so that the small content counts as large)
    a start on uncached content serves with suggestions computed on demand, builds
    the index in another process, then reloads onto it: the same lists throughout,
    and no request fails on the way."""
    path = "/api/v1/comparisons/mysql-vs-postgresql/suggestions"
    expected = _reference_lists(content, path)
    assert expected
    env = {"PICKGRAPH_CACHE": str(tmp_path / "cache"), "PICKGRAPH_DEFER_INDEX_FROM": "0"}
    server = Server(content, tmp_path / "serve.log", env=env)
    load = Load(server.port)

    def health() -> dict:
        return json.loads(get(server.port, "/healthz")[1])

    def listed() -> list[str]:
        status, body = get(server.port, path)
        assert status == 200
        return [c["slug"] for c in json.loads(body)["comparisons"]]

    try:
        first = health()
        assert (first["index"], first["from_cache"]) == ("on demand", False)
        assert listed() == expected
        load.start()
        # (an old worker may still answer a connection or two while it stops)
        after = wait_until(lambda: (h := health())["index"] == "precomputed" and h, timeout=120)
        assert after["from_cache"] is True and after["version"] == first["version"]
        assert listed() == expected
        load.done.set()
        load.join()
        assert load.failures == [] and load.ok > 0
        log = server.log_text()
        assert "with suggestions on demand; building its index in the background" in log
        assert "index built in" in log and "reloaded content" in log
    finally:
        load.done.set()
        server.stop()


def _deferred(tmp_path: Path, scheduler_port: int) -> dict:
    """A server environment whose start defers its index to a build that uses the
    dask scheduler at ``scheduler_port`` on loopback."""
    return {
        "PICKGRAPH_CACHE": str(tmp_path / "cache"),
        "PICKGRAPH_DEFER_INDEX_FROM": "0",
        "PICKGRAPH_SCHEDULER": f"tcp://127.0.0.1:{scheduler_port}",
    }


def test_a_failed_background_build_is_logged_and_the_site_serves_on(content, tmp_path):
    """The builder cannot reach the dask scheduler it is told to use: the log says so,
    nothing reloads, and pages are still computed on demand."""
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        nobody = s.getsockname()[1]
    server = Server(content, tmp_path / "serve.log", env=_deferred(tmp_path, nobody))
    try:
        wait_until(lambda: "background index build failed" in server.log_text(), timeout=90)
        log = server.log_text()
        assert "cannot reach the dask scheduler" in log and "reloaded content" not in log
        health = json.loads(get(server.port, "/healthz")[1])
        assert health["index"] == "on demand"
        assert get(server.port, "/compare/mysql-vs-postgresql")[0] == 200
    finally:
        server.stop()


def test_a_small_cold_start_builds_its_index_before_serving(content, tmp_path):
    server = Server(content, tmp_path / "serve.log", env={"PICKGRAPH_CACHE": str(tmp_path / "c")})
    try:
        health = json.loads(get(server.port, "/healthz")[1])
        assert (health["index"], health["from_cache"]) == ("precomputed", False)
        assert "in the background" not in server.log_text()
    finally:
        server.stop()


def test_stopping_the_server_stops_its_background_build(content, tmp_path):
    """The builder waits on a scheduler that accepts the connection and never
    answers; stopping the server ends it (its whole session) well before that."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = _deferred(tmp_path, silent.getsockname()[1])
        server = Server(content, tmp_path / "serve.log", env=env)
        try:
            found = wait_until(
                lambda: re.search(r"in the background \(pid (\d+)\)", server.log_text())
            )
            builder = int(found.group(1))
            os.kill(builder, 0)  # running
        finally:
            server.stop()
        gone = False
        for _ in range(50):
            try:
                os.kill(builder, 0)
            except ProcessLookupError:
                gone = True
                break
            time.sleep(0.1)
        assert gone, "the background build outlived the server"
        assert "background index build failed" not in server.log_text()
