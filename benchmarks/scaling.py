"""Benchmark: the index build on dask with one worker and with two.

What a worker adds to the build, measured rather than assumed. In one process, on a
synthetic graph from ``synthetic.py``, ``build_index`` runs on a dask LocalCluster of
one worker process and on one of two, in alternating rounds so that both see the same
machine load (each build on a fresh cluster, started before the clock starts; its start-up
is reported apart). For each: the median build time and its affinity-row phase. Then:

- the speedup of the second worker (one worker's median over two workers');
- the serial share ``s`` that Amdahl's law fits to those two medians
  (T(N) = T(1) * (s + (1 - s) / N), so s = 2 * T(2) / T(1) - 1), and the build time it
  projects for more workers: a projection for a cluster of machines like this one's
  cores, which this machine (two cores, shared with the client and the scheduler)
  cannot measure;
- whether both clusters built the same index, array for array (they must).

    python benchmarks/scaling.py                        # 10k / 100k, 2 rounds
    python benchmarks/scaling.py --size 3000x30000 --rounds 3 --json
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from synthetic import parse_sizes  # noqa: E402 (found through the path set above)

PROJECT = (1, 2, 4, 8, 16, 32)


def _same(a, b) -> bool:
    import numpy as np

    from pickgraph.engine.index import _NAMES

    return all(
        np.array_equal(getattr(getattr(a, name), part), getattr(getattr(b, name), part))
        for name in _NAMES
        for part in ("ids", "scores", "lengths")
    )


def measure(topics: int, comparisons: int, rounds: int) -> dict:
    from synthetic import Spec, generate_graph

    from pickgraph.engine.core import Engine
    from pickgraph.engine.index import build_index, open_tasks
    from pickgraph.engine.pagemodel import page_model

    t0 = time.perf_counter()
    engine = Engine(generate_graph(Spec(topics, comparisons, max(topics // 10, 10))))
    page_model(engine).prepare()  # the ranker fit and tables, outside the timed builds
    setup_s = time.perf_counter() - t0
    start_s = {1: [], 2: []}
    times = {1: [], 2: []}
    rows = {1: [], 2: []}
    built = {}
    for _ in range(rounds):
        for workers in (1, 2):
            # the LocalCluster a build starts for itself, of this many workers, one at
            # a time (two clients in one process trip up dask's result tracking)
            t = time.perf_counter()
            with open_tasks("local", workers=workers) as tasks:
                start_s[workers].append(time.perf_counter() - t)
                t = time.perf_counter()
                index = build_index(engine, scheduler=tasks.client)
                times[workers].append(time.perf_counter() - t)
            rows[workers].append(index.stats["vectors_s"])
            built.setdefault(workers, index)
    one, two = (statistics.median(times[w]) for w in (1, 2))
    serial = min(1.0, max(0.0, 2 * two / one - 1))
    return {
        "topics": topics,
        "comparisons": comparisons,
        "pages": topics + comparisons,
        "setup_s": round(setup_s, 1),
        "cluster_start_s": {str(w): round(statistics.median(start_s[w]), 2) for w in (1, 2)},
        "rounds": rounds,
        "build_s": {
            str(w): {
                "median": round(statistics.median(times[w]), 1),
                "runs": [round(x, 1) for x in times[w]],
                "rows_median": round(statistics.median(rows[w]), 1),
            }
            for w in (1, 2)
        },
        "second_worker_speedup": round(one / two, 2),
        "serial_share": round(serial, 3),
        "projected_build_s": {str(n): round(one * (serial + (1 - serial) / n), 1) for n in PROJECT},
        "same_index": _same(built[1], built[2]),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--size", type=parse_sizes, default="10000x100000", help="TOPICSxCOMPARISONS")
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if len(args.size) != 1 or args.rounds < 1:
        p.error("--size takes one TOPICSxCOMPARISONS, --rounds at least 1")
    ((topics, comparisons),) = args.size
    r = measure(topics, comparisons, args.rounds)
    if args.json:
        print(json.dumps(r, indent=2))
        return 0
    print(f"{topics} topics / {comparisons} comparisons ({r['pages']} pages), {args.rounds} rounds")
    for w in ("1", "2"):
        b = r["build_s"][w]
        print(f"  {w} worker(s): median {b['median']} s (runs {b['runs']}), ", end="")
        print(f"rows {b['rows_median']} s")
    print(f"  second worker: {r['second_worker_speedup']}x; serial share {r['serial_share']}")
    print("  projected: " + ", ".join(f"{n}: {s} s" for n, s in r["projected_build_s"].items()))
    print(f"  same index from both: {r['same_index']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
