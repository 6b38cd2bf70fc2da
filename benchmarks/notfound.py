"""Benchmark: what a crafted not-found URL costs against a plain one (issue 18).

A 404 answers with "did you mean" candidates, found by fuzzy matching; a path made of
hundreds of parts or thousands of characters must not cost much more than a plain
miss. In one process (the Flask test client: no network noise), interleaved over
several rounds, this times:

- plain: an unknown pair, /api/v1/comparisons/nosuch-vs-nothing (the reference);
- repeated: the same part 337 times, "aeinorst-vs-" x 337;
- distinct: 300 different parts, "p0-vs-p1-vs-...";
- long: one part of 5,000 letters;

and the same four as pages (/compare/...). It prints the median time of each and its
ratio to the plain miss of the same surface (the bar: at most 2x).

    python benchmarks/notfound.py [--rounds 7] [--repeat 40] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from pickgraph.web import create_app

CRAFTED = {
    "plain": "nosuch-vs-nothing",
    "repeated": "aeinorst-vs-" * 337,
    "distinct": "-vs-".join(f"p{i}" for i in range(300)),
    "long": "abcdefghij" * 500,
}
SURFACES = {"api": "/api/v1/comparisons/", "page": "/compare/"}


def time_path(client, path: str, repeat: int) -> float:
    """Seconds per request, over ``repeat`` requests (each a 404, never cached)."""
    start = time.perf_counter()
    for _ in range(repeat):
        status = client.get(path).status_code
        assert status == 404, (path[:60], status)
    return (time.perf_counter() - start) / repeat


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--repeat", type=int, default=40, help="requests per timing")
    parser.add_argument("--json", action="store_true", help="print JSON only")
    args = parser.parse_args()

    client = create_app({"TESTING": True}).test_client()
    paths = {(s, k): prefix + slug for s, prefix in SURFACES.items() for k, slug in CRAFTED.items()}
    for path in paths.values():  # warm up: first requests build lazy tables
        client.get(path)
    times: dict[tuple[str, str], list[float]] = {key: [] for key in paths}
    for _ in range(args.rounds):
        for key, path in paths.items():  # interleaved: noise hits every case alike
            times[key].append(time_path(client, path, args.repeat))
    rows = []
    for surface in SURFACES:
        plain = statistics.median(times[(surface, "plain")])
        for kind in CRAFTED:
            median = statistics.median(times[(surface, kind)])
            rows.append(
                {
                    "surface": surface,
                    "case": kind,
                    "path_chars": len(paths[(surface, kind)]),
                    "median_ms": round(median * 1000, 3),
                    "ratio_to_plain": round(median / plain, 2),
                }
            )
    worst = max(r["ratio_to_plain"] for r in rows)
    result = {"rounds": args.rounds, "repeat": args.repeat, "rows": rows, "worst_ratio": worst}
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    print(f"{'surface':8} {'case':9} {'chars':>6} {'median ms':>10} {'x plain':>8}")
    for r in rows:
        print(
            f"{r['surface']:8} {r['case']:9} {r['path_chars']:>6} "
            f"{r['median_ms']:>10.3f} {r['ratio_to_plain']:>8.2f}"
        )
    print(f"worst ratio to a plain 404: {worst:.2f} (bar: 2.00)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
