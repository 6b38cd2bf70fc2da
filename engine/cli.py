"""Command-line commands of the engine: suggest, gaps, rank, evaluate, index build."""

from __future__ import annotations

import argparse
import textwrap
from pathlib import Path

from pickgraph.graph.cli import add_content_option, load_graph, print_json
from pickgraph.graph.errors import BadRequest

from .evaluate import PROTOCOLS, evaluate
from .gaps import gaps
from .index import PUSH_FROM, build_index, check_index_folder
from .methods import METHODS
from .rank import RANK_METHODS, rankings
from .suggest import DEFAULT_LIMIT, MAX_LIMIT, Recommender

__all__ = ["register"]


def _print_suggestions(s) -> None:
    q = s.query
    what = q.get("slug") or ", ".join(q["topics"])
    print(f"You might also compare ({q['type']} {what}, method {s.method}):")
    for i, c in enumerate(s.comparisons, 1):
        print(f"{i:>3}. {c.title}  [{c.slug}]  score {c.score:.4f}")
        for e in c.evidence:
            print(f"       - {e.text}  ({e.kind})")
    if s.notes.get("comparisons"):
        print(f"     {s.notes['comparisons']}")
    if s.topics:
        print("Related topics:")
        for i, t in enumerate(s.topics, 1):
            print(f"{i:>3}. {t.title}  [{t.slug}]  score {t.score:.4f}  ({'; '.join(t.reasons)})")
    if s.notes.get("topics"):
        print(f"     {s.notes['topics']}")


def cmd_suggest(args) -> int:
    if bool(args.slug) == bool(args.topics):
        raise BadRequest("give either a SLUG or --topics a,b,c", "slug")
    rec = Recommender(load_graph(args))
    diverse = not args.no_diversity
    if args.topics:
        topics = [t.strip() for t in args.topics.split(",") if t.strip()]
        s = rec.for_topics(topics, args.limit, args.method, diverse)
    else:
        kind, slug, _ = rec.tg.resolve("page", args.slug)
        if kind == "comparison":
            s = rec.for_comparison(slug, args.limit, args.method, diverse)
        else:
            s = rec.for_topic(slug, args.limit, args.method, diverse)
    if args.json:
        print_json(s.to_dict())
    else:
        _print_suggestions(s)
    return 0


def cmd_gaps(args) -> int:
    rows = gaps(load_graph(args), args.limit, args.tag)
    if args.json:
        print_json({"tag": args.tag, "gaps": rows})
    else:
        for i, r in enumerate(rows, 1):
            print(f"{i:>3}. {r['title']}  [{r['slug']}]  score {r['score']:.4f}")
            print(textwrap.indent("; ".join(r["reasons"]), "       "))
    return 0


def cmd_rank(args) -> int:
    rows = rankings(load_graph(args), args.tag, args.method)
    if args.json:
        print_json({"tag": args.tag, "method": args.method, "rankings": rows})
    else:
        print(
            f"{'rank':>4}  {'topic':<28} {'wins':>4} {'loss':>4} {'none':>4}  "
            f"{'pagerank':>9} {'strength':>9}"
        )
        for r in rows:
            print(
                f"{r['rank']:>4}  {r['name']:<28} {r['wins']:>4} {r['losses']:>4} "
                f"{r['no_pick']:>4}  {r['pagerank']:>9.4f} {r['strength']:>9.3f}"
            )
    return 0


def cmd_evaluate(args) -> int:
    tg = load_graph(args)
    if args.judgments:
        # imported here: the judgment models are not needed by any other command (a
        # server's start goes through this module)
        from .judged import evaluate_judged
        from .judgments import load_judgments

        sets = ("dev", "test") if args.set == "all" else (args.set,)
        result = evaluate_judged(tg, load_judgments(args.judgments), args.method, sets)
        if args.json:
            print_json(result)
        else:
            _print_judged(result)
        return 0
    result = evaluate(
        tg,
        args.method,
        args.splits,
        args.holdout,
        args.k,
        args.seed,
        args.protocol,
        scheduler=args.scheduler,
    )
    if args.json:
        print_json(result)
        return 0
    _print_link_prediction(result)
    return 0


def cmd_index_build(args) -> int:
    if args.out:
        check_index_folder(Path(args.out))  # before the build, not after it
    index = build_index(load_graph(args), scheduler=args.scheduler, walk=args.walk)
    if args.out:
        index.save(args.out)
    if args.json:
        print_json({**index.header(), "stats": index.stats, "out": args.out})
        return 0
    st = index.stats
    where = st["tasks"] if st["tasks"] == "serial" else f"{st['tasks']}, {st['workers']} workers"
    print(
        f"indexed {st['pages']} pages in {st['total_s']} s ({where}; topic rows "
        f"{st['vectors_s']} s, {'exact' if st['exact'] else st['walk']})"
    )
    if args.out:
        print(f"written to {args.out}")
    return 0


def _scheduler_option(p: argparse.ArgumentParser, default_help: str) -> None:
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        default=None,
        help='where the tasks run: "local" (a dask LocalCluster on this machine), "serial" '
        f"(this process), or a dask scheduler's address such as tcp://host:8786 (default: "
        f"$PICKGRAPH_SCHEDULER, else {default_help})",
    )


def _print_judged(result: dict) -> None:
    print(
        f"reader judgments ({', '.join(result['sets'])}): {result['queries']} query pages, "
        f"{result['judgments']} judgments; precision = share of shown items judged 2"
    )
    head = f"{'method':<26} {'prec':>6} {'nDCG@6':>7} {'judged':>7} {'shown':>6}"
    print(head + "  " + "  ".join(f"{p + ' prec':>15}" for p in ("comparison", "topic", "stack")))
    rows = sorted(result["methods"].items(), key=lambda kv: -kv[1]["ndcg@6"])
    for name, m in rows:
        mark = " (default)" if name == result["default"] else ""
        pages = "  ".join(f"{m['by_page'][p]['precision']:>15.3f}" for p in m["by_page"])
        print(
            f"{name + mark:<26} {m['precision']:>6.3f} {m['ndcg@6']:>7.3f} "
            f"{m['judged_share']:>7.2f} {m['shown']:>6.2f}  {pages}"
        )
    print("\ndefault minus method, paired bootstrap 95% intervals over query pages:")
    for name, iv in result["intervals"].items():
        print(
            f"{name:<26} nDCG@6 [{iv['ndcg@6'][0]:+.3f}, {iv['ndcg@6'][1]:+.3f}]  "
            f"precision [{iv['precision'][0]:+.3f}, {iv['precision'][1]:+.3f}]"
        )


def _print_link_prediction(result: dict) -> None:
    print(
        f"protocol {result['protocol']}: {result['splits']} splits, "
        f"{int(result['holdout'] * 100)}% held out, {result['queries']} queries"
        + (
            f" (+{result['cold_queries']} cold, reported apart)"
            if result["protocol"] == "v2"
            else ""
        )
        + f", coverage of top {result['k']}"
    )
    print(
        f"{'method':<26} {'hits@5':>7} {'hits@10':>8} {'mrr':>7} {'ndcg@10':>8} {'coverage':>9}"
        f"  {'MRR diff, 95% interval':>24}"
    )
    rows = sorted(result["methods"].items(), key=lambda kv: -kv[1]["mrr"])
    for name, m in rows:
        mark = " (default)" if name == result["default"] else ""
        iv = result["intervals"].get(name)
        ci = f"[{iv['mrr'][0]:+.3f}, {iv['mrr'][1]:+.3f}]" if iv else ""
        print(
            f"{name + mark:<26} {m['hits@5']:>7.3f} {m['hits@10']:>8.3f} {m['mrr']:>7.3f} "
            f"{m['ndcg@10']:>8.3f} {m['coverage']:>9.3f}  {ci:>24}"
        )
    if result["protocol"] == "v2":
        print("\ncold queries (query or target keeps no comparison in training), hits@10 / mrr:")
        for name, _ in rows:
            c = result["cold"][name]
            print(f"{name:<26} {c['hits@10']:>7.3f} / {c['mrr']:.3f}")


def _limit(value: str) -> int:
    try:
        n = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {value!r}") from None
    if not 1 <= n <= MAX_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_LIMIT}")
    return n


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("suggest", help="what to compare next, with reasons")
    add_content_option(p)
    p.add_argument("slug", nargs="?", help="a comparison (a-vs-b, either order) or a topic")
    p.add_argument("--topics", help="a reader's stack: 1-10 comma-separated topics")
    p.add_argument(
        "--method",
        choices=list(METHODS),
        default=None,
        help="scoring method (default: the engine's default)",
    )
    p.add_argument("--limit", type=_limit, default=DEFAULT_LIMIT, help=f"1-{MAX_LIMIT}")
    p.add_argument(
        "--no-diversity", action="store_true", help="allow one topic in more than half of the list"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_suggest)

    p = sub.add_parser("gaps", help="missing comparisons worth writing, ranked")
    add_content_option(p)
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--tag", help="only pairs of topics carrying this tag")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_gaps)

    p = sub.add_parser("rank", help="rank topics from the picks (per tag or overall)")
    add_content_option(p)
    p.add_argument("--tag")
    p.add_argument("--method", choices=RANK_METHODS, default="pagerank")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_rank)

    p = sub.add_parser("evaluate", help="offline evaluation: link prediction, or reader judgments")
    add_content_option(p)
    p.add_argument(
        "--protocol",
        choices=PROTOCOLS,
        default="v2",
        help="link-prediction protocol (v2: related links hidden too, cold queries apart, "
        "expected-rank ties, paired intervals; v1: the earlier one)",
    )
    p.add_argument("--splits", type=int, default=None, help="hold-out splits (v2: 30, v1: 5)")
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--k", type=int, default=10, help="list length for coverage")
    p.add_argument("--seed", type=int, default=0, help="first split seed")
    p.add_argument(
        "--judgments",
        metavar="PATH",
        help="score what each method shows against reader judgments (eval/judgments.yaml)",
    )
    p.add_argument(
        "--set",
        choices=("test", "dev", "all"),
        default="test",
        help="judged queries to use (default: test; dev is what the page model was fitted on)",
    )
    p.add_argument(
        "--method",
        nargs="+",
        action="extend",
        choices=list(METHODS),
        default=None,
        help="methods to evaluate, repeatable (default: all)",
    )
    _scheduler_option(p, "this process")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("index", help="the precomputed suggestions of every page")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = actions.add_parser("build", help="build the index (on dask: a LocalCluster or a scheduler)")
    add_content_option(p)
    _scheduler_option(p, "a LocalCluster for builds of 5,000 pages or more")
    p.add_argument(
        "--walk",
        choices=("auto", "push", "power"),
        default="auto",
        help="past 4,096 topics, each topic's best entries by full power iterations or "
        f"by local push (bounded error); auto (default): the push from {PUSH_FROM:,} topics",
    )
    p.add_argument("--out", metavar="DIR", help="write the index there (.npy arrays, header.json)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_index_build)
