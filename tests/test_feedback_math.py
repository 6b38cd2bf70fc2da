"""Reader feedback's arithmetic (engine/feedback.py) on known answers: simulated readers
with a set examination curve and set relevance, where the default order is not the
true one; counts worked out by hand; interleaving with readers who prefer a ranker or
none."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest
from scipy.stats import kendalltau

from pickgraph.engine.feedback import (
    Click,
    co_click_scores,
    examination,
    interleaving_outcome,
    interleaving_report,
    rerank,
    simulate_clicks,
    team_draft,
    win_rate,
)

TRUE_EXAM = [1.0, 0.7, 0.5, 0.35, 0.25, 0.2]
# relevance of the items in their true order (an item's click probability once seen)
TRUE_RELEVANCE = [0.6, 0.45, 0.33, 0.24, 0.17, 0.12]
PRIOR = [1.0 / (k + 1) for k in range(6)]


def tau(ranking: list[str], reference: list[str]) -> float:
    """Kendall's tau between a ranking and a reference order of the same items."""
    place = {item: i for i, item in enumerate(reference)}
    return float(kendalltau([place[item] for item in ranking], range(len(ranking)))[0])


@pytest.fixture(scope="module")
def world():
    """50 pages of 6 suggestions each, every default list a shuffle of the true order
    (never the true order itself); 3000 views a page, 40% under a swap arm."""
    rng = np.random.default_rng(20240611)
    defaults, relevance, truth = {}, {}, {}
    for i in range(50):
        page = f"comparison/page-{i}"
        items = [f"p{i}-t{j}" for j in range(6)]
        order = rng.permutation(6)
        while (order == np.arange(6)).all():
            order = rng.permutation(6)
        defaults[page] = [items[j] for j in order]
        relevance[page] = dict(zip(items, TRUE_RELEVANCE, strict=True))
        truth[page] = items
    clicks, impressions = simulate_clicks(
        defaults, relevance, TRUE_EXAM, 3000, swap_share=0.4, seed=7
    )
    return defaults, truth, clicks, impressions


# ------------------------------------------------------------------ position bias
def test_examination_recovers_the_simulated_curve(world):
    _, _, clicks, impressions = world
    estimate = examination(clicks, impressions)
    assert estimate[0] == 1.0
    assert estimate == pytest.approx(TRUE_EXAM, abs=0.05)
    # and it is not the prior it falls back to
    assert abs(estimate[1] - PRIOR[1]) > 0.15


def test_debiased_co_clicks_recover_the_true_order(world):
    defaults, truth, clicks, impressions = world
    scores = co_click_scores(clicks, impressions, examination(clicks, impressions))
    assert set(scores) == set(defaults)
    # on average over pages the scores are the relevance itself, up to a little smoothing
    mean = np.mean([[scores[page][t] for t in items] for page, items in truth.items()], axis=0)
    assert mean == pytest.approx(TRUE_RELEVANCE, rel=0.05)
    reranked = {page: rerank(defaults[page], scores[page]) for page in defaults}
    default_tau = np.mean([tau(defaults[p], truth[p]) for p in defaults])
    reranked_tau = np.mean([tau(reranked[p], truth[p]) for p in defaults])
    exact = sum(reranked[p] == truth[p] for p in defaults)
    assert default_tau < 0.3
    assert reranked_tau > 0.9
    assert exact >= 40, f"only {exact} of 50 pages in the true order"


def test_without_the_correction_the_order_leans_to_the_default(world):
    """The known answer tells the two apart: raw click rates (examination all ones)
    keep much of the default's order, debiased ones do not."""
    defaults, truth, clicks, impressions = world
    debiased = co_click_scores(clicks, impressions, examination(clicks, impressions))
    raw = co_click_scores(clicks, impressions, [1.0] * 6)
    fixed = {p: rerank(defaults[p], debiased[p]) for p in defaults}
    biased = {p: rerank(defaults[p], raw[p]) for p in defaults}
    to_truth = {
        name: np.mean([tau(r[p], truth[p]) for p in defaults])
        for name, r in (("fixed", fixed), ("biased", biased))
    }
    to_default = {
        name: np.mean([tau(r[p], defaults[p]) for p in defaults])
        for name, r in (("fixed", fixed), ("biased", biased))
    }
    assert to_truth["fixed"] - to_truth["biased"] > 0.3
    assert to_default["biased"] - to_default["fixed"] > 0.3
    assert sum(biased[p] == truth[p] for p in defaults) <= 5


def test_examination_by_hand():
    """Two pages, unequal arms; each item's click rate is 0.8 times as high one slot
    lower, so p[1] / p[0] = 0.8 exactly."""
    impressions = {
        ("p", "control"): 3000,
        ("p", "swap-0"): 1000,
        ("q", "control"): 500,
        ("q", "swap-0"): 500,
    }
    clicks = (
        [Click("p", "x", 0, 0, "control")] * 60  # rate 0.02 at slot 0
        + [Click("p", "x", 1, 0, "swap-0")] * 16  # rate 0.016 at slot 1
        + [Click("p", "y", 1, 1, "control")] * 24  # rate 0.008 at slot 1
        + [Click("p", "y", 0, 1, "swap-0")] * 10  # rate 0.01 at slot 0
        + [Click("q", "u", 0, 0, "control")] * 50
        + [Click("q", "u", 1, 0, "swap-0")] * 40
        + [Click("q", "v", 1, 1, "control")] * 40
        + [Click("q", "v", 0, 1, "swap-0")] * 50
    )
    estimate = examination(clicks, impressions)
    assert estimate[1] == pytest.approx(0.8)
    # pairs with no swap data keep the prior's ratios
    ratios = [b / a for a, b in zip(estimate[1:], estimate[2:], strict=False)]
    assert ratios == pytest.approx([b / a for a, b in zip(PRIOR[1:], PRIOR[2:], strict=False)])


def test_examination_by_hand_from_one_direction():
    """Item y has too few clicks to count: x alone, its rate per impression (not per
    click) 0.02 at slot 0 and 0.012 at slot 1, gives p[1] = 0.6."""
    impressions = {("p", "control"): 3000, ("p", "swap-0"): 1000}
    clicks = (
        [Click("p", "x", 0, 0, "control")] * 60
        + [Click("p", "x", 1, 0, "swap-0")] * 12
        + [Click("p", "y", 1, 1, "control")] * 9
        + [Click("p", "y", 0, 1, "swap-0")] * 30
    )
    assert examination(clicks, impressions)[1] == pytest.approx(0.6)


def test_examination_clips_and_falls_back():
    impressions = {("p", "control"): 1000, ("p", "swap-0"): 1000}
    upside_down = (
        [Click("p", "x", 0, 0, "control")] * 20
        + [Click("p", "x", 1, 0, "swap-0")] * 100
        + [Click("p", "y", 1, 1, "control")] * 100
        + [Click("p", "y", 0, 1, "swap-0")] * 20
    )
    assert examination(upside_down, impressions)[1] == 1.5
    # 9 clicks a cell are too few: the prior's ratio
    few = [c for c in upside_down if c.target == "x"][:9] + [Click("p", "x", 1, 0, "swap-0")] * 9
    assert examination(few, impressions) == pytest.approx(PRIOR)


@pytest.mark.parametrize(
    "impressions",
    [{}, {("p", "control"): 0, ("p", "swap-0"): 0}, {("p", "control"): 5, ("p", "swap-3"): 0}],
)
def test_examination_without_data_is_the_prior(impressions):
    clicks = [Click("p", "x", 1, 0, "swap-0"), Click("p", "y", 4, 4, "control")]
    for given in ([], clicks):
        estimate = examination(given, impressions)
        assert estimate == pytest.approx(PRIOR)
        assert not any(math.isnan(p) for p in estimate)
    assert examination([], {}, slots=3, prior=[1.0, 0.9, 0.45]) == pytest.approx([1.0, 0.9, 0.45])


# ------------------------------------------------------------------ thresholds
def test_no_scores_below_the_thresholds():
    impressions = {("few", "control"): 150, ("enough", "control"): 150, ("enough", "swap-0"): 60}
    clicks = (
        [Click("few", "x", 0, 0, "control")] * 40
        + [Click("enough", "x", 0, 0, "control")] * 5
        + [Click("enough", "y", 1, 1, "control")] * 4
    )
    scores = co_click_scores(clicks, impressions, TRUE_EXAM)
    assert "few" not in scores  # 150 impressions < 200
    assert set(scores["enough"]) == {"x"}  # y has 4 clicks < 5
    assert co_click_scores(clicks, impressions, TRUE_EXAM, min_clicks=41) == {}
    default = ["x", "y", "z"]
    assert rerank(default, scores.get("few", {})) == default
    assert rerank(default, {}) == default


def test_nothing_changes_until_enough_evidence(world):
    defaults, _, _, _ = world
    relevance = {p: {t: 0.9 for t in items} for p, items in defaults.items()}
    clicks, impressions = simulate_clicks(
        defaults, relevance, TRUE_EXAM, 190, swap_share=0.4, seed=3
    )
    scores = co_click_scores(clicks, impressions, examination(clicks, impressions))
    assert scores == {}
    assert all(rerank(defaults[p], scores.get(p, {})) == defaults[p] for p in defaults)


def test_co_click_scores_by_hand():
    impressions = {("p", "control"): 300, ("p", "swap-0"): 100}
    clicks = [Click("p", "x", 0, 0, "control")] * 10 + [Click("p", "y", 1, 1, "control")] * 10
    exam = [1.0, 0.5]
    # debiased sums 10 and 20 over 400 impressions; mean rate (0.025 + 0.05) / 2
    assert co_click_scores(clicks, impressions, exam, strength=0.0) == {
        "p": {"x": 0.025, "y": 0.05}
    }
    smoothed = co_click_scores(clicks, impressions, exam)["p"]
    assert smoothed["x"] == pytest.approx((10 + 50 * 0.0375) / 450)
    assert smoothed["y"] == pytest.approx((20 + 50 * 0.0375) / 450)
    toward_zero = co_click_scores(clicks, impressions, exam, prior_ctr=0.0)["p"]
    assert toward_zero["x"] == pytest.approx(10 / 450)


def test_a_grouped_click_counts_as_its_copies(world):
    """The store keeps clicks grouped: one record of ``count`` n weighs as n records."""
    _, _, clicks, impressions = world
    grouped = Counter(replace(c, impression="") for c in clicks)
    records = [replace(c, count=n) for c, n in grouped.items()]
    assert len(records) < len(clicks) / 50
    exam = examination(clicks, impressions)
    assert examination(records, impressions) == pytest.approx(exam)
    by_record = co_click_scores(records, impressions, exam)
    by_click = co_click_scores(clicks, impressions, exam)
    assert by_record.keys() == by_click.keys()
    assert all(by_record[p] == pytest.approx(by_click[p]) for p in by_click)


def test_rerank_keeps_unscored_items_in_their_order():
    default = ["a", "b", "c", "d", "e"]
    out = rerank(default, {"e": 0.3, "b": 0.05})
    assert out[0] == "e"
    assert [x for x in out if x in "acd"] == ["a", "c", "d"]
    assert rerank(default, {"e": 0.3}, weight=0.0) == default


# ------------------------------------------------------------------ interleaving
def test_team_draft_is_deterministic():
    a, b = ["x1", "x2", "x3", "s", "x4"], ["s", "y1", "x1", "y2", "y3"]
    for seed in (42, "abc123:client"):
        assert team_draft(a, b, 6, seed) == team_draft(a, b, 6, seed)
    # a str seed gives the same draft in another process, whatever its hash seed
    code = "from pickgraph.engine.feedback import team_draft; print(team_draft(['x1', 'x2', 'x3', 's', 'x4'], ['s', 'y1', 'x1', 'y2', 'y3'], 6, 'abc123:client'))"
    env = {**os.environ, "PYTHONHASHSEED": "12345"}
    other = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    )
    assert other.stdout.strip() == str(team_draft(a, b, 6, "abc123:client"))
    # the coin does flip: both teams lead under some seed
    assert {team_draft(a, b, 6, s)[1][0] for s in range(20)} == {"a", "b"}


@pytest.mark.parametrize("seed", range(30))
def test_team_draft_is_a_fair_merge(seed):
    a, b = ["x1", "x2", "s", "x3", "t", "x4"], ["t", "y1", "s", "x1", "y2", "y3"]
    items, teams = team_draft(a, b, 6, seed)
    assert len(items) == len(set(items)) == len(teams) == 6
    assert set(teams) <= {"a", "b"}
    for team, ranking in (("a", a), ("b", b)):
        own = [item for item, t in zip(items, teams, strict=True) if t == team]
        assert own == sorted(own, key=ranking.index)  # in its own ranker's order
    disjoint = team_draft(["a1", "a2", "a3", "a4"], ["b1", "b2", "b3", "b4"], 5, seed)
    counts = [disjoint[1].count("a"), disjoint[1].count("b")]
    assert abs(counts[0] - counts[1]) <= 1 and sum(counts) == 5
    assert team_draft(["a1"], ["b1", "a1"], 6, seed)[0] in (["a1", "b1"], ["b1", "a1"])


def test_interleaving_outcome():
    teams = ["a", "b", "a", "b"]
    assert interleaving_outcome(teams, [0, 2, 1]) == "a"
    assert interleaving_outcome(teams, [1, 3, 3, 3, 0]) == "b"
    assert interleaving_outcome(teams, [0, 1]) is None
    assert interleaving_outcome(teams, []) is None
    assert interleaving_outcome(teams, [9]) is None


def interleaved_readers(relevance_a: float, relevance_b: float, same_lists: bool, seed: int):
    pages = {f"topic/t{i}": [f"a{i}-{j}" for j in range(6)] for i in range(20)}
    if same_lists:
        candidates = dict(pages)
        relevance = {p: dict.fromkeys(items, relevance_a) for p, items in pages.items()}
    else:
        candidates = {p: [t.replace("a", "b", 1) for t in items] for p, items in pages.items()}
        relevance = {
            p: {**dict.fromkeys(pages[p], relevance_a), **dict.fromkeys(candidates[p], relevance_b)}
            for p in pages
        }
    clicks, _ = simulate_clicks(
        pages, relevance, TRUE_EXAM, 100, candidates=candidates, interleave_share=1.0, seed=seed
    )
    return interleaving_report(clicks)


def test_readers_who_prefer_b_make_b_win():
    report = interleaved_readers(0.1, 0.3, same_lists=False, seed=1)
    assert report["b_wins"] > report["a_wins"]
    assert report["low"] > 0.5
    assert report["win_rate"] == report["b_wins"] / (report["b_wins"] + report["a_wins"])


@pytest.mark.parametrize("same_lists", [True, False])
def test_indifferent_readers_give_no_winner(same_lists):
    report = interleaved_readers(0.2, 0.2, same_lists=same_lists, seed=2)
    assert report["b_wins"] + report["a_wins"] > 300
    assert report["low"] < 0.5 < report["high"]


def test_interleaving_report_groups_by_view():
    clicks = [
        Click("p", "x", 0, 0, "interleave", "a", "v1"),
        Click("p", "y", 1, -1, "interleave", "b", "v1"),  # v1: a tie
        Click("p", "y", 1, -1, "interleave", "b", "v2"),
        Click("p", "y", 1, -1, "interleave", "b", "v2"),  # the same slot twice
        Click("p", "x", 0, 0, "interleave", "a", "v3"),
        Click("p", "z", 2, 2, "interleave", "b", "v3"),
        Click("p", "w", 3, -1, "interleave", "b", "v3"),  # v3: b
        Click("p", "x", 0, 0, "control", "", "v4"),  # not interleaved
        Click("p", "x", 0, 0, "interleave", "a", ""),  # no view to group by
    ]
    report = interleaving_report(clicks)
    assert (report["b_wins"], report["a_wins"], report["ties"]) == (2, 0, 1)
    assert report["win_rate"] == 1.0


def test_win_rate_interval():
    share, low, high = win_rate(60, 40)
    assert share == 0.6
    assert (low, high) == pytest.approx((0.5020, 0.6906), abs=5e-4)
    share, low, high = win_rate(40, 60)
    assert (low, high) == pytest.approx((1 - 0.6906, 1 - 0.5020), abs=5e-4)
    assert win_rate(5, 5, confidence=0.99)[1] < win_rate(5, 5)[1]
    assert win_rate(0, 3)[1] == 0.0
    share, low, high = win_rate(0, 0)
    assert math.isnan(share) and (low, high) == (0.0, 1.0)
