"""Pool candidates for reader judgments (TREC-style), and merge judged worksheets.

    python eval/pool.py pool --set dev --comparisons 10 --topics 6 --stacks STACKS --out W.yaml
    python eval/pool.py merge W.yaml [W2.yaml ...] --judge "who" [--into eval/judgments.yaml]

``pool`` picks query pages at random (seeded, spread over domains), skipping queries
already in the judgments file, and for each takes the top POOL_DEPTH suggestions of
every pooling method (and the lists those methods would show), so that whatever a
method shows has been judged. For queries already judged it emits only candidates not
yet judged. The worksheet shows each page as its reader sees it and the candidates in
a shuffled order, with no method, score, rank or reason: judges cannot tell which
method proposed what. ``merge`` checks a filled worksheet and appends it to the
judgments file.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pickgraph import graph  # noqa: E402
from pickgraph.engine.judgments import load_judgments  # noqa: E402
from pickgraph.engine.methods import METHODS  # noqa: E402
from pickgraph.engine.suggest import Recommender  # noqa: E402
from pickgraph.graph.textpage import first_sentence  # noqa: E402

JUDGMENTS = ROOT / "eval" / "judgments.yaml"
POOL_DEPTH = 10
RULE = (
    "Would the reader of this page plausibly click it next because it bears on the "
    "decision they are making or the obvious next one? 2 yes, 1 marginal, 0 no."
)


# Pooled to depth POOL_DEPTH (besides every method's shown list): the default and
# the strongest of each family of baselines.
DEEP = ("learned", "ppr-aa", "ppr", "adamic-adar+tags", "same-tag", "shared-endpoint")


def pool_methods() -> list[str]:
    """Every method that ranks by content (random adds only noise to a pool)."""
    return [m for m in METHODS if m != "random"]


def _existing():
    return load_judgments(JUDGMENTS) if JUDGMENTS.exists() else None


def choose_queries(tg, kind: str, count: int, seed: int, taken: set[str]) -> list[str]:
    """``count`` slugs of ``kind`` pages, round-robin over domains in a seeded order."""
    rng = np.random.default_rng(seed)
    by_domain: dict[str, list[str]] = {}
    items = tg.comparisons if kind == "comparison" else tg.topics
    for slug in items:
        topic = tg.topics[tg.comparisons[slug].a.topic] if kind == "comparison" else tg.topics[slug]
        by_domain.setdefault(topic.domain or "", []).append(slug)
    for slugs in by_domain.values():
        rng.shuffle(slugs)
    domains = sorted(by_domain)
    rng.shuffle(domains)
    out: list[str] = []
    while len(out) < count and any(by_domain.values()):
        for d in domains:
            while by_domain[d] and by_domain[d][-1] in taken:
                by_domain[d].pop()
            if by_domain[d] and len(out) < count:
                out.append(by_domain[d].pop())
    return out


def candidates(rec: Recommender, page: str, seeds: list[str]) -> dict[str, list[str]]:
    """The union over pooling methods of their top POOL_DEPTH and their shown lists."""
    comps: list[str] = []
    topics: list[str] = []
    e = rec.engine
    for name in pool_methods():
        # the top POOL_DEPTH as ranked (no diversity, no floor), and the shown list
        for deep in (True, False) if name in DEEP else (False,):
            limit, diverse, floor = (POOL_DEPTH, False, False) if deep else (6, True, True)
            if page == "comparison":
                s = rec.for_comparison(seeds[0], limit, name, diverse, floor)
            elif page == "topic":
                s = rec.for_topic(seeds[0], limit, name, diverse, floor)
            else:
                s = rec.for_topics(seeds, limit, name, diverse, floor)
            comps += [c.slug for c in s.comparisons]
            topics += [t.slug for t in s.topics]
        if page == "topic" and name in DEEP:  # related topics, compared ones included
            ids = [e.topic_id[seeds[0]]]
            scores = METHODS[name].topic_scores(e, ids).astype(float).copy()
            scores[ids] = -np.inf
            order = np.lexsort((np.arange(len(scores)), -scores))[:POOL_DEPTH]
            topics += [e.topic_slugs[i] for i in order]
    return {"comparisons": list(dict.fromkeys(comps)), "topics": list(dict.fromkeys(topics))}


def _describe_comparison(tg, slug: str) -> str:
    c = tg.comparisons[slug]
    a, b = sorted((c.a.topic, c.b.topic))
    return f"{tg.topics[a].name} vs {tg.topics[b].name}. {c.bottom_line}"


def _describe_topic(tg, slug: str) -> str:
    t = tg.topics[slug]
    return f"{t.name} ({t.kind}). {first_sentence(t.summary)}"


def context(tg, page: str, seeds: list[str]) -> str:
    if page == "comparison":
        c = tg.comparisons[seeds[0]]
        lines = [f"Comparison page: {_describe_comparison(tg, seeds[0])}"]
        for side in (c.a, c.b):
            lines.append(f"- {_describe_topic(tg, side.topic)}")
        return "\n".join(lines)
    if page == "topic":
        lines = [f"Topic page: {_describe_topic(tg, seeds[0])}"]
        own = [_describe_comparison(tg, c.slug).split(". ")[0] for c in tg.comparisons_of(seeds[0])]
        lines.append("Its page already lists its comparisons: " + "; ".join(own))
        return "\n".join(lines)
    lines = ["A reader's stack (what they already use), asking what to compare next:"]
    lines += [f"- {_describe_topic(tg, s)}" for s in seeds]
    return "\n".join(lines)


def cmd_pool(args) -> int:
    tg = graph.load(args.content)
    rec = Recommender(tg)
    existing = _existing()
    judged = {q.id: q for q in existing.queries} if existing else {}
    taken = {q.seeds[0] for q in judged.values() if q.page != "stack"}
    queries: list[tuple[str, str, list[str]]] = []
    for slug in choose_queries(tg, "comparison", args.comparisons, args.seed, taken):
        queries.append((slug, "comparison", [slug]))
    for slug in choose_queries(tg, "topic", args.topics, args.seed + 1, taken):
        queries.append((slug, "topic", [slug]))
    for stack in args.stacks.split(";") if args.stacks else []:
        topics = [t.strip() for t in stack.split(",") if t.strip()]
        queries.append(("stack-" + "-".join(topics), "stack", topics))
    if args.rejudge:
        queries += [(q.id, q.page, list(q.seeds)) for q in judged.values() if q.set == args.set]
    rng = np.random.default_rng(args.seed + 2)
    sheet = []
    for qid, page, seeds in queries:
        if qid in judged and judged[qid].set != args.set:
            continue
        cand = candidates(rec, page, seeds)
        old = judged.get(qid)
        entry = {"id": qid, "set": args.set, "page": page}
        entry.update({"topics": seeds} if page == "stack" else {"slug": seeds[0]})
        entry["context"] = context(tg, page, seeds)
        for list_name, describe in (
            ("comparisons", _describe_comparison),
            ("topics", _describe_topic),
        ):
            slugs = [s for s in cand[list_name] if not (old and s in old.grades[list_name])]
            rng.shuffle(slugs)
            key = "comparisons" if list_name == "comparisons" else "related_topics"
            entry[key] = [
                {"slug": s, "what": describe(tg, s), "grade": None, "note": None} for s in slugs
            ]
        if entry["comparisons"] or entry["related_topics"]:
            sheet.append(entry)
    Path(args.out).write_text(
        "# Grade each candidate 2 / 1 / 0 and give a one-line note. Rule:\n# "
        + RULE
        + "\n"
        + yaml.safe_dump(sheet, sort_keys=False, allow_unicode=True, width=100)
    )
    n = sum(len(e["comparisons"]) + len(e["related_topics"]) for e in sheet)
    print(f"{len(sheet)} queries, {n} candidates to judge -> {args.out}")
    return 0


def cmd_merge(args) -> int:
    existing = _existing()
    doc = yaml.safe_load(JUDGMENTS.read_text()) if existing else {"rule": RULE, "queries": []}
    by_id = {q["id"]: q for q in doc["queries"]}
    added = 0
    for sheet_path in args.sheets:
        for entry in yaml.safe_load(Path(sheet_path).read_text()):
            q = by_id.get(entry["id"])
            if q is None:
                q = {"id": entry["id"], "set": entry["set"], "page": entry["page"]}
                if "topics" in entry:
                    q["topics"] = entry["topics"]
                else:
                    q["slug"] = entry["slug"]
                q.update(judge=args.judge, date=args.date, comparisons=[], related_topics=[])
                doc["queries"].append(q)
                by_id[entry["id"]] = q
            elif args.judge not in q["judge"]:
                q["judge"] = f"{q['judge']}; {args.judge}"
            for key in ("comparisons", "related_topics"):
                for item in entry.get(key) or []:
                    if item.get("grade") not in (0, 1, 2) or not item.get("note"):
                        where = f"{sheet_path}: {entry['id']}: {item['slug']}"
                        raise SystemExit(f"{where} is not graded")
                    q[key].append([item["slug"], item["grade"], str(item["note"]).strip()])
                    added += 1
    text = _dump(doc)
    out = Path(args.into)
    out.write_text(text)
    load_judgments(out)  # refuse to leave a file the evaluation cannot read
    print(f"merged {added} judgments into {out}")
    return 0


def _dump(doc: dict) -> str:
    """One line per judgment, so a diff shows exactly what changed."""
    lines = [
        "# Reader judgments of pooled suggestions. Format and protocol: docs/evaluation.md",
        f"rule: {yaml.safe_dump(doc['rule'], width=10_000).strip().removesuffix('...').strip()}",
        "queries:",
    ]
    for q in doc["queries"]:
        lines.append(f"  - id: {q['id']}")
        for key in ("set", "page", "slug", "topics", "judge", "date"):
            if key in q:
                value = yaml.safe_dump(q[key], default_flow_style=True, width=10_000).strip()
                lines.append(f"    {key}: {value.removesuffix('...').strip()}")
        for key in ("comparisons", "related_topics"):
            lines.append(f"    {key}:" + ("" if q[key] else " []"))
            for item in q[key]:
                flow = yaml.safe_dump(list(item), default_flow_style=True, width=10_000).strip()
                lines.append(f"      - {flow}")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("pool", help="write a worksheet of pooled candidates")
    p.add_argument("--content", default=None)
    p.add_argument("--set", choices=("dev", "test"), required=True)
    p.add_argument("--comparisons", type=int, default=0)
    p.add_argument("--topics", type=int, default=0)
    p.add_argument("--stacks", default="", help="stacks as a,b,c;d,e")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--rejudge", action="store_true", help="add unjudged candidates of judged queries"
    )
    p.add_argument("--out", required=True)
    p.set_defaults(func=cmd_pool)
    p = sub.add_parser("merge", help="append filled worksheets to the judgments file")
    p.add_argument("sheets", nargs="+")
    p.add_argument("--judge", required=True)
    p.add_argument("--date", default=dt.date.today().isoformat())
    p.add_argument("--into", default=str(JUDGMENTS))
    p.set_defaults(func=cmd_merge)
    args = parser.parse_args()
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
