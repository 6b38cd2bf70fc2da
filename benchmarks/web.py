"""Benchmark: the site under load, served by `pickgraph serve` (gunicorn, 2 workers).

In one run, against one server on loopback, wrk drives (for a bounded time each,
interleaved over several rounds, medians reported):

- baseline: /api/v1/ping, the smallest JSON route of the same app;
- page: a comparison page (/compare/mysql-vs-postgresql);
- api: the suggestions API for that comparison;
- set: a set of three side by side (/compare/kafka-vs-nats-vs-rabbitmq);
- best: a "best of" list (/best/relational-databases);
- events: POST /api/v1/events, a valid click each time (every request from another
  client, so every one is stored, durably, before its 202), into a fresh feedback
  database (SQLite by default, --database for another); afterwards the events stored
  are counted against the 202s wrk received, and then 2,000 more clicks are sent from
  Python and each one answered "recorded" is looked up in the database by its client
  hash ("lost" must be 0).

It also measures start-up to the first served request, on the bundled content and
(unless --quick) on synthetic content of 10k topics / 100k comparisons, and what the
serving processes hold in memory after a warm start and a few pages in each worker:
the master's and each worker's RSS and private memory (USS), and the total
proportional set size (PSS: each shared page split between the processes mapping it)
with 1 and with 2 workers, whose difference is what one more worker costs.

    python benchmarks/web.py [--quick] [--duration 10] [--rounds 3] [--json]
"""

from __future__ import annotations

import argparse
import http.client
import json
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from pathlib import Path

import sqlalchemy as sa

from pickgraph.web.store import events as events_table
from pickgraph.web.store import open_store

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

PATHS = {
    "baseline": "/api/v1/ping",
    "page": "/compare/mysql-vs-postgresql",
    "api": "/api/v1/comparisons/mysql-vs-postgresql/suggestions",
    "set": "/compare/kafka-vs-nats-vs-rabbitmq",
    "best": "/best/relational-databases",
}


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    sudo = [] if _root() else ["sudo"]
    subprocess.run(
        sudo + ["apt-get", "install", "-y", "-q", "wrk"], check=True, stdout=subprocess.DEVNULL
    )
    return shutil.which("wrk") or "wrk"


def _root() -> bool:
    import os

    return os.geteuid() == 0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(
    content: Path | None,
    workers: int = 2,
    timeout: float = 600,
    cache: Path | None = None,
    worker_class: str = "gevent",
    env: dict | None = None,
):
    """Start `pickgraph serve`; returns (process, port, seconds to the first 200).

    ``cache`` is the start-up cache folder (a fresh one measures a cold start)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "pickgraph.web.cli",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--worker-class",
        worker_class,
    ]
    if content is not None:
        cmd += ["--content", str(content)]
    start = time.perf_counter()
    import os

    env = {**os.environ, **(env or {})}
    if cache is not None:
        env["PICKGRAPH_CACHE"] = str(cache)
    proc = subprocess.Popen(
        cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env
    )
    while True:
        if proc.poll() is not None:
            raise SystemExit(f"server exited with {proc.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return proc, port, time.perf_counter() - start
        except OSError:
            pass
        if time.perf_counter() - start > timeout:
            proc.kill()
            raise SystemExit("server did not start in time")
        time.sleep(0.02)


def stop(proc) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def _ms(text: str) -> float:
    m = re.match(r"([\d.]+)(us|ms|s|m)\b", text)
    if m is None:
        raise ValueError(f"cannot read a latency from {text!r}")
    unit = m.group(2)
    return float(m.group(1)) * (60_000.0 if unit == "m" else _UNITS[unit])


def run_wrk(wrk: str, url: str, duration: int, connections: int) -> dict:
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", url],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    return _read_wrk(out)


def _read_wrk(out: str) -> dict:
    try:
        rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
        p99 = _ms(re.search(r"^\s*99%\s+(\S+)", out, re.M).group(1))
        p50 = _ms(re.search(r"^\s*50%\s+(\S+)", out, re.M).group(1))
    except (AttributeError, ValueError) as exc:
        raise SystemExit(f"cannot read wrk's output ({exc}):\n{out}") from None
    errors = 0
    m = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if m:
        errors += int(m.group(1))
    m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if m:
        # sync workers close every connection; wrk counts those closes as read errors
        errors += int(m.group(1)) + int(m.group(3)) + int(m.group(4))
    return {"rps": rps, "p50_ms": p50, "p99_ms": p99, "errors": errors}


EVENTS_LUA = """
-- a valid click per request, each from a client of its own (its User-Agent)
local events = {%s}
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
function init(args)
  run = args[1] or "0"
end
function request()
  counter = counter + 1
  local e = events[(counter %% #events) + 1]
  local body = '{"type":"click","impression":"' .. e[1] .. '","to":"' .. e[2] .. '"}'
  local headers = {}
  headers["Content-Type"] = "application/json"
  headers["User-Agent"] = "Mozilla/5.0 (bench reader " .. run .. "-" .. tid .. "-" .. counter .. ")"
  return wrk.format("POST", "/api/v1/events", headers, body)
end
"""


def click_pairs(port: int) -> list[tuple[str, str]]:
    """(impression token, slug) of the suggestions of 4 comparison pages."""
    events = []
    for slug in ("mysql-vs-postgresql", "go-vs-rust", "kafka-vs-rabbitmq", "react-vs-vue"):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", f"/api/v1/comparisons/{slug}/suggestions?limit=20")
        body = json.loads(conn.getresponse().read())
        token = body["impressions"]["comparisons"]
        events += [(token, s["slug"]) for s in body["comparisons"]]
    return events


def events_script(events: list[tuple[str, str]], folder: Path) -> Path:
    """A wrk script posting those clicks, each request from a client of its own."""
    lua = ", ".join(f'{{"{t}", "{s}"}}' for t, s in events)
    path = folder / "events.lua"
    path.write_text(EVENTS_LUA % lua)
    return path


def lost_events(port: int, database: str, events, n: int = 2000, threads: int = 10) -> dict:
    """Send ``n`` clicks from ``threads`` threads, each from a user agent of its own,
    then look up each one answered "recorded" in the database by its client hash:
    an exact count of events acknowledged and not stored (wrk cannot say which of its
    requests were answered)."""
    agents = [f"Mozilla/5.0 (lost-event check {time.time_ns()} {i})" for i in range(n)]
    recorded: list[str] = []
    lock = threading.Lock()
    todo = list(range(n))

    def worker():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while True:
            with lock:
                if not todo:
                    break
                i = todo.pop()
            token, slug = events[i % len(events)]
            body = json.dumps({"type": "click", "impression": token, "to": slug})
            conn.request(
                "POST",
                "/api/v1/events",
                body,
                {"Content-Type": "application/json", "User-Agent": agents[i]},
            )
            answer = conn.getresponse()
            data = answer.read()
            if answer.status == 202 and json.loads(data)["recorded"]:
                with lock:
                    recorded.append(agents[i])
        conn.close()

    pool = [threading.Thread(target=worker) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    store = open_store(database, upgrade=False)
    hashes = {store.client("127.0.0.1", agent) for agent in recorded}
    found = 0
    with store.engine.connect() as conn:
        chunk = sorted(hashes)
        for start in range(0, len(chunk), 500):
            part = chunk[start : start + 500]
            found += conn.execute(
                sa.select(sa.func.count()).where(events_table.c.client.in_(part))
            ).scalar_one()
    store.engine.dispose()
    return {"sent": n, "recorded": len(recorded), "found": found, "lost": len(recorded) - found}


def run_wrk_script(
    wrk: str, url: str, script: Path, duration: int, connections: int, run: int
) -> dict:
    """wrk with ``script``; ``run`` makes this run's clients differ from every other's."""
    out = subprocess.run(
        [wrk, "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "-s", str(script)]
        + [url, "--", str(run)],
        capture_output=True,
        text=True,
        check=True,
        timeout=duration + 60,
    ).stdout
    result = _read_wrk(out)
    result["requests"] = int(re.search(r"(\d+) requests in", out).group(1))
    return result


def stored_clicks(url: str) -> int:
    store = open_store(url, upgrade=False)
    try:
        return store.counts()["click"]
    finally:
        store.engine.dispose()


def _get(port: int, path: str) -> bytes:
    """The body of a 200 answer to GET ``path``; anything else ends the benchmark."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise SystemExit(f"GET {path} answered {response.status}: nothing to measure")
    return body


def serving_memory(proc) -> dict:
    """RSS and USS of a running server's master and workers (MB), and their total
    PSS, from /proc through psutil (which dask.distributed brings)."""
    import psutil

    master = psutil.Process(proc.pid)
    workers = master.children(recursive=True)
    info = {p.pid: p.memory_full_info() for p in [master, *workers]}
    mb = 1 << 20
    return {
        "master_rss_mb": round(info[master.pid].rss / mb, 1),
        "workers_rss_mb": sorted(round(info[w.pid].rss / mb, 1) for w in workers),
        "workers_uss_mb": sorted(round(info[w.pid].uss / mb, 1) for w in workers),
        "total_pss_mb": round(sum(i.pss for i in info.values()) / mb, 1),
    }


def worker_cost(folder: Path | None, cache: Path, paths: list[str]) -> dict:
    """Memory of a warm-started server with 1 worker and with 2, each after serving
    every path of ``paths`` 20 times from 8 concurrent clients (checked: every worker
    spent CPU on them, so each has rendered pages): the difference of total PSS is
    what one more worker costs. ``cache`` must hold a start-up cache entry for
    ``folder``."""
    import psutil

    out = {}
    for workers in (1, 2):
        proc, port, _ = start_server(folder, workers=workers, cache=cache)
        try:
            children = psutil.Process(proc.pid).children(recursive=True)
            before = {c.pid: sum(c.cpu_times()[:2]) for c in children}
            with ThreadPoolExecutor(8) as pool:
                list(pool.map(partial(_get, port), paths * 20))
            busy = [sum(c.cpu_times()[:2]) - before[c.pid] for c in children]
            if min(busy) < 0.05:
                raise SystemExit(f"a worker served nothing (CPU seconds {busy})")
            out[f"workers_{workers}"] = serving_memory(proc)
        finally:
            stop(proc)
    one, two = out["workers_1"]["total_pss_mb"], out["workers_2"]["total_pss_mb"]
    out["extra_worker_mb"] = round(two - one, 1)
    return out


def _index_state(port: int) -> str:
    return json.loads(_get(port, "/healthz"))["index"]


def _building(proc) -> bool:
    """Whether the server's background index build (`pickgraph cache fill`) runs."""
    import psutil

    for child in psutil.Process(proc.pid).children(recursive=True):
        try:
            if "fill" in child.cmdline() and "cache" in child.cmdline():
                return True
        except psutil.Error:
            continue
    return False


def startups(
    folder: Path | None, runs: int, caches: Path
) -> tuple[list[float], list[float], list[float]]:
    """Cold starts (an empty start-up cache each time, under ``caches``) and warm ones
    (from the first cold start's cache, ``caches / "cold-0"``, left filled for the
    memory measurement). A cold start counts until its first served request; a large
    one then serves on demand while its index is built in the background, so the
    time until the index is served (the third list) is measured too, and each cold
    start is stopped only then, its cache entry written."""
    cold, indexed, warm = [], [], []
    for i in range(runs):
        start = time.perf_counter()
        proc, port, seconds = start_server(folder, cache=caches / f"cold-{i}")
        try:
            ended = None  # when the build was first seen gone (its reload takes a while)
            while _index_state(port) != "precomputed":
                now = time.perf_counter()
                if now - start > 1800:
                    raise SystemExit("the background index build took over 30 minutes")
                if ended is None and not _building(proc):
                    ended = now
                if ended is not None and now - ended > 120:
                    raise SystemExit("the background index build ended without an index")
                time.sleep(0.2)
            indexed.append(time.perf_counter() - start)
        finally:
            stop(proc)
        cold.append(seconds)
    for _ in range(runs):
        proc, _, seconds = start_server(folder, cache=caches / "cold-0")
        stop(proc)
        warm.append(seconds)
    return cold, indexed, warm


def synthetic_startup(keep: Path | None) -> tuple[float, float, float, dict]:
    """Cold start (to the first request, and to the index served) and warm start on
    10k topics / 100k comparisons, and the memory of the warm-started server
    (``worker_cost``) on a few of its pages."""
    from synthetic import Spec, generate_files

    with tempfile.TemporaryDirectory() as tmp:
        folder = keep or Path(tmp) / "content"
        if not (folder / ".complete").exists():
            generate_files(Spec(10_000, 100_000, 1_000), folder)
            (folder / ".complete").write_text("10k/100k")
        (cold,), (indexed,), (warm,) = startups(folder, 1, Path(tmp))
        comparisons = sorted(p.stem for p in (folder / "comparisons").glob("*.yaml"))[:3]
        topics = sorted(p.stem for p in (folder / "topics").glob("*.yaml"))[:3]
        paths = ["/", *(f"/compare/{c}" for c in comparisons), *(f"/topic/{t}" for t in topics)]
        return cold, indexed, warm, worker_cost(folder, Path(tmp) / "cold-0", paths)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--connections", type=int, default=50)
    p.add_argument("--quick", action="store_true", help="skip the 10k/100k start-up")
    p.add_argument(
        "--synthetic-dir",
        type=Path,
        default=None,
        help="keep and reuse the generated 10k/100k content here",
    )
    p.add_argument("--worker-class", choices=("gevent", "sync"), default="gevent")
    p.add_argument(
        "--database", help="feedback database URL for the events run (default: a fresh SQLite)"
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)

    wrk = ensure_wrk()
    with tempfile.TemporaryDirectory() as caches:
        cold, _, warm = startups(None, 3, Path(caches))
        memory = worker_cost(None, Path(caches) / "cold-0", list(PATHS.values()))
    tmp = Path(tempfile.mkdtemp(prefix="pickgraph-bench-"))
    database = args.database or f"sqlite:///{tmp / 'feedback.sqlite3'}"
    env = {
        "PICKGRAPH_DATABASE_URL": database,
        "PICKGRAPH_EVENT_RATE": "1000000",
        "PICKGRAPH_INSTANCE": str(tmp / "instance"),
    }
    proc, port, _ = start_server(None, worker_class=args.worker_class, env=env)
    runs = {name: [] for name in [*PATHS, "events"]}
    try:
        pairs = click_pairs(port)
        script = events_script(pairs, tmp)
        before = stored_clicks(database)
        for path in PATHS.values():  # warm the response caches of both workers
            run_wrk(wrk, f"http://127.0.0.1:{port}{path}", 1, 4)
        for run in range(args.rounds):
            for name, path in PATHS.items():
                runs[name].append(
                    run_wrk(wrk, f"http://127.0.0.1:{port}{path}", args.duration, args.connections)
                )
            runs["events"].append(
                run_wrk_script(
                    wrk,
                    f"http://127.0.0.1:{port}/api/v1/events",
                    script,
                    args.duration,
                    args.connections,
                    run,
                )
            )
        answered = sum(r["requests"] - r["errors"] for r in runs["events"])
        stored = stored_clicks(database) - before
        check = lost_events(port, database, pairs)
    finally:
        stop(proc)
        shutil.rmtree(tmp, ignore_errors=True)

    def med(name, key):
        return round(statistics.median(r[key] for r in runs[name]), 2)

    result = {
        "worker_class": args.worker_class,
        "connections": args.connections,
        "duration_s": args.duration,
        "rounds": args.rounds,
        "errors": sum(r["errors"] for rs in runs.values() for r in rs),
        "events_database": database.split(":", 1)[0],
        # under wrk: responses counted, rows stored (more rows than responses: requests
        # still in flight when wrk stopped counting)
        "events_answered_202": answered,
        "events_stored": stored,
        # the exact check: clicks answered "recorded", looked up one by one
        "events_checked": check["recorded"],
        "events_lost": check["lost"],
        "startup_s_median": round(statistics.median(cold), 3),
        "startup_warm_s_median": round(statistics.median(warm), 3),
        "memory": memory,
    }
    for name in [*PATHS, "events"]:
        result[f"{name}_rps"] = med(name, "rps")
        result[f"{name}_p99_ms"] = med(name, "p99_ms")
        result[f"{name}_p50_ms"] = med(name, "p50_ms")
    for name in [*PATHS, "events"]:
        if name != "baseline":
            result[f"{name}_ratio"] = round(result[f"{name}_rps"] / result["baseline_rps"], 3)
    if not args.quick:
        cold_10k, indexed_10k, warm_10k, memory_10k = synthetic_startup(args.synthetic_dir)
        result["startup_10k_s"] = round(cold_10k, 2)
        result["startup_10k_indexed_s"] = round(indexed_10k, 2)
        result["startup_10k_warm_s"] = round(warm_10k, 2)
        result["memory_10k"] = memory_10k
    if args.json:
        print(json.dumps(result, indent=2))
        return 0
    print(
        f"wrk, {args.connections} connections, {args.duration} s x {args.rounds} rounds "
        f"(medians), gunicorn 2 {args.worker_class} workers on loopback"
    )
    for name, path in [*PATHS.items(), ("events", "POST /api/v1/events")]:
        print(
            f"  {name:<9} {path:<55} {result[name + '_rps']:>8.0f} req/s  "
            f"p99 {result[name + '_p99_ms']} ms"
        )
    names = [*PATHS, "events"]
    ratios = ", ".join(f"{n} / baseline = {result[n + '_ratio']}" for n in names if n != "baseline")
    print(f"  {ratios}, errors {result['errors']}")
    print(
        f"  events ({result['events_database']}): under wrk {answered} answered 202, "
        f"{stored} stored; {result['events_checked']} answered 'recorded' then looked up "
        f"one by one: lost {result['events_lost']}"
    )
    print(
        f"  start-up to first request (bundled content): median {result['startup_s_median']} s "
        f"cold, {result['startup_warm_s_median']} s with the start-up cache"
    )
    for key, label in (("memory", "bundled content"), ("memory_10k", "10k / 100k")):
        if key in result:
            m = result[key]
            one, two = m["workers_1"], m["workers_2"]
            print(
                f"  memory after a warm start ({label}): total PSS {one['total_pss_mb']} MB "
                f"with 1 worker, {two['total_pss_mb']} MB with 2: one more worker costs "
                f"{m['extra_worker_mb']} MB (worker RSS {two['workers_rss_mb']}, "
                f"private {two['workers_uss_mb']} MB)"
            )
    if "startup_10k_s" in result:
        print(
            f"  start-up with 10k topics / 100k comparisons: {result['startup_10k_s']} s cold "
            f"(its index served after {result['startup_10k_indexed_s']} s), "
            f"{result['startup_10k_warm_s']} s with the start-up cache"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
