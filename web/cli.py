"""The ``pickgraph`` command: every layer's commands under one entry point.

Domain errors become ``path:line:column: message`` lines (or one ``pickgraph: error:``
line) and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys

from pickgraph.engine import cli as engine_cli
from pickgraph.engine.core import Engine
from pickgraph.graph import cli as graph_cli
from pickgraph.graph.errors import ContentError, PickgraphError

from .cache import StateCache
from .freeze import freeze
from .report import build_report, report_csv
from .serve import PickgraphServer
from .settings import LOCAL_HOSTS, WILDCARDS, Settings
from .state import SiteState
from .store import open_store

__all__ = ["build_parser", "main"]


def cmd_serve(args) -> int:
    options = {
        "bind": f"{args.host}:{args.port}",
        "workers": args.workers,
        # gevent: one greenlet per connection, so a client that sends its request
        # slowly holds a greenlet, not a worker (docs/operations.md, "Slow clients")
        "worker_class": args.worker_class,
        "worker_connections": 1000,
        "timeout": 30,
        "graceful_timeout": 10,
        "accesslog": "-" if args.access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "pickgraph",
        # one control socket per user home would collide between servers
        "control_socket_disable": True,
    }
    given = {
        "CONTENT": args.content,
        "SITE_URL": args.site_url,
        "ALLOWED_HOSTS": args.allowed_hosts,
    }
    settings = Settings.read(given, bound=args.host)
    if (
        settings.site_url is None
        and args.host in WILDCARDS
        and settings.allowed_hosts == LOCAL_HOSTS
    ):
        print(
            f"pickgraph: listening on {args.host or 'every address'} without --site-url or "
            "--allowed-hosts: only requests for localhost are answered",
            file=sys.stderr,
        )
    PickgraphServer(settings, options, watch=args.watch).run()
    return 0


def cmd_cache_fill(args) -> int:
    """Build the start-up cache entry a server would build for this content: what a
    deploy runs before restarting servers, and what a server starting on large
    uncached content runs in the background."""
    settings = Settings.read({"CONTENT": args.content})
    if settings.cache is None:
        raise PickgraphError("the start-up cache is turned off (PICKGRAPH_CACHE is empty)")
    state = SiteState.from_settings(settings)
    if not StateCache(settings.cache).holds(settings.content):
        # writing an entry is never fatal to a server; here it is the whole point
        raise PickgraphError(
            f"could not write the cache entry in {settings.cache} (the line above says why)"
        )
    if state.from_cache:
        print(f"content {state.version} is already in the cache at {settings.cache}")
    else:
        print(
            f"cached content {state.version} ({state.counts['topics']} topics, "
            f"{state.counts['comparisons']} comparisons) in {state.build_seconds:.1f} s "
            f"at {settings.cache}"
        )
    return 0


def cmd_freeze(args) -> int:
    result = freeze(args.out, args.content, args.site_url, force=args.force)
    print(f"wrote {result['files']} files to {result['out']}")
    return 0


def _feedback_settings(args) -> Settings:
    return Settings.read({"DATABASE_URL": getattr(args, "database", None)})


def cmd_feedback_report(args) -> int:
    settings = _feedback_settings(args)
    store = open_store(settings.database())
    engine = Engine(graph_cli.load_graph(args)) if not args.no_gaps else None
    report = build_report(store, engine, candidate=settings.interleave)
    if args.json:
        graph_cli.print_json(report)
    elif args.csv:
        sys.stdout.write(report_csv(report))
    else:
        print(
            f"{report['clicks']} clicks, {report['votes']} votes, "
            f"{report['search_misses']} searches without a good result; "
            f"{report['lists_shown']} suggestion lists shown"
        )
        for s in report["slots"]:
            ctr = "-" if s["click_through"] is None else f"{s['click_through']:.3f}"
            print(
                f"  slot {s['slot']}: {s['clicks']:>6} clicks  click-through {ctr}  "
                f"examination {s['examination']:.2f}"
            )
        for v in report["agreement"][:10]:
            print(f"  {v['comparison']}: {v['agree']} agree, {v['disagree']} disagree")
        for q in report["searches"][:10]:
            print(f"  searched, nothing good: {q['query']!r} x{q['count']}")
        i = report["interleaving"]
        if i["b_wins"] + i["a_wins"]:
            print(
                f"  interleaving ({i['candidate'] or 'candidate'}): wins {i['b_wins']} vs "
                f"{i['a_wins']}, win rate {i['win_rate']} [{i['low']}, {i['high']}]"
            )
    return 0


def cmd_feedback_prune(args) -> int:
    settings = _feedback_settings(args)
    gone = open_store(settings.database()).prune(settings.event_days)
    print(f"{gone} raw events older than {settings.event_days} days counted and removed")
    return 0


def cmd_db_upgrade(args) -> int:
    settings = _feedback_settings(args)
    open_store(settings.database())  # runs Alembic's upgrade to head
    print("feedback database schema is up to date")
    return 0


def _port(value: str) -> int:
    n = int(value)
    if not 0 < n < 65536:
        raise argparse.ArgumentTypeError("a port is 1-65535")
    return n


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve the site with gunicorn (reload content on SIGHUP)")
    graph_cli.add_content_option(p)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=_port, default=8000)
    p.add_argument("--workers", type=int, default=2)
    p.add_argument(
        "--site-url",
        help="public origin for canonical links and the sitemap (default: $PICKGRAPH_SITE_URL)",
    )
    p.add_argument(
        "--allowed-hosts",
        metavar="HOST,...",
        help="host names answered for; others get 400 (default: $PICKGRAPH_ALLOWED_HOSTS, "
        "else localhost and --host, or any host when --site-url is set)",
    )
    p.add_argument(
        "--worker-class",
        choices=("gevent", "sync"),
        default="gevent",
        help="gevent (default) survives slow clients; sync only behind a proxy that "
        "buffers whole requests",
    )
    p.add_argument("--watch", action="store_true", help="reload when content files change")
    p.add_argument("--access-log", action="store_true", help="log every request to stdout")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("cache", help="the start-up cache a server reads its state from")
    csub = p.add_subparsers(dest="cache_command", required=True, metavar="ACTION")
    r = csub.add_parser(
        "fill", help="load, check and index the content into the cache (as a cold start)"
    )
    graph_cli.add_content_option(r)
    r.set_defaults(func=cmd_cache_fill)

    p = sub.add_parser("freeze", help="write the whole site as static files for a CDN")
    graph_cli.add_content_option(p)
    p.add_argument("out", help="output folder")
    p.add_argument("--site-url", help="public origin for canonical links and the sitemap")
    p.add_argument(
        "--force",
        action="store_true",
        help="write into a folder that holds other files (same-named files are "
        "overwritten; nothing is deleted)",
    )
    p.set_defaults(func=cmd_freeze)


def register_feedback(sub) -> None:
    database = {
        "metavar": "URL",
        "help": "feedback database, an SQLAlchemy URL (default: $PICKGRAPH_DATABASE_URL, "
        "else SQLite in the instance folder)",
    }
    p = sub.add_parser("feedback", help="what readers clicked, voted and searched for")
    fsub = p.add_subparsers(dest="feedback_command", required=True, metavar="ACTION")
    r = fsub.add_parser("report", help="clicks, votes, search misses, interleaving, gaps")
    graph_cli.add_content_option(r)
    r.add_argument("--database", **database)
    fmt = r.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true")
    fmt.add_argument("--csv", action="store_true")
    r.add_argument("--no-gaps", action="store_true", help="skip the demand-ranked gaps")
    r.set_defaults(func=cmd_feedback_report)
    r = fsub.add_parser("prune", help="count raw events past EVENT_DAYS into daily totals")
    r.add_argument("--database", **database)
    r.set_defaults(func=cmd_feedback_prune)
    p = sub.add_parser("db", help="the feedback database's schema")
    dsub = p.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    r = dsub.add_parser("upgrade", help="create or migrate the schema (alembic upgrade head)")
    r.add_argument("--database", **database)
    r.set_defaults(func=cmd_db_upgrade)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pickgraph",
        description="Technology comparisons as a graph: validate content, suggest, serve.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graph_cli.register(sub)
    engine_cli.register(sub)
    register(sub)
    register_feedback(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.func(args) or 0
    except ContentError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"pickgraph: {exc.args[0].split(':')[0]}", file=sys.stderr)
        return 2
    except PickgraphError as exc:
        print(f"pickgraph: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader (head, less) stopped early: not an error, and nothing more to say
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        print(
            f"pickgraph: error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "),
            file=sys.stderr,
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug: say so in one line rather than a traceback
        print(f"pickgraph: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
