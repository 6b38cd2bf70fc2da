"""Benchmark: load and validate a content folder, against a plain YAML parse of it.

Generates synthetic content (``synthetic.py``), then times, in fresh processes so
that each run starts cold and its peak memory is its own:

- ``pickgraph``: ``graph.check`` (parse, validate, lint, cross-file checks, graph);
- ``reference``: ``yaml.load`` with the C loader over the same files, no checks.

Prints medians of ``--repeat`` runs and the ratio between them; ``--json`` prints the
same figures as JSON.

    python benchmarks/load.py                 # 10k topics / 100k comparisons
    python benchmarks/load.py --quick --json  # 1k topics / 10k comparisons
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

from synthetic import Spec, generate_files  # noqa: E402

_CHILD = r"""
import json, resource, sys, time
sys.path.insert(0, {root!r})
mode, folder = sys.argv[1], sys.argv[2]
start = time.perf_counter()
if mode == "pickgraph":
    from pickgraph import graph
    report = graph.check(folder)
    assert not report.errors, report.errors[:5]
    count = report.files
else:
    import os, yaml
    count = 0
    for sub in ("topics", "comparisons"):
        for name in sorted(os.listdir(os.path.join(folder, sub))):
            with open(os.path.join(folder, sub, name), "rb") as f:
                yaml.load(f.read(), Loader=yaml.CSafeLoader)
            count += 1
seconds = time.perf_counter() - start
self_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
child_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({{"seconds": seconds, "files": count, "peak_rss_mb": self_kb / 1024,
                   "worker_peak_rss_mb": child_kb / 1024}}))
"""


def run_child(mode: str, folder: Path) -> dict:
    code = _CHILD.format(root=str(HERE.parent))
    out = subprocess.run(
        [sys.executable, "-c", code, mode, str(folder)], capture_output=True, text=True, check=True
    )
    return json.loads(out.stdout)


def measure(spec: Spec, folder: Path, repeat: int) -> dict:
    t0 = time.perf_counter()
    if not (folder / ".complete").exists():
        generate_files(spec, folder)
        (folder / ".complete").write_text(spec.label())
    generated = time.perf_counter() - t0
    runs = {"pickgraph": [], "reference": []}
    for _ in range(repeat):  # interleaved, so both see the same machine load
        for mode in runs:
            runs[mode].append(run_child(mode, folder))
    med = {m: statistics.median(r["seconds"] for r in rs) for m, rs in runs.items()}
    return {
        "topics": spec.topics,
        "comparisons": spec.comparisons,
        "tags": spec.tags,
        "files": runs["pickgraph"][0]["files"],
        "repeat": repeat,
        "generate_s": round(generated, 2),
        "load_s_median": round(med["pickgraph"], 3),
        "load_s_runs": [round(r["seconds"], 3) for r in runs["pickgraph"]],
        "reference_yaml_s_median": round(med["reference"], 3),
        "ratio_to_reference": round(med["pickgraph"] / med["reference"], 2),
        "peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["pickgraph"]), 1),
        "worker_peak_rss_mb": round(max(r["worker_peak_rss_mb"] for r in runs["pickgraph"]), 1),
        "reference_peak_rss_mb": round(max(r["peak_rss_mb"] for r in runs["reference"]), 1),
    }


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--topics", type=int, default=10_000)
    p.add_argument("--comparisons", type=int, default=100_000)
    p.add_argument("--tags", type=int, default=None, help="default: topics / 10")
    p.add_argument("--quick", action="store_true", help="1k topics / 10k comparisons")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument(
        "--dir",
        type=Path,
        default=None,
        help="where to generate (kept and reused); default: a temporary folder",
    )
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    if args.quick:
        args.topics, args.comparisons = 1_000, 10_000
    spec = Spec(args.topics, args.comparisons, args.tags or max(args.topics // 10, 10))
    if args.dir:
        result = measure(spec, args.dir, args.repeat)
    else:
        with tempfile.TemporaryDirectory() as tmp:
            result = measure(spec, Path(tmp) / "content", args.repeat)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"content: {spec.label()} ({result['files']} files, generated in "
            f"{result['generate_s']} s)"
        )
        print(
            f"pickgraph load+validate: median {result['load_s_median']} s of "
            f"{result['repeat']} runs {result['load_s_runs']}, peak RSS "
            f"{result['peak_rss_mb']} MB (+ workers {result['worker_peak_rss_mb']} MB)"
        )
        print(
            f"reference yaml.load only: median {result['reference_yaml_s_median']} s, peak RSS "
            f"{result['reference_peak_rss_mb']} MB"
        )
        print(f"ratio pickgraph / reference: {result['ratio_to_reference']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
