"""Command-line commands of the engine: suggest, gaps, rank, evaluate."""

from __future__ import annotations

import argparse
import textwrap

from graph.cli import add_content_option, load_graph, print_json
from graph.errors import BadRequest

from .methods import METHODS
from .rank import RANK_METHODS
from .suggest import DEFAULT_LIMIT, MAX_LIMIT

__all__ = ["register"]


def _print_suggestions(s) -> None:
    q = s.query
    what = q.get("slug") or ", ".join(q["topics"])
    print(f"You might also compare ({q['type']} {what}, method {s.method}):")
    for i, c in enumerate(s.comparisons, 1):
        print(f"{i:>3}. {c.title}  [{c.slug}]  score {c.score:.4f}")
        for r in c.reasons:
            print(f"       - {r}")
    if s.topics:
        print("Related topics:")
        for i, t in enumerate(s.topics, 1):
            print(f"{i:>3}. {t.title}  [{t.slug}]  score {t.score:.4f}  ({'; '.join(t.reasons)})")


def cmd_suggest(args) -> int:
    from .suggest import Recommender

    if bool(args.slug) == bool(args.topics):
        raise BadRequest("give either a SLUG or --topics a,b,c", "slug")
    rec = Recommender(load_graph(args))
    diverse = not args.no_diversity
    if args.topics:
        topics = [t.strip() for t in args.topics.split(",") if t.strip()]
        s = rec.for_topics(topics, args.limit, args.method, diverse)
    else:
        kind, slug = rec.resolve(args.slug)
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
    from .gaps import gaps

    rows = gaps(load_graph(args), args.limit, args.tag)
    if args.json:
        print_json({"tag": args.tag, "gaps": rows})
    else:
        for i, r in enumerate(rows, 1):
            print(f"{i:>3}. {r['title']}  [{r['slug']}]  score {r['score']:.4f}")
            print(textwrap.indent("; ".join(r["reasons"]), "       "))
    return 0


def cmd_rank(args) -> int:
    from .rank import rankings

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
    from .evaluate import evaluate

    result = evaluate(load_graph(args), args.method, args.splits, args.holdout, args.k, args.seed)
    if args.json:
        print_json(result)
        return 0
    print(
        f"{result['splits']} splits, {int(result['holdout'] * 100)}% held out, "
        f"{result['queries_per_split']} queries per split, coverage of top {result['k']}"
    )
    print(f"{'method':<26} {'hits@5':>7} {'hits@10':>8} {'mrr':>7} {'ndcg@10':>8} {'coverage':>9}")
    rows = sorted(result["methods"].items(), key=lambda kv: -kv[1]["mrr"])
    for name, m in rows:
        mark = " (default)" if name == result["default"] else ""
        print(
            f"{name + mark:<26} {m['hits@5']:>7.3f} {m['hits@10']:>8.3f} {m['mrr']:>7.3f} "
            f"{m['ndcg@10']:>8.3f} {m['coverage']:>9.3f}"
        )
    print("\nhits@10 / mrr by the query topic's number of comparisons in training:")
    buckets = list(next(iter(result["by_degree"].values())))
    print(
        f"{'method':<26} "
        + " ".join(
            f"{b + ' (' + str(result['by_degree'][rows[0][0]][b]['queries']) + ')':>16}"
            for b in buckets
        )
    )
    for name, _ in rows:
        cells = result["by_degree"][name]
        print(
            f"{name:<26} "
            + " ".join(f"{cells[b]['hits@10']:>7.3f} / {cells[b]['mrr']:.3f}" for b in buckets)
        )
    return 0


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

    p = sub.add_parser("evaluate", help="offline evaluation of every method")
    add_content_option(p)
    p.add_argument("--splits", type=int, default=5)
    p.add_argument("--holdout", type=float, default=0.1)
    p.add_argument("--k", type=int, default=10, help="list length for coverage")
    p.add_argument("--seed", type=int, default=0, help="first split seed")
    p.add_argument(
        "--method",
        nargs="+",
        action="extend",
        choices=list(METHODS),
        default=None,
        help="methods to evaluate, repeatable (default: all)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_evaluate)
