"""What readers told us, for editors: `pickgraph feedback report` and /editor.

One report from the feedback database (and, for the demand-ranked gaps, the content):
event counts, click-through per slot and per suggestion, the examination estimate per
slot, agreement with each pick, searches that found nothing good, the interleaving
test's outcome, the newest comments on votes, and the missing comparisons ranked by
how often readers looked for them.
"""

from __future__ import annotations

import csv
import io
import math
from collections import Counter

from pickgraph.engine import feedback as learn
from pickgraph.engine.gaps import gap, gaps
from pickgraph.graph.model import canonical_slug

from .feedback import learned_clicks, lists_shown, vote_counts
from .store import Store

__all__ = ["CSV_COLUMNS", "build_report", "report_csv"]

# How many rows each table of the report keeps (the JSON's lists), at most.
MAX_ROWS = 500
# The newest vote comments the report shows.
MAX_COMMENTS = 100
# How many of the engine's gaps are re-ranked with demand.
GAP_POOL = 300


def build_report(store: Store, engine=None, candidate: str | None = None) -> dict:
    """The report as a dict (``--json`` prints it as is). ``engine`` (the content's
    Engine) adds the demand-ranked gaps; without it that list is empty."""
    counts = store.counts()
    shown_rows = store.impression_counts()
    clicks = store.grouped("click", ("page", "list", "target", "slot", "rank", "arm", "team"))
    shown_by_arm = lists_shown(shown_rows)
    exam = learn.examination(learned_clicks(store, sources=True), shown_by_arm)
    shown_lists = sum(shown_by_arm.values())
    per_slot: Counter = Counter()
    per_suggestion: Counter = Counter()
    for r in clicks:
        if r["list"] == "comparisons":
            per_slot[r["slot"]] += r["count"]
        per_suggestion[(r["page"], r["list"], r["target"])] += r["count"]
    slots = [
        {
            "slot": k + 1,
            "clicks": per_slot.get(k, 0),
            "click_through": _share(per_slot.get(k, 0), shown_lists),
            "examination": round(exam[k], 4),
        }
        for k in range(len(exam))
    ]
    shown_by_list: Counter = Counter()
    for (page, name, _arm), n in shown_rows.items():
        shown_by_list[(page, name)] += n
    suggestions = [
        {
            "page": page,
            "list": name,
            "to": target,
            "clicks": n,
            "shown": shown_by_list[(page, name)],
            "click_through": _share(n, shown_by_list[(page, name)]),
        }
        for (page, name, target), n in per_suggestion.most_common(MAX_ROWS)
    ]
    votes = sorted(
        (
            {
                "comparison": slug,
                "agree": a,
                "disagree": d,
                "votes": a + d,
                "share_agree": _share(a, a + d),
            }
            for slug, (a, d) in vote_counts(store).items()
        ),
        key=lambda v: (-v["votes"], v["comparison"]),
    )[:MAX_ROWS]
    searches = sorted(
        (
            {"query": r["query"], "count": r["count"]}
            for r in store.grouped("search-miss", ("query",))
        ),
        key=lambda s: (-s["count"], s["query"]),
    )[:MAX_ROWS]
    outcomes = store.interleaving()
    rate, low, high = learn.win_rate(outcomes.get("b", 0), outcomes.get("a", 0))
    return {
        "clicks": counts["click"],
        "votes": counts["vote"],
        "search_misses": counts["search-miss"],
        "lists_shown": sum(shown_rows.values()),
        "slots": slots,
        "suggestions": suggestions,
        "agreement": votes,
        "searches": searches,
        "interleaving": {
            "candidate": candidate,
            "b_wins": outcomes.get("b", 0),
            "a_wins": outcomes.get("a", 0),
            "ties": outcomes.get("", 0),
            "win_rate": None if math.isnan(rate) else round(rate, 4),
            "low": round(low, 4),
            "high": round(high, 4),
        },
        "comments": store.comments(MAX_COMMENTS),
        "gaps": demand_gaps(engine, searches) if engine is not None else [],
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def demand_gaps(engine, searches: list[dict], limit: int = 50) -> list[dict]:
    """The engine's missing comparisons re-ranked by demand: how often readers
    searched for the pair and found nothing (``search.miss`` records such a search as
    "a vs b"). Pairs readers asked for come first, by count, then the engine's order."""
    tg = engine.tg
    demand: Counter = Counter()
    for s in searches:
        parts = s["query"].split(" vs ")
        if len(parts) == 2 and all(p in tg.topics for p in parts) and parts[0] != parts[1]:
            slug = canonical_slug(*parts)
            if slug not in tg.comparisons:
                demand[slug] += s["count"]
    rows = gaps(engine, GAP_POOL)
    by_slug = {r["slug"]: r for r in rows}
    for slug in demand:
        if slug not in by_slug:  # asked for, though the graph ranks it low
            a, b = sorted(slug.split("-vs-"))
            by_slug[slug] = {
                "slug": slug,
                "topics": [a, b],
                "title": f"{tg.topics[a].name} vs {tg.topics[b].name}",
                **gap(engine, a, b),
            }
    engine_rank = {slug: i for i, slug in enumerate(by_slug)}
    ordered = sorted(by_slug.values(), key=lambda r: (-demand[r["slug"]], engine_rank[r["slug"]]))
    return [
        {**r, "demand": demand[r["slug"]], "engine_rank": engine_rank[r["slug"]] + 1}
        for r in ordered[:limit]
    ]


CSV_COLUMNS = ("section", "key", "detail", "count", "share")


def report_csv(report: dict) -> str:
    """The report as one long CSV table (a section per part), for a spreadsheet."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for kind in ("clicks", "votes", "search_misses", "lists_shown"):
        writer.writerow(("totals", kind, "", report[kind], ""))
    for s in report["slots"]:
        writer.writerow(("slot", s["slot"], s["examination"], s["clicks"], s["click_through"]))
    for s in report["suggestions"]:
        writer.writerow(
            ("suggestion", s["page"], f"{s['list']}:{s['to']}", s["clicks"], s["click_through"])
        )
    for v in report["agreement"]:
        writer.writerow(("agreement", v["comparison"], "", v["votes"], v["share_agree"]))
    for s in report["searches"]:
        writer.writerow(("search-miss", s["query"], "", s["count"], ""))
    for c in report["comments"]:
        writer.writerow(("comment", c["comparison"], c["comment"], 1, int(c["agree"])))
    i = report["interleaving"]
    writer.writerow(
        (
            "interleaving",
            i["candidate"] or "",
            f"[{i['low']}, {i['high']}]",
            i["b_wins"] + i["a_wins"],
            i["win_rate"],
        )
    )
    for row in report["gaps"]:
        writer.writerow(("gap", row["slug"], row["title"], row["demand"], ""))
    return out.getvalue()
