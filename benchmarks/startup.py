"""Benchmark: start-up of this checkout against an earlier commit, in the same run.

Start-up times move with the machine (the same code has started twice as slowly from
one day to the next on these shared hosts), so a figure means little without a
reference measured beside it. This script checks out REV's ``graph``, ``engine`` and
``web`` into a temporary folder, and starts `pickgraph serve` (2 gevent workers, on
loopback) alternately with this checkout's code and with REV's, measuring the time
to the first ``/healthz`` 200:

- cold: a fresh, empty start-up cache folder for every start;
- warm: a cache folder per version, filled first by that version's own
  ``pickgraph cache fill`` (not timed).

It prints the medians, ranges and the ratio this/REV (JSON with --json).

    python benchmarks/startup.py --against bfc1542 --content build/syn10k \\
        [--cold 3] [--warm 7] [--json]

Content of 10k topics / 100k comparisons comes from `benchmarks/synthetic.py`
(`python benchmarks/load.py --dir build/syn10k` keeps it). Cold starts there take
half a minute each and a cache fill a few minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from web import ROOT, start_server, stop


def _archive(rev: str, into: Path) -> Path:
    """REV's packages under ``into/pickgraph``, for PYTHONPATH; SystemExit if REV is
    not a commit of this repository."""
    code = into / "code"
    code.mkdir()
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", rev, "graph", "engine", "web"],
        capture_output=True,
    )
    if archive.returncode != 0:
        raise SystemExit(f"--against {rev!r}: {archive.stderr.decode().strip()}")
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive.stdout, check=True)
    pkg = into / "pkg"
    pkg.mkdir()
    (pkg / "pickgraph").symlink_to(code, target_is_directory=True)
    return pkg


def _fill(content: Path, cache: Path, env: dict) -> None:
    cmd = [sys.executable, "-m", "pickgraph.web.cli", "cache", "fill", f"--content={content}"]
    subprocess.run(
        cmd,
        cwd=ROOT,
        env={**os.environ, **env, "PICKGRAPH_CACHE": str(cache)},
        check=True,
        stdout=subprocess.DEVNULL,
    )


def _summary(this: list[float], ref: list[float]) -> dict:
    a, b = statistics.median(this), statistics.median(ref)
    return {
        "this": {"median": round(a, 2), "runs": sorted(round(x, 2) for x in this)},
        "reference": {"median": round(b, 2), "runs": sorted(round(x, 2) for x in ref)},
        "ratio": round(a / b, 3),
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--against", required=True, help="the commit to compare with")
    p.add_argument(
        "--content", type=Path, default=ROOT / "content", help="default: this checkout's"
    )
    p.add_argument("--cold", type=int, default=3, help="cold starts of each version")
    p.add_argument("--warm", type=int, default=7, help="warm starts of each version")
    p.add_argument("--json", action="store_true")
    args = p.parse_args()
    # given as a folder to both versions, so that both read the same content
    content = args.content.resolve()
    results: dict = {"against": args.against, "content": str(args.content)}
    with tempfile.TemporaryDirectory(prefix="pickgraph-startup-") as tmp:
        tmp = Path(tmp)
        versions = {"this": {}, "reference": {"PYTHONPATH": str(_archive(args.against, tmp))}}
        for kind, rounds in (("cold", args.cold), ("warm", args.warm)):
            if not rounds:
                continue
            if kind == "warm":
                for name, env in versions.items():
                    (tmp / f"warm-{name}").mkdir()
                    _fill(content, tmp / f"warm-{name}", env)
            times: dict[str, list[float]] = {"this": [], "reference": []}
            for r in range(rounds):
                order = list(versions.items())
                for name, env in order if r % 2 == 0 else order[::-1]:  # neither always first
                    if kind == "warm":
                        cache = tmp / f"warm-{name}"
                    else:  # a new, empty folder every time
                        cache = Path(tempfile.mkdtemp(prefix="cold-", dir=tmp))
                    proc, _, secs = start_server(content, cache=cache, env=env)
                    stop(proc)
                    times[name].append(secs)
                    if not args.json:
                        print(f"{kind} {name}: {secs:.2f} s", flush=True)
            results[kind] = _summary(times["this"], times["reference"])
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for kind in ("cold", "warm"):
        if kind in results:
            r = results[kind]
            print(
                f"{kind}: this {r['this']['median']} s {r['this']['runs']}, "
                f"{args.against} {r['reference']['median']} s {r['reference']['runs']}, "
                f"ratio {r['ratio']}"
            )


if __name__ == "__main__":
    main()
