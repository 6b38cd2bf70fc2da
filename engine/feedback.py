"""Reader feedback turned into numbers: position bias, co-click scores, interleaving.

Pure functions over click records and impression counts (the web layer stores them):

- ``examination``: how likely a reader is to look at each slot of a suggestion list,
  relative to the first, estimated from randomised adjacent swaps (intervention
  harvesting: Joachims et al. 2017, Agarwal et al. 2019);
- ``co_click_scores`` and ``rerank``: per page, the click-through rate of each
  suggestion with that bias divided out, smoothed, and shown only past a minimum of
  evidence; a page's default list reordered by it;
- ``team_draft``, ``interleaving_outcome``, ``win_rate``, ``interleaving_report``:
  team-draft interleaving of the default ranker ("a") with a candidate ("b")
  (Radlinski, Kurup & Joachims 2008) and B's win rate with a Wilson interval;
- ``simulate_clicks``: readers who follow the examination hypothesis, for tests and
  benchmarks.

Each list a page shows is under one arm: ``"control"`` (the default ranking),
``"swap-K"`` (its ranks K and K+1 exchanged) or ``"interleave"``.
"""

from __future__ import annotations

import math
import random
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from pickgraph.graph.errors import BadRequest

__all__ = [
    "CONTROL",
    "FEEDBACK_WEIGHT",
    "INTERLEAVE",
    "MAX_RATIO",
    "MIN_CLICKS",
    "MIN_IMPRESSIONS",
    "MIN_SWAP_CLICKS",
    "SLOTS",
    "STRENGTH",
    "Click",
    "co_click_scores",
    "examination",
    "interleaving_outcome",
    "interleaving_report",
    "rerank",
    "simulate_clicks",
    "swap_arm",
    "team_draft",
    "win_rate",
]

CONTROL = "control"
INTERLEAVE = "interleave"
SLOTS = 6
# Fewer clicks than this in a cell of a swap comparison make its ratio mostly noise
# (a count of 10 has a relative standard error of about 30%).
MIN_SWAP_CLICKS = 10
# A lower slot is seldom looked at more than the one above it; a ratio past this is noise.
MAX_RATIO = 1.5
# Co-click scores exist only past this evidence: "nothing changes until enough
# evidence exists".
MIN_IMPRESSIONS = 200
MIN_CLICKS = 5
# Pseudo-impressions at the page's mean rate: a target's own rate outweighs the mean
# once the page has been shown more than this many times.
STRENGTH = 50.0
# Share of the co-click score in the blend with the default's rank. High, because a
# page that clears the thresholds has direct evidence of its readers; the default then
# breaks near-ties and places the items without a score.
FEEDBACK_WEIGHT = 0.9


@dataclass(frozen=True)
class Click:
    """One click on a suggestion list."""

    page: str  # e.g. "comparison/django-vs-flask"
    target: str  # the clicked slug
    slot: int  # 0-based slot where it was shown
    rank: int  # 0-based rank in the default ranking; -1 if not in it (interleave)
    arm: str  # "control" | "swap-K" | "interleave"
    team: str = ""  # interleave: "a" or "b", the ranker that contributed the item
    impression: str = ""  # the id of the list view, grouping the clicks of one view
    count: int = 1  # how many such clicks the record stands for (grouped storage)


def swap_arm(k: int) -> str:
    """The arm that exchanges the default's ranks ``k`` and ``k + 1``.

    >>> swap_arm(2)
    'swap-2'
    """
    return f"swap-{k}"


def _swap_pair(arm: str) -> int | None:
    """K of a "swap-K" arm, None for any other arm."""
    head, _, k = arm.partition("-")
    return int(k) if head == "swap" and k.isdigit() else None


def _default_prior(slots: int) -> list[float]:
    return [1.0 / (k + 1) for k in range(slots)]


def examination(
    clicks: Iterable[Click],
    impressions: Mapping[tuple[str, str], int],
    slots: int = SLOTS,
    prior: Sequence[float] | None = None,
    *,
    min_clicks: int = MIN_SWAP_CLICKS,
) -> list[float]:
    """Examination probability of each slot relative to the first (``p[0] == 1``).

    For each adjacent pair K, K+1, pages with both control and swap-K impressions
    (``n_c`` and ``n_s``) are pooled. An item of default rank ``d`` is clicked
    ``c_c`` times under control (at slot d) and ``c_s`` times under swap-K (at the
    other slot of the pair); its click rates are pooled with weights
    ``n_c n_s / (n_c + n_s)``::

        stayed(d) = sum_pages c_c n_s / (n_c + n_s)    # rate at its own slot
        moved(d)  = sum_pages c_s n_c / (n_c + n_s)    # rate at the other slot
        p[K+1] / p[K] = sqrt(moved(K) / stayed(K) * stayed(K+1) / moved(K+1))

    Relevance cancels within each direction (the same items at two slots); the
    geometric mean averages the two directions' errors, and an error in counting one
    arm's impressions scales them by reciprocal factors, which cancel. A direction
    counts only when both its pooled click counts reach ``min_clicks``; with one
    direction the ratio is that one's, with none the ``prior``'s (by default
    ``p[k] = 1 / (k + 1)``). Ratios are clipped to (0, MAX_RATIO] and chained:
    ``p[K+1] = p[K] * ratio``.

    >>> [round(p, 3) for p in examination([], {})]
    [1.0, 0.5, 0.333, 0.25, 0.2, 0.167]
    """
    if slots < 1:
        raise BadRequest(f"slots must be at least 1, not {slots}", "slots")
    prior = list(prior) if prior is not None else _default_prior(slots)
    if len(prior) < slots or any(not p > 0 for p in prior[:slots]):
        raise BadRequest(f"prior needs {slots} positive values", "prior")
    count: Counter[tuple[str, str, int]] = Counter()
    for c in clicks:
        if c.arm == CONTROL or _swap_pair(c.arm) is not None:
            count[c.page, c.arm, c.rank] += c.count
    least = max(min_clicks, 1)  # a zero count never makes a ratio
    exam = [1.0]
    for k in range(slots - 1):
        arm = swap_arm(k)
        pages = sorted(
            page
            for page, a in impressions
            if a == arm and impressions[page, a] > 0 and impressions.get((page, CONTROL), 0) > 0
        )
        logs = []
        for d in (k, k + 1):
            stayed = moved = 0.0
            n_stayed = n_moved = 0
            for page in pages:
                n_c, n_s = impressions[page, CONTROL], impressions[page, arm]
                c_c, c_s = count[page, CONTROL, d], count[page, arm, d]
                stayed += c_c * n_s / (n_c + n_s)
                moved += c_s * n_c / (n_c + n_s)
                n_stayed += c_c
                n_moved += c_s
            if n_stayed >= least and n_moved >= least:
                # item K moved down: moved/stayed; item K+1 moved up: stayed/moved
                logs.append(math.log(moved / stayed) * (1 if d == k else -1))
        ratio = math.exp(sum(logs) / len(logs)) if logs else prior[k + 1] / prior[k]
        exam.append(exam[-1] * min(ratio, MAX_RATIO))
    return exam


def co_click_scores(
    clicks: Iterable[Click],
    impressions: Mapping[tuple[str, str], int],
    exam: Sequence[float],
    *,
    min_impressions: int = MIN_IMPRESSIONS,
    min_clicks: int = MIN_CLICKS,
    prior_ctr: float | None = None,
    strength: float = STRENGTH,
) -> dict[str, dict[str, float]]:
    """Per page, per clicked target: its click-through rate with position bias divided
    out, smoothed.

    A page of ``N`` impressions (all arms) whose target's clicks were at slots
    ``s_i`` scores it ``(S + strength * m) / (N + strength)`` with ``S = sum_i
    1 / exam[s_i]``: the debiased rate ``S / N`` after ``strength`` pseudo-impressions
    at rate ``m``, by default the page's mean of ``S / N`` over all its clicked
    targets (``prior_ctr`` to set it). Pages under ``min_impressions``, targets under
    ``min_clicks`` clicks, and pages left with no target are absent. Clicks at a slot
    ``exam`` does not cover are left out.

    >>> clicks = [Click("p", "x", 0, 0, "control")] * 10 + [Click("p", "y", 1, 1, "control")] * 10
    >>> scores = co_click_scores(clicks, {("p", "control"): 400}, [1.0, 0.5])
    >>> round(scores["p"]["x"], 5), round(scores["p"]["y"], 5)  # S/N: 0.025, 0.05
    (0.02639, 0.04861)
    >>> co_click_scores(clicks, {("p", "control"): 150}, [1.0, 0.5])
    {}
    """
    if any(not e > 0 for e in exam):
        raise BadRequest("examination probabilities must be positive", "exam")
    if strength < 0:
        raise BadRequest(f"strength must not be negative, not {strength}", "strength")
    shown: Counter[str] = Counter()
    for (page, _), n in impressions.items():
        shown[page] += n
    weight: defaultdict[str, Counter[str]] = defaultdict(Counter)
    number: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for c in clicks:
        if 0 <= c.slot < len(exam):
            weight[c.page][c.target] += c.count / exam[c.slot]
            number[c.page][c.target] += c.count
    out: dict[str, dict[str, float]] = {}
    for page in sorted(weight):
        n = shown[page]
        if n < min_impressions or n <= 0:
            continue
        sums = weight[page]
        mean = prior_ctr if prior_ctr is not None else sum(sums.values()) / len(sums) / n
        scores = {
            t: (sums[t] + strength * mean) / (n + strength)
            for t in sorted(sums)
            if number[page][t] >= min_clicks
        }
        if scores:
            out[page] = scores
    return out


def rerank(
    default: Sequence[str], scores: Mapping[str, float], *, weight: float = FEEDBACK_WEIGHT
) -> list[str]:
    """The default ranking reordered by a page's co-click ``scores``.

    Each item scores ``(1 - weight) / (rank + 1) + weight * q``, where ``q`` is its
    co-click score over the highest among the list's items; an item with no score gets
    the mean ``q`` of those that have one (what smoothing tends to with no evidence),
    so such items keep their order among themselves. Ties keep the default order;
    with no scores the result is the default exactly.

    >>> rerank(["a", "b", "c"], {})
    ['a', 'b', 'c']
    >>> rerank(["a", "b", "c"], {"a": 0.01, "c": 0.04})
    ['c', 'b', 'a']
    """
    if not 0 <= weight <= 1:
        raise BadRequest(f"weight must be between 0 and 1, not {weight}", "weight")
    known = [scores[t] for t in default if t in scores]
    top = max(known, default=0.0)
    if top <= 0:
        return list(default)
    neutral = sum(known) / len(known) / top

    def blended(rank: int) -> float:
        q = scores[default[rank]] / top if default[rank] in scores else neutral
        return (1 - weight) / (rank + 1) + weight * q

    order = sorted(range(len(default)), key=lambda r: (-blended(r), r))
    return [default[r] for r in order]


def team_draft(
    a: Sequence[str], b: Sequence[str], n: int, seed: int | str
) -> tuple[list[str], list[str]]:
    """Team-draft interleaving of rankings ``a`` and ``b``: the list of at most ``n``
    distinct items and the team ("a" or "b") of each slot.

    In each round the team with fewer picks, or by a coin flip the first of two with
    as many, adds its best item not yet shown; a team with nothing left lets the
    other pick. The coins come from ``random.Random(seed)``, which seeds a str by its
    SHA-512, so a seed gives the same list in every process.

    >>> team_draft(["x", "y", "z"], ["x", "y", "z"], 2, seed="view-1") == team_draft(
    ...     ["x", "y", "z"], ["x", "y", "z"], 2, seed="view-1")
    True
    >>> team_draft(["x"], [], 3, seed=0)
    (['x'], ['a'])
    """
    if isinstance(seed, bool) or not isinstance(seed, int | str):
        raise BadRequest(f"seed must be an int or a str, not {seed!r}", "seed")
    if n < 0:
        raise BadRequest(f"n must not be negative, not {n}", "n")
    rng = random.Random(seed)
    rankings = {"a": list(a), "b": list(b)}
    position = {"a": 0, "b": 0}
    picks = {"a": 0, "b": 0}
    shown: list[str] = []
    teams: list[str] = []
    taken: set[str] = set()
    while len(shown) < n:
        for team, ranking in rankings.items():
            while position[team] < len(ranking) and ranking[position[team]] in taken:
                position[team] += 1
        left = [t for t in ("a", "b") if position[t] < len(rankings[t])]
        if not left:
            break
        if picks["a"] != picks["b"]:
            team = "a" if picks["a"] < picks["b"] else "b"
        else:
            team = "a" if rng.random() < 0.5 else "b"
        if team not in left:
            team = left[0]
        item = rankings[team][position[team]]
        shown.append(item)
        teams.append(team)
        taken.add(item)
        picks[team] += 1
    return shown, teams


def interleaving_outcome(teams: Sequence[str], clicked_slots: Iterable[int]) -> str | None:
    """The team with more clicked slots ("a" or "b"); None on a tie or no click. A slot
    clicked twice counts once; slots outside ``teams`` are ignored.

    >>> interleaving_outcome(["a", "b", "a"], [1, 1, 2, 0]), interleaving_outcome(["a", "b"], [])
    ('a', None)
    """
    count = Counter(teams[s] for s in set(clicked_slots) if 0 <= s < len(teams))
    if count["a"] == count["b"]:
        return None
    return "a" if count["a"] > count["b"] else "b"


def win_rate(b_wins: int, a_wins: int, confidence: float = 0.95) -> tuple[float, float, float]:
    """B's share of the decided comparisons and its Wilson score interval; with none
    decided, (nan, 0.0, 1.0).

    >>> tuple(round(x, 3) for x in win_rate(60, 40))
    (0.6, 0.502, 0.691)
    """
    if b_wins < 0 or a_wins < 0:
        raise BadRequest("win counts must not be negative", "wins")
    if not 0 < confidence < 1:
        raise BadRequest(f"confidence must be between 0 and 1, not {confidence}", "confidence")
    n = b_wins + a_wins
    if n == 0:
        return math.nan, 0.0, 1.0
    z = NormalDist().inv_cdf(0.5 + confidence / 2)
    share = b_wins / n
    centre = (share + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(share * (1 - share) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return share, max(0.0, centre - half), min(1.0, centre + half)


def interleaving_report(clicks: Iterable[Click], confidence: float = 0.95) -> dict:
    """Outcomes of the interleaved views that were clicked: their clicks grouped by
    ``impression`` (clicks with none are left out), each view won by the team with
    more clicked slots. Returns ``{"b_wins", "a_wins", "ties", "win_rate", "low",
    "high"}`` (``win_rate`` B's share, with its interval).

    >>> report = interleaving_report([Click("p", "x", 0, 0, "interleave", "b", "v1")])
    >>> report["b_wins"], report["a_wins"], report["ties"]
    (1, 0, 0)
    """
    views: defaultdict[str, dict[int, str]] = defaultdict(dict)
    for c in clicks:
        if c.arm == INTERLEAVE and c.impression and c.slot >= 0:
            views[c.impression][c.slot] = c.team
    outcomes: Counter[str | None] = Counter()
    for slots in views.values():
        teams = [slots.get(s, "") for s in range(max(slots) + 1)]
        outcomes[interleaving_outcome(teams, slots)] += 1
    share, low, high = win_rate(outcomes["b"], outcomes["a"], confidence)
    return {
        "b_wins": outcomes["b"],
        "a_wins": outcomes["a"],
        "ties": outcomes[None],
        "win_rate": share,
        "low": low,
        "high": high,
    }


def simulate_clicks(
    defaults: Mapping[str, Sequence[str]],
    relevance: Mapping[str, Mapping[str, float]],
    exam: Sequence[float],
    views: int,
    *,
    swap_share: float = 0.0,
    candidates: Mapping[str, Sequence[str]] | None = None,
    interleave_share: float = 0.0,
    seed: int = 0,
) -> tuple[list[Click], dict[tuple[str, str], int]]:
    """Clicks and impressions of ``views`` simulated views of each page's list.

    A view is interleaved with the page's ``candidates`` ranking with probability
    ``interleave_share`` (when it has one), under one swap-K arm with ``swap_share``
    shared evenly among them, and under control otherwise. Its reader examines slot
    ``k`` with probability ``exam[k]`` and clicks an examined item ``t`` with
    probability ``relevance[page][t]`` (0 if absent), each independently.

    >>> clicks, shown = simulate_clicks({"p": ["x", "y"]}, {"p": {"x": 1.0}}, [1.0, 0.5], 10)
    >>> len(clicks), shown
    (10, {('p', 'control'): 10})
    """
    if swap_share < 0 or interleave_share < 0 or swap_share + interleave_share > 1:
        raise BadRequest("swap_share and interleave_share must be shares summing to at most 1")
    rng = np.random.default_rng(seed)
    candidates = candidates or {}
    clicks: list[Click] = []
    shown: dict[tuple[str, str], int] = {}
    for page in sorted(defaults):
        default = list(defaults[page])[: len(exam)]
        rank = {t: r for r, t in enumerate(default)}
        rel = relevance.get(page, {})
        swaps = [swap_arm(k) for k in range(len(default) - 1)] if swap_share > 0 else []
        arms = [CONTROL, *swaps]
        shares = [1.0 - swap_share, *[swap_share / len(swaps)] * len(swaps)] if swaps else [1.0]
        if page in candidates and interleave_share > 0:
            arms.append(INTERLEAVE)
            shares = [shares[0] - interleave_share, *shares[1:], interleave_share]
        arm_of = rng.choice(len(arms), size=views, p=shares)
        for i, arm in enumerate(arms):
            ids = np.flatnonzero(arm_of == i)
            if len(ids) == 0:
                continue
            shown[page, arm] = len(ids)
            if arm == INTERLEAVE:
                for view in ids:
                    impression = f"{page}#{view}"
                    items, teams = team_draft(default, candidates[page], len(exam), impression)
                    p = np.array([exam[s] * rel.get(t, 0.0) for s, t in enumerate(items)])
                    for s in np.flatnonzero(rng.random(len(items)) < p):
                        t = items[s]
                        clicks.append(
                            Click(page, t, int(s), rank.get(t, -1), arm, teams[s], impression)
                        )
                continue
            items = list(default)
            k = _swap_pair(arm)
            if k is not None:
                items[k], items[k + 1] = items[k + 1], items[k]
            p = np.array([exam[s] * rel.get(t, 0.0) for s, t in enumerate(items)])
            rows, slots = np.nonzero(rng.random((len(ids), len(items))) < p)
            for view, s in zip(ids[rows], slots, strict=True):
                t = items[s]
                clicks.append(Click(page, t, int(s), rank[t], arm, "", f"{page}#{view}"))
    return clicks, shown
