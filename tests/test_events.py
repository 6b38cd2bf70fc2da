"""Reader feedback end to end: events through a live `pickgraph serve`, refusals, the
rate limit, the report, migrations and privacy, on SQLite and on the suite's own
PostgreSQL server."""

from __future__ import annotations

import base64
import http.client
import json
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from live import Server, wait_until

from pickgraph.graph.loader import resolve_folder
from pickgraph.web import create_app
from pickgraph.web.impressions import WINDOW, Impression, current_window, sign
from pickgraph.web.report import build_report
from pickgraph.web.store import MIGRATIONS, open_store

ROOT = Path(__file__).resolve().parent.parent
KEY = "test-signing-key-0123456789abcdef"
READER = "Mozilla/5.0 (X11; Linux x86_64) Gecko/20100101 Firefox/140.0 pickgraph-test-reader"
TABLES = {"alembic_version", "daily", "events", "impressions", "salts"}


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'feedback.sqlite3'}"
    return request.getfixturevalue("postgresql_server").fresh_database()


def post(port: int, body, origin: str | None = "same", agent: str = READER, raw=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": "application/json", "User-Agent": agent}
    if origin == "same":
        headers["Origin"] = f"http://127.0.0.1:{port}"
    elif origin:
        headers["Origin"] = origin
    try:
        conn.request(
            "POST", "/api/v1/events", raw if raw is not None else json.dumps(body), headers
        )
        resp = conn.getresponse()
        return resp.status, json.loads(resp.read() or b"{}")
    finally:
        conn.close()


def get_json(port: int, path: str) -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request("GET", path, headers={"User-Agent": READER})
        return json.loads(conn.getresponse().read())
    finally:
        conn.close()


def report(database_url: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "pickgraph.web.cli", "feedback", "report", "--json"]
        + ["--no-gaps", "--database", database_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def clicks_to_send(port: int, want: int = 300) -> list[dict]:
    """``want`` distinct (impression, clicked slug) pairs, at most 5 per list, from the
    comparison pages' suggestion lists (so from 60 lists or more)."""
    slugs = sorted(p.stem for p in (resolve_folder(None) / "comparisons").glob("*.yaml"))
    events, lists = [], 0
    for slug in slugs[::7]:
        body = get_json(port, f"/api/v1/comparisons/{slug}/suggestions")
        token = body["impressions"]["comparisons"]
        shown = [s["slug"] for s in body["comparisons"]][:5]
        if token and shown:
            lists += 1
            events += [{"type": "click", "impression": token, "to": s} for s in shown]
        if len(events) >= want:
            break
    assert lists >= 60, lists
    return events[:want]


def send_all(port: int, events: list[dict], threads: int = 10, midway=None) -> list[tuple]:
    """Send every event from ``threads`` threads at once (a connection that fails is
    retried: the event is deduplicated anyway). With ``midway``, the first half is
    sent, ``midway`` runs, then the second half."""
    answers: list[tuple] = []
    lock = threading.Lock()
    queue = list(enumerate(events))
    half = len(events) // 2
    first_half_done = threading.Event()
    go_on = threading.Event()
    if midway is None:
        go_on.set()

    def worker():
        while True:
            with lock:
                if not queue:
                    return
                hold = len(queue) <= half and not go_on.is_set()
                if not hold:
                    i, event = queue.pop()
            if hold:
                go_on.wait(300)
                continue
            for attempt in range(5):
                try:
                    answer = post(port, event)
                    break
                except OSError:
                    time.sleep(0.2 * (attempt + 1))
            else:
                answer = (0, {})
            with lock:
                answers.append((i, *answer))
                if len(answers) == len(events) - half:
                    first_half_done.set()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    if midway is not None:
        first_half_done.wait(120)
        midway()
        go_on.set()
    for t in pool:
        t.join(300)
    return answers


@pytest.mark.slow
def test_concurrent_clicks_across_a_reload_are_stored_exactly_once(database_url, tmp_path):
    env = {
        "PICKGRAPH_DATABASE_URL": database_url,
        "PICKGRAPH_EVENT_RATE": "100000",
        "PICKGRAPH_SECRET_KEY": KEY,
        "PICKGRAPH_INSTANCE": str(tmp_path / "instance"),
    }
    server = Server(resolve_folder(None), tmp_path / "serve.log", env=env)
    try:
        events = clicks_to_send(server.port)
        assert len({(e["impression"], e["to"]) for e in events}) == 300

        def reload():
            # the second half goes only to the workers forked after the reload
            booted = server.log_text().count("Booting worker")
            server.proc.send_signal(signal.SIGHUP)
            wait_until(lambda: "reloaded content" in server.log_text(), timeout=120)
            wait_until(lambda: server.log_text().count("Booting worker") >= booted + 2, 60)

        answers = send_all(server.port, events, midway=reload)
        assert sorted(a[1] for a in answers) == [202] * 300, answers[:5]
        assert all(a[2]["recorded"] for a in answers)
        wait_until(lambda: "reloaded content" in server.log_text(), timeout=120)
        assert report(database_url)["clicks"] == 300

        # the same 300 again: all accepted, none stored
        again = send_all(server.port, events)
        assert {a[1] for a in again} == {202} and not any(a[2]["recorded"] for a in again)
        assert report(database_url)["clicks"] == 300

        # each bad event is refused with 4xx and stores nothing
        good = events[0]
        body, mac = good["impression"].split(".")
        forged = body + "." + ("A" if mac[0] != "A" else "B") + mac[1:]
        key = KEY.encode()
        old = Impression(
            "comparison/x",
            "comparisons",
            current_window() - 3 * 86400 // WINDOW,
            "control",
            (good["to"],),
        )
        unknown = Impression(
            "comparison/x", "comparisons", current_window(), "control", ("nothing-vs-nowhere",)
        )
        other = next(
            e["to"]
            for e in events
            if e["impression"] != good["impression"] and e["to"] not in good["impression"]
        )
        refusals = {
            "forged": post(server.port, {**good, "impression": forged}),
            "expired": post(server.port, {**good, "impression": sign(key, old)}),
            "not shown": post(server.port, {**good, "to": other}),
            "unknown slug": post(
                server.port,
                {"type": "click", "impression": sign(key, unknown), "to": "nothing-vs-nowhere"},
            ),
            "10 KB body": post(server.port, None, raw=json.dumps({**good, "pad": "x" * 10240})),
            "wrong types": post(server.port, {"type": "click", "impression": 7, "to": ["a"]}),
            "vote types": post(
                server.port, {"type": "vote", "comparison": "go-vs-rust", "agree": "yes"}
            ),
            "no type": post(server.port, {"impression": good["impression"], "to": good["to"]}),
            "not JSON": post(server.port, None, raw="type=click"),
            "wrong origin": post(
                server.port,
                {"type": "vote", "comparison": "go-vs-rust", "agree": True},
                origin="https://elsewhere.example",
            ),
        }
        for name, (status, answer) in refusals.items():
            assert 400 <= status < 500, (name, status, answer)
            assert answer["ok"] is False and answer["error"], (name, answer)
        assert refusals["10 KB body"][0] == 413
        assert refusals["wrong origin"][0] == 403
        after = report(database_url)
        assert (after["clicks"], after["votes"], after["search_misses"]) == (300, 0, 0)
    finally:
        server.stop()


def _app(database_url: str, **settings):
    config = {"TESTING": True, "DATABASE_URL": database_url, "SECRET_KEY": KEY, **settings}
    return create_app(config)


def _lists(client, pages):
    out = []
    for page in pages:
        body = client.get(page, headers={"User-Agent": READER}).get_json()
        out.append((body["comparisons"], body["topics"]))
    return out


def test_past_the_rate_a_client_gets_429_and_nothing_more_is_stored(database_url):
    app = _app(database_url)  # the default EVENT_RATE: 60 a minute
    client = app.test_client()
    events = []
    slugs = sorted(p.stem for p in (resolve_folder(None) / "comparisons").glob("*.yaml"))
    for slug in slugs[:40:3]:
        body = client.get(f"/api/v1/comparisons/{slug}/suggestions?limit=20").get_json()
        for s in body["comparisons"]:
            event = {"type": "click", "impression": body["impressions"]["comparisons"]}
            events.append({**event, "to": s["slug"]})
    events = list({(e["impression"], e["to"]): e for e in events}.values())
    assert len(events) > 61
    statuses = [
        client.post("/api/v1/events", json=e, headers={"User-Agent": READER}).status_code
        for e in events[:61]
    ]
    assert statuses == [202] * 60 + [429]
    answer = client.post("/api/v1/events", json=events[61], headers={"User-Agent": READER})
    assert answer.status_code == 429 and answer.get_json()["error"]
    assert open_store(database_url).counts()["click"] == 60


def test_alembic_upgrade_head_creates_the_schema(database_url):
    out = subprocess.run(
        [sys.executable, "-m", "alembic", "-c", str(MIGRATIONS / "alembic.ini"), "upgrade", "head"],
        env={"PICKGRAPH_DATABASE_URL": database_url, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    engine = sa.create_engine(database_url)
    try:
        assert set(sa.inspect(engine).get_table_names()) == TABLES
        with engine.connect() as conn:
            assert (
                conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "0002"
            )
    finally:
        engine.dispose()


def test_a_store_upgrades_an_older_schema_and_knows_the_newest_migration(database_url):
    """SCHEMA_HEAD, which lets a start skip Alembic on an up-to-date database, is
    Alembic's own head; a database left at an older migration is still upgraded."""
    from alembic.script import ScriptDirectory

    from pickgraph.web.store import SCHEMA_HEAD, Store, alembic_config, make_engine

    engine = make_engine(database_url)
    try:
        config = alembic_config(engine)
        assert ScriptDirectory.from_config(config).get_current_head() == SCHEMA_HEAD
        from alembic import command

        command.upgrade(config, "0001")
        store = Store(engine)
        assert store.schema_version() == "0001"
        store.upgrade()
        assert store.schema_version() == SCHEMA_HEAD
        assert set(sa.inspect(engine).get_table_names()) == TABLES
        # at the head, Alembic is not run again
        real = command.upgrade
        command.upgrade = lambda *a, **k: pytest.fail("Alembic ran at the schema head")
        try:
            store.upgrade()
        finally:
            command.upgrade = real
    finally:
        engine.dispose()


def test_nothing_about_the_reader_reaches_the_database(database_url):
    app = _app(database_url, EVENT_RATE="1000")
    client = app.test_client()
    agent = READER + " unique-agent-marker"
    headers = {"User-Agent": agent}
    env = {"REMOTE_ADDR": "203.0.113.77"}
    body = client.get("/api/v1/comparisons/go-vs-rust/suggestions", headers=headers).get_json()
    token = body["impressions"]["comparisons"]
    click = {"type": "click", "impression": token, "to": body["comparisons"][0]["slug"]}
    vote = {"type": "vote", "comparison": "go-vs-rust", "agree": False, "comment": "too short"}
    for event in (click, vote):
        answer = client.post("/api/v1/events", json=event, headers=headers, environ_base=env)
        assert answer.status_code == 202 and answer.get_json()["recorded"]
    client.get("/search?q=qwzx+plorb", headers=headers, environ_base=env)
    app.extensions["pickgraph"].feedback.flush()
    engine = sa.create_engine(database_url)
    try:
        with engine.connect() as conn:
            cells = []
            for table in TABLES:
                cells += [
                    str(v) for row in conn.execute(sa.text(f"SELECT * FROM {table}")) for v in row
                ]
    finally:
        engine.dispose()
    text = " ".join(cells)
    assert "too short" in text and "qwzx plorb" in text  # the events are there
    for secret in ("203.0.113.77", "unique-agent-marker", "Firefox", "127.0.0.1"):
        assert secret not in text
    # every stored column is the one docs/privacy.md lists, and no other
    documented = set(
        re.findall(r"^\| `(\w+)\.(\w+)` \|", (ROOT / "docs/privacy.md").read_text(), re.MULTILINE)
    )
    stored = {
        (table, column)
        for table, columns in open_store(database_url).stored_columns().items()
        for column in columns
    }
    assert stored == documented


def test_suggestions_are_unchanged_until_the_evidence_is_enough(database_url):
    pages = [
        "/api/v1/comparisons/go-vs-rust/suggestions",
        "/api/v1/topics/kafka/suggestions",
        "/api/v1/suggestions?topics=python,postgresql,kubernetes",
    ]
    no_feedback = _lists(
        create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}).test_client(), pages
    )
    from pickgraph.web.state import SiteState

    state = SiteState.from_folder()
    engine_only = [
        state.recommender.for_page("comparison", "go-vs-rust"),
        state.recommender.for_page("topic", "kafka"),
        state.recommender.for_topics(["kubernetes", "postgresql", "python"]),
    ]
    assert [[s["slug"] for s in c] for c, _ in no_feedback] == [
        [s.slug for s in found.comparisons] for found in engine_only
    ]
    app = _app(database_url)
    store = open_store(database_url)
    body = app.test_client().get(pages[0]).get_json()
    shown = [s["slug"] for s in body["comparisons"]]
    last = shown[-1]
    # readers click the last slot most (40 times), every other slot 6 times, but on too
    # few shown lists (150 < 200)
    n = 0
    for slot, target in enumerate(shown):
        for _ in range(40 if target == last else 6):
            n += 1
            fields = {
                "page": "comparison/go-vs-rust",
                "list": "comparisons",
                "slot": slot,
                "rank": slot,
                "arm": "control",
                "target": target,
                "impression": "x",
            }
            store.record("click", f"client-{n}", f"d-{n}", fields)
    store.add_impressions({(store_today(), "comparison/go-vs-rust", "comparisons", "control"): 150})
    below = _app(database_url).test_client()
    assert _lists(below, pages) == no_feedback  # byte for byte the same lists
    # with 400 shown lists the evidence counts: the last suggestion moves up and says why
    store.add_impressions({(store_today(), "comparison/go-vs-rust", "comparisons", "control"): 250})
    fresh = _app(database_url).test_client()
    after = fresh.get(pages[0]).get_json()["comparisons"]
    assert after[0]["slug"] == last
    assert any(e["kind"] == "co-click" for e in after[0]["evidence"])
    assert {s["slug"] for s in after} == set(shown)
    assert _lists(fresh, pages[1:]) == no_feedback[1:]  # other pages as before


def store_today():
    from pickgraph.web.store import today

    return today()


def test_search_misses_are_recorded_once_per_client_and_day(database_url):
    app = _app(database_url)
    client = app.test_client()
    for q in ("qwzx plorb", "qwzx plorb", "QWZX  plorb", "kafka", "postgresql"):
        assert client.get(f"/search?q={q}", headers={"User-Agent": READER}).status_code == 200
    client.get("/search.json?q=zzqv+xkcdq", headers={"User-Agent": READER})
    # autocomplete (the API's search) asks letter by letter: never a miss
    client.get("/api/v1/search?q=wxqzj", headers={"User-Agent": READER})
    client.get("/search?q=xkcdq+qwzx", headers={"User-Agent": "Googlebot/2.1"})
    rows = open_store(database_url).grouped("search-miss", ("query",))
    assert sorted((r["query"], r["count"]) for r in rows) == [
        ("qwzx plorb", 1),
        ("zzqv xkcdq", 1),
    ]


def test_a_vote_form_without_javascript_and_the_agreement_shown(database_url):
    app = _app(database_url, EVENT_RATE="1000")
    client = app.test_client()
    page = client.get("/compare/go-vs-rust").get_data(as_text=True)
    assert 'action="/compare/go-vs-rust/vote"' in page and "readers agree" not in page
    answer = client.post(
        "/compare/go-vs-rust/vote",
        data={"agree": "no", "comment": "x"},
        headers={"User-Agent": READER},
    )
    assert answer.status_code == 200 and "your vote is recorded" in answer.get_data(as_text=True)
    again = client.post(
        "/compare/go-vs-rust/vote", data={"agree": "yes"}, headers={"User-Agent": READER}
    )
    assert "already recorded" in again.get_data(as_text=True)
    bad = client.post("/compare/go-vs-rust/vote", data={"agree": "maybe"})
    assert bad.status_code == 400
    assert client.post("/compare/nothing-vs-nowhere/vote", data={"agree": "yes"}).status_code == 404
    store = open_store(database_url)
    for i in range(24):
        store.record("vote", f"c{i}", f"v{i}", {"comparison": "go-vs-rust", "agree": i % 4 != 0})
    shown = _app(database_url).test_client().get("/compare/go-vs-rust").get_data(as_text=True)
    # 18 of the 24 planted votes agree, and the form's vote disagrees: 18 of 25
    assert "72% of 25 readers agree with this pick." in shown


def _token_fields(token: str) -> list[str]:
    payload = token.split(".")[0]
    return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode().split("|")


def test_interleaving_and_swaps_are_drawn_and_credited(database_url):
    app = _app(
        database_url, INTERLEAVE="ppr", INTERLEAVE_SHARE="0.5", SWAP_SHARE="0.5", EVENT_RATE="1000"
    )
    client = app.test_client()
    slugs = sorted(p.stem for p in (resolve_folder(None) / "comparisons").glob("*.yaml"))
    plain = create_app({"TESTING": True, "DATABASE_URL": "sqlite://"}).test_client()
    arms = {"interleave": [], "swap": []}
    for slug in slugs[:300:10]:
        url = f"/api/v1/comparisons/{slug}/suggestions"
        body = client.get(url).get_json()
        token = body["impressions"]["comparisons"]
        fields = _token_fields(token)
        shown = [s["slug"] for s in body["comparisons"]]
        default = [s["slug"] for s in plain.get(url).get_json()["comparisons"]]
        arms.setdefault(fields[4].split("-")[0], []).append((token, fields, shown, default))
    # every list is interleaved or swapped (shares 0.5 + 0.5), each arm drawn
    assert len(arms["interleave"]) >= 5 and len(arms["swap"]) >= 5, {
        k: len(v) for k, v in arms.items()
    }
    for _token, fields, shown, default in arms["swap"]:
        k = int(fields[4].split("-")[1])
        swapped = default[:k] + [default[k + 1], default[k]] + default[k + 2 :]
        assert shown == swapped
    credited = {"a": 0, "b": 0}
    for token, fields, shown, _default in arms["interleave"]:
        teams = fields[5]
        assert len(teams) == len(shown) and set(teams) <= {"a", "b"}
        slot = teams.index("b") if "b" in teams else 0
        event = {"type": "click", "impression": token, "to": shown[slot]}
        answer = client.post("/api/v1/events", json=event, headers={"User-Agent": READER})
        assert answer.status_code == 202
        credited[teams[slot]] += 1
    result = build_report(open_store(database_url))["interleaving"]
    assert (result["b_wins"], result["a_wins"]) == (credited["b"], credited["a"])
    assert credited["b"] > 0


def test_old_events_are_counted_then_pruned(database_url):
    import datetime as dt

    store = open_store(database_url)
    with store.engine.begin() as conn:
        from pickgraph.web.store import events

        old = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
        conn.execute(
            sa.insert(events),
            [
                {
                    "kind": "vote",
                    "day": old.date(),
                    "at": old,
                    "client": "c",
                    "dedupe": f"old-{i}",
                    "comparison": "go-vs-rust",
                    "agree": True,
                }
                for i in range(3)
            ],
        )
    store.record("vote", "c", "new-1", {"comparison": "go-vs-rust", "agree": False})
    assert store.counts()["vote"] == 4
    assert store.prune(30) == 3
    assert store.counts()["vote"] == 4  # the old three live on as a daily count
    agree = {r["agree"]: r["count"] for r in store.grouped("vote", ("agree",))}
    assert agree == {True: 3, False: 1}


def test_the_salt_rotates_and_yesterdays_is_gone(database_url):
    import datetime as dt

    store = open_store(database_url)
    day1, day2 = dt.date(2026, 11, 27), dt.date(2026, 11, 28)
    a = store.client("198.51.100.1", "agent", day1)
    assert a == store.client("198.51.100.1", "agent", day1)
    store._salt = None
    b = store.client("198.51.100.1", "agent", day2)
    assert a != b
    with store.engine.connect() as conn:
        days = [r[0] for r in conn.execute(sa.text("SELECT day FROM salts"))]
    assert [str(d) for d in days] == ["2026-11-28"]


def test_an_unreachable_database_answers_503_and_pages_still_serve(tmp_path):
    url = "postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2"
    app = create_app({"TESTING": True, "DATABASE_URL": url})
    client = app.test_client()
    assert client.get("/compare/go-vs-rust").status_code == 200
    body = client.get("/api/v1/comparisons/go-vs-rust/suggestions").get_json()
    event = {
        "type": "click",
        "impression": body["impressions"]["comparisons"],
        "to": body["comparisons"][0]["slug"],
    }
    answer = client.post("/api/v1/events", json=event, headers={"User-Agent": READER})
    assert answer.status_code == 503 and answer.get_json()["ok"] is False
    out = subprocess.run(
        [sys.executable, "-m", "pickgraph.web.cli", "feedback", "report", "--database", url],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 2 and "DATABASE_URL" in out.stderr and "Traceback" not in out.stderr


def test_the_editor_page_needs_its_token(database_url):
    closed = _app(database_url).test_client()
    assert closed.get("/editor").status_code == 404
    app = _app(database_url, EDITOR_TOKEN="open-sesame")
    client = app.test_client()
    login = client.get("/editor")
    assert login.status_code == 200 and 'name="token"' in login.get_data(as_text=True)
    assert client.post("/editor", data={"token": "wrong"}).status_code == 403
    assert client.get("/editor?token=open-sesame").status_code == 200  # a URL opens nothing
    assert 'id="totals"' not in client.get("/editor?token=open-sesame").get_data(True)
    page = client.get("/editor", headers={"Authorization": "Bearer open-sesame"})
    assert page.status_code == 200 and 'id="totals"' in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "no-store"
    assert "Set-Cookie" not in page.headers


def test_crawlers_and_tools_are_answered_but_not_recorded(database_url):
    app = _app(database_url, EVENT_RATE="1000")
    client = app.test_client()
    bot = {"User-Agent": "Googlebot/2.1"}
    body = client.get("/api/v1/comparisons/go-vs-rust/suggestions", headers=bot).get_json()
    event = {
        "type": "click",
        "impression": body["impressions"]["comparisons"],
        "to": body["comparisons"][0]["slug"],
    }
    for agent in (
        "Googlebot/2.1 (+http://www.google.com/bot.html)",
        "curl/8.5.0",
        "python-requests/2.32",
        "Mozilla/5.0 HeadlessChrome/156.0",
        "",
    ):
        answer = client.post("/api/v1/events", json=event, headers={"User-Agent": agent})
        assert answer.status_code == 202 and answer.get_json()["recorded"] is False, agent
    # a crawler's page views are not counted as shown lists either
    client.get("/compare/go-vs-rust", headers={"User-Agent": "Googlebot/2.1"})
    app.extensions["pickgraph"].feedback.flush()
    store = open_store(database_url)
    assert store.counts() == {"click": 0, "vote": 0, "search-miss": 0}
    assert store.impression_counts() == {}
    client.get("/compare/go-vs-rust", headers={"User-Agent": READER})
    app.extensions["pickgraph"].feedback.flush()
    assert sum(store.impression_counts().values()) == 2  # its two lists, shown once


def _click_event(client, slug="go-vs-rust", agent=READER):
    body = client.get(
        f"/api/v1/comparisons/{slug}/suggestions", headers={"User-Agent": agent}
    ).get_json()
    return {
        "type": "click",
        "impression": body["impressions"]["comparisons"],
        "to": body["comparisons"][0]["slug"],
    }


def test_a_token_spelt_another_way_is_no_new_click(database_url):
    """Base64 decoders skip characters outside the alphabet: a respelt token must not
    pass as another list view."""
    client = _app(database_url, EVENT_RATE="1000").test_client()
    event = _click_event(client)
    body, mac = event["impression"].split(".")
    first = client.post("/api/v1/events", json=event, headers={"User-Agent": READER})
    assert first.get_json()["recorded"] is True
    for i in range(1, 20):
        respelt = body[:i] + "!" + body[i:] + "." + mac
        answer = client.post(
            "/api/v1/events", json={**event, "impression": respelt}, headers={"User-Agent": READER}
        )
        assert answer.status_code == 400, i
    assert open_store(database_url).counts()["click"] == 1


def test_a_new_user_agent_is_not_a_new_voter_nor_a_new_rate(database_url):
    client = _app(database_url).test_client()  # EVENT_RATE 60
    for i in range(10):
        agent = f"Mozilla/5.0 Firefox/{100 + i}"
        vote = {"type": "vote", "comparison": "go-vs-rust", "agree": i % 2 == 0}
        client.post("/api/v1/events", json=vote, headers={"User-Agent": agent})
    assert open_store(database_url).counts()["vote"] == 1
    statuses = []
    slugs = sorted(p.stem for p in (resolve_folder(None) / "comparisons").glob("*.yaml"))
    for i, slug in enumerate(slugs[:70]):
        agent = f"Mozilla/5.0 Firefox/{200 + i}"
        vote = {"type": "vote", "comparison": slug, "agree": True}
        statuses.append(
            client.post("/api/v1/events", json=vote, headers={"User-Agent": agent}).status_code
        )
    assert statuses.count(202) == 59 and statuses[-1] == 429  # 60 a minute, the first one too


@pytest.mark.parametrize(
    "comment", ["bad \ud800 surrogate", "nul \x00 inside", "bell \x07", "x" * 501]
)
def test_a_comment_that_is_not_text_is_refused(database_url, comment):
    client = _app(database_url).test_client()
    vote = {"type": "vote", "comparison": "go-vs-rust", "agree": True, "comment": comment}
    raw = json.dumps(vote)  # \ud800 travels as an escape, as a browser could send it
    answer = client.post(
        "/api/v1/events",
        data=raw,
        content_type="application/json",
        headers={"User-Agent": READER},
    )
    assert answer.status_code == 400 and answer.get_json()["parameter"] == "comment"
    assert open_store(database_url).counts()["vote"] == 0


def test_one_event_the_database_refuses_does_not_fail_the_others(database_url):
    """Group commit: a batch whose write fails is written again event by event."""
    store = open_store(database_url)
    results = {}

    def send(i):
        fields = {"comparison": "go-vs-rust", "agree": True}
        if i == 3:  # what the database refuses, past every check: a NUL byte
            fields["comment"] = "nul \x00"
        try:
            results[i] = store.record("vote", f"c{i}", f"batch-{i}", fields)
        except Exception as exc:  # noqa: BLE001 - the refused one's error
            results[i] = type(exc).__name__

    threads = [threading.Thread(target=send, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    stored = [i for i, r in results.items() if r == "stored"]
    if "sqlite" in database_url:  # SQLite keeps a NUL byte: all twelve are stored
        assert len(stored) == 12
    else:
        assert len(stored) == 11 and results[3] != "stored"
    assert store.counts()["vote"] == len(stored)


@pytest.mark.parametrize(
    "raw", ["[" * 5000, '{"type": "vote", "comparison": ' + "[" * 5000 + "}", "\xff\xfe"]
)
def test_bodies_that_are_not_json_are_400(database_url, raw):
    client = _app(database_url).test_client()
    answer = client.post(
        "/api/v1/events",
        data=raw.encode("latin-1"),
        content_type="application/json",
        headers={"User-Agent": READER},
    )
    assert answer.status_code == 400 and answer.get_json()["ok"] is False


def test_crawlers_are_validated_first_and_the_form_does_not_record_them(database_url):
    client = _app(database_url, EVENT_RATE="1000").test_client()
    for agent in ("curl/8.5.0", "", "Googlebot/2.1"):
        bad = {"type": "vote", "comparison": "go-vs-rust", "agree": "maybe"}
        answer = client.post("/api/v1/events", json=bad, headers={"User-Agent": agent})
        assert answer.status_code == 400, agent
        form = client.post(
            "/compare/go-vs-rust/vote", data={"agree": "yes"}, headers={"User-Agent": agent}
        )
        assert form.status_code == 200, agent
    assert open_store(database_url).counts()["vote"] == 0


def test_lists_a_client_asks_another_method_for_are_not_learnt_from(database_url):
    client = _app(database_url, EVENT_RATE="1000").test_client()
    body = client.get(
        "/api/v1/comparisons/go-vs-rust/suggestions?method=ppr", headers={"User-Agent": READER}
    ).get_json()
    token = body["impressions"]["comparisons"]
    assert _token_fields(token)[4] == "other"
    event = {"type": "click", "impression": token, "to": body["comparisons"][0]["slug"]}
    assert (
        client.post("/api/v1/events", json=event, headers={"User-Agent": READER}).status_code == 202
    )
    from pickgraph.web.feedback import learned_clicks

    assert learned_clicks(open_store(database_url)) == []


def test_two_prunes_at_once_count_each_event_once(database_url):
    import datetime as dt

    from pickgraph.web.store import events as events_table

    store = open_store(database_url)
    old = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    with store.engine.begin() as conn:
        conn.execute(
            sa.insert(events_table),
            [
                {
                    "kind": "vote",
                    "day": old.date(),
                    "at": old,
                    "client": "c",
                    "dedupe": f"p-{i}",
                    "comparison": "go-vs-rust",
                    "agree": True,
                }
                for i in range(50)
            ],
        )
    gone = []
    threads = [threading.Thread(target=lambda: gone.append(store.prune(30))) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(gone) == 50
    assert store.counts()["vote"] == 50


def test_the_signing_key_made_by_racing_processes_is_one_whole_key(tmp_path):
    script = (
        "import sys; from pathlib import Path; "
        "from pickgraph.web.settings import _instance_key; "
        "print(_instance_key(Path(sys.argv[1])).hex())"
    )
    for trial in range(5):
        folder = tmp_path / f"i{trial}"
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", script, str(folder)], stdout=subprocess.PIPE, text=True
            )
            for _ in range(6)
        ]
        keys = {p.communicate(timeout=60)[0].strip() for p in procs}
        assert len(keys) == 1 and len(keys.pop()) == 64, trial


def test_same_origin_is_scheme_and_host(database_url):
    vote = {"type": "vote", "comparison": "go-vs-rust", "agree": True}
    behind = _app(database_url, SITE_URL="https://example.org/picks", ALLOWED_HOSTS="example.org")
    client = behind.test_client()
    # the site's scheme and host, whatever path SITE_URL has and however TLS ended
    for origin, status in (
        ("https://example.org", 202),
        ("https://example.org.evil.test", 403),
        ("http://example.org", 403),
    ):
        answer = client.post(
            "/api/v1/events",
            json=vote,
            base_url="http://example.org",
            headers={"Origin": origin, "User-Agent": READER},
        )
        assert answer.status_code == status, origin


def test_without_a_signing_key_pages_serve_and_clicks_wait(tmp_path):
    """An instance folder that cannot be written (a read-only install): no key, so
    lists go out without tokens and a click is a 503, never a 500."""
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    app = create_app(
        {"TESTING": True, "INSTANCE": str(blocked / "instance"), "DATABASE_URL": "sqlite://"}
    )
    client = app.test_client()
    assert client.get("/compare/go-vs-rust").status_code == 200
    body = client.get("/api/v1/comparisons/go-vs-rust/suggestions").get_json()
    assert body["impressions"] == {"comparisons": None, "topics": None}
    event = {"type": "click", "impression": "x.y", "to": body["comparisons"][0]["slug"]}
    answer = client.post("/api/v1/events", json=event, headers={"User-Agent": READER})
    assert answer.status_code == 503 and answer.get_json()["ok"] is False
