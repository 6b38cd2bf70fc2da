"""Reader judgments (engine/judgments.py) and the judged evaluation (engine/judged.py).

Issue 12: the figure a reader feels is the share of shown suggestions worth a click,
judged as the reader of each page, on queries no fitting or tuning has seen.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from pickgraph.engine.judged import _dcg, _summary, _unit, evaluate_judged
from pickgraph.engine.judgments import QueryJudgments, load_judgments
from pickgraph.graph.errors import ContentError

JUDGMENTS = Path(__file__).resolve().parent.parent / "eval" / "judgments.yaml"


def query(grades: dict[str, int], topics: dict[str, int] | None = None) -> QueryJudgments:
    return QueryJudgments(
        "q", "test", "comparison", ("a-vs-b",), "me", dt.date(2026, 11, 28),
        {"comparisons": grades, "topics": topics or {}}, {"comparisons": {}, "topics": {}},
    )  # fmt: skip


def test_metrics_by_hand():
    q = query({"x": 2, "y": 1, "z": 0, "w": 2})
    u = _unit(q, "comparisons", ["x", "y", "unjudged"], ["x", "y", "unjudged"])
    s = _summary([u])
    assert s["precision"] == pytest.approx(
        1 / 3, abs=1e-4
    )  # only the 2 counts; unjudged counts as not
    assert s["precision_lenient"] == pytest.approx(2 / 3, abs=1e-4)
    assert s["judged_share"] == pytest.approx(2 / 3, abs=1e-4)
    ideal = _dcg([2, 2, 1, 0])
    assert u["ndcg@6"] == pytest.approx(_dcg([2, 1, 0]) / ideal)
    # pooled over lists: 1 of 3 plus 2 of 2 is 3 of 5, not the mean of 1/3 and 1
    v = _unit(q, "comparisons", ["x", "w"], ["x", "w"])
    assert _summary([u, v])["precision"] == pytest.approx(3 / 5, abs=1e-4)
    assert _summary([u, v])["precision_per_list"] == pytest.approx((1 / 3 + 1) / 2, abs=1e-4)


def test_judgments_file_is_big_enough_and_split(bundled):
    j = load_judgments(JUDGMENTS)
    test, dev = j.of_set("test"), j.of_set("dev")
    assert len(test) >= 40 and j.count >= 600
    assert {q.page for q in test} == {"comparison", "topic", "stack"}
    assert not {q.id for q in test} & {q.id for q in dev}
    domains = {bundled.topics[bundled.comparison(q.seeds[0]).a.topic].domain
               for q in test if q.page == "comparison"}  # fmt: skip
    assert len(domains) >= 15  # spread over the site's sections


def test_bad_judgments_are_reported_at_their_place(tmp_path):
    path = tmp_path / "j.yaml"
    path.write_text(
        "rule: r\nqueries:\n"
        "  - id: q1\n    set: test\n    page: topic\n    slug: kafka\n    judge: me\n"
        "    date: 2026-11-28\n    comparisons:\n      - [a-vs-b, 3, 'too high']\n"
    )
    with pytest.raises(ContentError) as info:
        load_judgments(path)
    assert str(info.value.problems[0]).startswith(f"{path}:10:")
    assert "queries[0].comparisons[0][1]" in str(info.value.problems[0])


@pytest.fixture(scope="module")
def judged(bundled):
    return evaluate_judged(bundled, load_judgments(JUDGMENTS), sets=("test",), bootstrap=1000)


def test_default_on_the_held_out_judgments(judged):
    """The figures of docs/evaluation.md, guarded: the default shows what readers want
    far more often than the earlier default, ranks better than every method, and
    every suggestion it shows has been judged."""
    d = judged["methods"]["learned"]
    old = judged["methods"]["ppr-aa"]
    assert judged["queries"] >= 40 and d["judged_share"] >= 0.95
    assert d["precision"] >= 0.65 and d["precision"] >= old["precision"] + 0.15
    assert d["precision_lenient"] >= 0.9
    for page in ("comparison", "topic"):
        assert 3 <= d["by_page"][page]["shown"] <= 6, page
    assert d["empty_lists"] == 0
    for name, m in judged["methods"].items():
        if name != "learned":
            assert d["ndcg@6"] > m["ndcg@6"], name
            assert judged["intervals"][name]["ndcg@6"][0] > 0, name
