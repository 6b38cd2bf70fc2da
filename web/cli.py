"""The ``pickgraph`` command: every layer's commands under one entry point.

Domain errors become ``path:line:column: message`` lines (or one ``pickgraph: error:``
line) and exit code 2; no traceback reaches the user.
"""

from __future__ import annotations

import argparse
import os
import sys

from engine import cli as engine_cli
from graph import cli as graph_cli
from graph.errors import ContentError, PickgraphError

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="pickgraph",
        description="Technology comparisons as a graph: validate content, suggest, serve.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    graph_cli.register(sub)
    engine_cli.register(sub)
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
