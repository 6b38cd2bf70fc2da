"""Command-line commands of the graph layer: validate, stats, export, import, render.

The ``pickgraph`` entry point (``web.cli``) registers these next to the engine's and
the site's commands. Commands raise domain errors; ``web.cli.main`` prints them as
``path:line:column: message`` and exits 2.
"""

from __future__ import annotations

import argparse
import json
import sys

from .errors import ContentError
from .export import export
from .importer import import_pages
from .loader import check, load
from .stats import stats
from .textpage import render_page

__all__ = ["add_content_option", "register", "load_graph", "print_json"]


def add_content_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--content",
        metavar="DIR",
        default=None,
        help="content folder (default: $PICKGRAPH_CONTENT, else the bundled content)",
    )


def print_json(data) -> None:
    json.dump(data, sys.stdout, indent=2, ensure_ascii=False, default=str)
    sys.stdout.write("\n")


def load_graph(args):
    return load(args.content)


def _drafts_note(drafts: list[str]) -> str:
    """', 2 drafts skipped' for a summary line, or nothing when there are none."""
    n = len(drafts)
    return f", {n} draft{'s' * (n != 1)} skipped" if n else ""


def cmd_validate(args) -> int:
    report = check(args.content)
    ok = report.ok(strict=args.strict)
    if args.json:
        print_json(
            {
                "ok": ok,
                "strict": args.strict,
                "files": report.files,
                "errors": len(report.errors),
                "warnings": len(report.warnings),
                "drafts": report.drafts,
                "problems": [p.to_dict() for p in report.problems],
            }
        )
    else:
        for p in report.problems:
            if args.strict and p.severity == "warning":
                print(str(p).replace(": warning: ", ": error: ", 1))
            else:
                print(p)
        errors = len(report.errors) + (len(report.warnings) if args.strict else 0)
        warnings = 0 if args.strict else len(report.warnings)
        print(
            f"{report.folder}: {report.files} files, {errors} error{'s' * (errors != 1)}, "
            f"{warnings} warning{'s' * (warnings != 1)}{_drafts_note(report.drafts)}",
            file=sys.stderr,
        )
    return 0 if ok else 2


def cmd_stats(args) -> int:
    report = check(args.content)
    if report.errors:
        raise ContentError(report.errors)
    s = stats(report.graph)
    if report.drafts:
        print(f"{report.folder}: {_drafts_note(report.drafts)[2:]}", file=sys.stderr)
    if args.json:
        print_json({**s, "drafts": len(report.drafts)})
    else:
        width = max(len(k) for k in s)
        for key, value in s.items():
            print(f"{key.replace('_', ' '):<{width}}  {value}")
    return 0


def cmd_export(args) -> int:
    written = export(load_graph(args), args.format, args.out)
    for path in written:
        print(path)
    return 0


def cmd_import(args) -> int:
    report = import_pages(args.pages, args.out, args.content, force=args.force)
    if args.json:
        print_json(report.to_dict())
        return 0 if report.ok else 2
    for page in report.pages:
        for line in page.lines():
            print(line)
    for path, why in report.kept:
        print(f"{path}: {why}")
    for problem in report.lint:
        print(problem)
    statuses = ("imported", "draft", "exists", "duplicate", "conflict", "skipped")
    counts = {s: sum(1 for p in report.pages if p.status == s) for s in statuses}
    errors = sum(1 for p in report.lint if p.severity == "error")
    warnings = len(report.lint) - errors
    print(
        f"{counts['imported'] + counts['draft']} of {len(report.pages)} pages imported "
        f"into {args.out} "
        f"({counts['draft']} as drafts, {counts['exists']} already there, "
        f"{counts['duplicate']} duplicate, {counts['conflict']} in conflict, "
        f"{counts['skipped']} unreadable); {len(report.kept)} existing files kept; "
        f"lint: {errors} errors, {warnings} warnings",
        file=sys.stderr,
    )
    return 0 if report.ok else 2


def cmd_render(args) -> int:
    sys.stdout.write(render_page(load_graph(args), args.slug))
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("import", help="import published plain-text comparison pages")
    p.add_argument("pages", nargs="+", metavar="PAGE", help="plain-text pages (.txt)")
    p.add_argument("--out", required=True, metavar="DIR", help="content folder to write into")
    p.add_argument(
        "--content",
        metavar="DIR",
        default=None,
        help="existing content to match topics against (never written to)",
    )
    p.add_argument(
        "--force",
        action="store_true",
        help="merge pages into files already in --out (default: leave them as they are)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_import)

    p = sub.add_parser("render", help="write a comparison in the plain-text page form")
    add_content_option(p)
    p.add_argument("slug", help="a comparison, a-vs-b in either order")
    p.add_argument("--format", choices=["text"], default="text")
    p.set_defaults(func=cmd_render)

    p = sub.add_parser("validate", help="check a content folder and report every problem")
    add_content_option(p)
    p.add_argument("--strict", action="store_true", help="treat lint warnings as errors")
    p.add_argument("--json", action="store_true", help="print a JSON report")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser("stats", help="counts and connectivity of the topic graph")
    add_content_option(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(func=cmd_stats)

    p = sub.add_parser("export", help="write the graph as GraphML, GEXF, JSON or CSV")
    add_content_option(p)
    p.add_argument("--format", required=True, choices=["graphml", "gexf", "json", "csv"])
    p.add_argument(
        "--out",
        required=True,
        metavar="PATH",
        help="output file (a folder for csv: one file per table)",
    )
    p.set_defaults(func=cmd_export)
