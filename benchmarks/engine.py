"""Benchmark: suggestion queries and the precomputed index at scale.

For each size, in a fresh process (so peak memory is its own), on a synthetic graph
from ``synthetic.py``:

- precompute: ``build_index`` over every comparison and topic page (on a dask
  LocalCluster of one worker process per core, or as $PICKGRAPH_SCHEDULER says);
- ad-hoc query: ``Recommender.for_topics`` for 1-3 random topics (PageRank on the
  cached matrix, Adamic-Adar, ranking comparisons and topics, reasons), median of
  ``--queries`` runs;
- reference, in the same process: networkx ``pagerank(G, personalization=...)`` on
  the same weighted topic-and-tag graph (the edges the engine walks, as a
  networkx.Graph), median of ``--reference-queries`` runs, interleaved with the
  engine's queries so that both see the same machine load.

    python benchmarks/engine.py            # 10k/100k and 100k/1M
    python benchmarks/engine.py --quick    # 10k/100k only, under a minute
    python benchmarks/engine.py --json
"""

from __future__ import annotations

import argparse
import json
import sys

from synthetic import run_child

SIZES = {"small": (10_000, 100_000), "large": (100_000, 1_000_000)}

_CHILD = r"""
import json, random, resource, statistics, sys, time
sys.path.insert(0, {here!r}); sys.path.insert(0, {root!r})
import networkx as nx
import scipy.sparse as sp
from synthetic import Spec, generate_graph
from pickgraph.engine.suggest import Recommender
from pickgraph.engine.index import build_index
from pickgraph.engine.ppr import PPR



# Peak memory of this process's child processes (the build's dask workers): the
# kernel's high-water mark of each one's RSS (VmHWM), as last read before it exits,
# and the largest USS (the pages that process alone holds) of samples taken every
# 0.2 s. The kernel's ru_maxrss of children cannot serve: a worker is spawned by fork
# then exec, and between the two the child maps all of this process's memory, which
# ru_maxrss records as the child's peak (it gave 4.8 GB "per worker" at 100k topics).
# VmHWM starts again at the exec, so the last reading is the worker's own peak.
class WorkerMemory:

    def __init__(self):
        import psutil
        import threading

        self.psutil, self.hwm, self.uss = psutil, {{}}, {{}}
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._watch, daemon=True)
        self.thread.start()

    def _watch(self):
        me = self.psutil.Process()
        while not self.done.wait(0.2):
            for child in me.children(recursive=True):
                try:
                    with open(f"/proc/{{child.pid}}/status") as f:
                        hwm = next(int(x.split()[1]) for x in f if x.startswith("VmHWM:"))
                    uss = child.memory_full_info().uss
                except (OSError, StopIteration, self.psutil.Error):
                    continue
                self.hwm[child.pid] = hwm * 1024
                self.uss[child.pid] = max(self.uss.get(child.pid, 0), uss)

    def stop(self) -> dict:
        self.done.set()
        self.thread.join()
        big = [pid for pid, hwm in self.hwm.items() if hwm > 50 * 2**20]  # not helpers
        return {{
            "worker_processes": len(big),
            "worker_peak_rss_mb": round(max((self.hwm[p] for p in big), default=0) / 2**20, 1),
            "worker_peak_uss_mb": round(max((self.uss[p] for p in big), default=0) / 2**20, 1),
        }}


topics, comparisons, queries, ref_queries, do_index = {args}
spec = Spec(topics, comparisons, max(topics // 10, 10))
t0 = time.perf_counter()
tg = generate_graph(spec)
generate_s = time.perf_counter() - t0
t0 = time.perf_counter()
rec = Recommender(tg)
rec.for_topics([next(iter(tg.topics))], limit=6)  # builds the cached matrices
setup_s = time.perf_counter() - t0
rng = random.Random(1)
slugs = list(tg.topics)
for _ in range(20):  # warm-up
    rec.for_topics(rng.sample(slugs, rng.randint(1, 3)), limit=6)
result = {{"topics": topics, "comparisons": comparisons, "generate_s": round(generate_s, 2),
           "setup_s": round(setup_s, 3)}}
if do_index:
    watch = WorkerMemory()
    t = time.perf_counter()
    index = build_index(rec.engine)
    result["precompute_s"] = round(time.perf_counter() - t, 2)
    result.update(watch.stop())
    result["pages"] = index.stats["pages"]
    result["index_exact"] = index.stats["exact"]
    result["index_walk"] = index.stats.get("walk")
    result["index_tasks"] = index.stats.get("tasks", "fork")
    result["index_workers"] = index.stats.get("workers")
    del index
# the engine's own peak, before the reference builds its networkx graph
result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
# The reference runs on the same weighted topic-and-tag graph the engine walks.
# Queries alternate: one reference query, then a share of the engine's, so that both
# medians are taken under the same load on a shared machine.
ppr = PPR.of(rec.engine)
g = nx.from_scipy_sparse_array((ppr.transition @ sp.diags(ppr.degree)).tocsr())
times, ref = [], []
per_round = max(1, queries // ref_queries)
for _ in range(ref_queries):
    seeds = [rec.engine.topic_id[s] for s in rng.sample(slugs, rng.randint(1, 3))]
    t = time.perf_counter()
    nx.pagerank(g, alpha=0.75, personalization={{s: 1.0 for s in seeds}}, weight="weight")
    ref.append((time.perf_counter() - t) * 1000)
    for _ in range(per_round):
        seeds = rng.sample(slugs, rng.randint(1, 3))
        t = time.perf_counter()
        rec.for_topics(seeds, limit=6)
        times.append((time.perf_counter() - t) * 1000)
result["query_ms_median"] = round(statistics.median(times), 3)
result["query_ms_p90"] = round(sorted(times)[int(0.9 * len(times)) - 1], 3)
result["queries"] = len(times)
result["networkx_ms_median"] = round(statistics.median(ref), 2)
result["reference_queries"] = ref_queries
result["speedup"] = round(result["networkx_ms_median"] / result["query_ms_median"], 1)
print(json.dumps(result))
"""


def run(topics: int, comparisons: int, queries: int, ref_queries: int, index: bool) -> dict:
    return run_child(_CHILD, (topics, comparisons, queries, ref_queries, index))


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--quick", action="store_true", help="only 10k topics / 100k comparisons")
    p.add_argument("--queries", type=int, default=210)
    p.add_argument("--reference-queries", type=int, default=7)
    p.add_argument("--no-index", action="store_true", help="skip the precompute")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    sizes = ["small"] if args.quick else ["small", "large"]
    results = []
    for name in sizes:
        topics, comparisons = SIZES[name]
        ref = args.reference_queries if name == "small" else max(3, args.reference_queries // 2)
        results.append(run(topics, comparisons, args.queries, ref, not args.no_index))
    if len(results) == 2 and "precompute_s" in results[0]:
        a, b = results
        results[1]["growth_vs_small"] = {
            "query": round(b["query_ms_median"] / a["query_ms_median"], 1),
            "precompute": round(b["precompute_s"] / a["precompute_s"], 1),
            "peak_rss": round(b["peak_rss_mb"] / a["peak_rss_mb"], 1),
        }
    if args.json:
        print(json.dumps(results if len(results) > 1 else results[0], indent=2))
        return 0
    for r in results:
        print(
            f"{r['topics']} topics / {r['comparisons']} comparisons "
            f"(generated in {r['generate_s']} s, matrices in {r['setup_s']} s)"
        )
        print(
            f"  ad-hoc query: median {r['query_ms_median']} ms, p90 {r['query_ms_p90']} ms "
            f"over {r['queries']} queries"
        )
        print(
            f"  networkx pagerank(personalization): median {r['networkx_ms_median']} ms "
            f"over {r['reference_queries']} queries -> speedup {r['speedup']}x"
        )
        if "precompute_s" in r:
            print(
                f"  precompute {r['pages']} pages: {r['precompute_s']} s "
                f"(exact: {r['index_exact']}, rows by {r['index_walk']}, tasks: "
                f"{r['index_tasks']}, {r['index_workers']} workers)"
            )
        print(f"  peak RSS {r['peak_rss_mb']} MB, before the networkx reference graph is built")
        if "worker_peak_rss_mb" in r:
            print(
                f"  each index worker at its peak: RSS {r['worker_peak_rss_mb']} MB "
                f"(the kernel's high-water mark), USS {r['worker_peak_uss_mb']} MB (sampled)"
            )
        if "growth_vs_small" in r:
            print(f"  growth vs 10k/100k: {r['growth_vs_small']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
