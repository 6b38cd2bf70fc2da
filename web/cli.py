"""The ``pickgraph`` command: every layer's commands under one entry point.

Domain errors become ``path:line:column: message`` lines (or one ``pickgraph: error:``
line) and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys

from pickgraph.engine import cli as engine_cli
from pickgraph.graph import cli as graph_cli
from pickgraph.graph.errors import ContentError, PickgraphError

from .freeze import freeze
from .serve import PickgraphServer
from .settings import LOCAL_HOSTS, WILDCARDS, Settings

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


def cmd_freeze(args) -> int:
    result = freeze(args.out, args.content, args.site_url, force=args.force)
    print(f"wrote {result['files']} files to {result['out']}")
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


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pickgraph",
        description="Technology comparisons as a graph: validate content, suggest, serve.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graph_cli.register(sub)
    engine_cli.register(sub)
    register(sub)
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
