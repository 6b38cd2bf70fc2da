"""Benchmark: import 200 plain-text comparison pages (parse, write, lint).

The pages are the bundled content's comparisons rendered to the published text form.
The reference, in the same run, is parsing the same pages without writing or linting.
Medians of ``--repeat`` runs.

    python benchmarks/import_pages.py [--pages 200] [--repeat 5] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from pickgraph import graph  # noqa: E402
from pickgraph.graph.importer import import_pages  # noqa: E402
from pickgraph.graph.textpage import parse_page, render_page  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--pages", type=int, default=200)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    tg = graph.load()
    slugs = (list(tg.comparisons) * (args.pages // len(tg.comparisons) + 1))[: args.pages]
    with tempfile.TemporaryDirectory() as tmp:
        pages = []
        for i, slug in enumerate(slugs):
            path = Path(tmp) / "pages" / f"{i}.txt"
            path.parent.mkdir(exist_ok=True)
            path.write_text(render_page(tg, slug))
            pages.append(path)
        full, parse = [], []
        for r in range(args.repeat):
            start = time.perf_counter()
            report = import_pages(pages, Path(tmp) / f"out-{r}")
            full.append(time.perf_counter() - start)
            assert report.pages and all(
                pg.status in ("imported", "duplicate") for pg in report.pages
            )
            start = time.perf_counter()
            for path in pages:
                parse_page(path.read_text(), str(path))
            parse.append(time.perf_counter() - start)
    result = {
        "pages": args.pages,
        "repeat": args.repeat,
        "import_s_median": round(statistics.median(full), 3),
        "parse_only_s_median": round(statistics.median(parse), 3),
    }
    result["ratio_to_parse_only"] = round(
        result["import_s_median"] / result["parse_only_s_median"], 1
    )
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print(
            f"import {args.pages} pages (parse, write, lint): median "
            f"{result['import_s_median']} s; parsing alone {result['parse_only_s_median']} s "
            f"(x{result['ratio_to_parse_only']})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
