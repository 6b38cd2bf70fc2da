"""The engine on tiny graphs whose answers are known by hand, and on the bundle."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
from tiny import tiny_graph

from pickgraph import graph
from pickgraph.engine.core import Engine
from pickgraph.engine.evaluate import evaluate, rank_stats, split
from pickgraph.engine.gaps import gaps
from pickgraph.engine.index import build_index
from pickgraph.engine.methods import DEFAULT_METHOD, METHODS, get_method
from pickgraph.engine.ppr import PPR, PPRParams
from pickgraph.engine.rank import rankings
from pickgraph.engine.suggest import Recommender
from pickgraph.graph.errors import BadRequest, NotFound

# a - b - c - d compared in a chain; e only shares tag t2 with d.
CHAIN = tiny_graph(
    {"a": ["t1"], "b": ["t1"], "c": ["t1"], "d": ["t2"], "e": ["t2"]},
    [("a", "b"), ("b", "c"), ("c", "d")],
)


def scores(name, tg, seeds):
    e = Engine(tg)
    return dict(
        zip(e.topic_slugs, get_method(name).topic_scores(e, e.seed_ids(seeds)), strict=True)
    )


def test_common_neighbour_family_by_hand():
    s = scores("common-neighbours", CHAIN, ["a"])
    assert (s["c"], s["d"], s["e"]) == (1.0, 0.0, 0.0)  # a and c share b
    s = scores("jaccard", CHAIN, ["a"])
    assert s["c"] == pytest.approx(1 / 2)  # N(a)={b}, N(c)={b,d}
    s = scores("adamic-adar", CHAIN, ["a"])
    assert s["c"] == pytest.approx(1 / math.log(2))  # b has degree 2
    s = scores("resource-allocation", CHAIN, ["a"])
    assert s["c"] == pytest.approx(1 / 2)
    # with tags, a and c also share t1; b (a, c, t1) and t1 (a, b, c) have degree 3
    s = scores("resource-allocation+tags", CHAIN, ["a"])
    assert s["c"] == pytest.approx(1 / 3 + 1 / 3)
    assert s["e"] == 0.0


def test_baselines_by_hand():
    assert scores("popularity", CHAIN, ["a"])["b"] == 2
    same = scores("same-tag", CHAIN, ["d"])
    assert same["e"] == 1 and same["a"] == 0
    shared = scores("shared-endpoint", CHAIN, ["a"])
    assert shared["c"] > shared["d"] and shared["c"] > shared["e"]
    r1 = scores("random", CHAIN, ["a"])
    assert r1 == scores("random", CHAIN, ["a"]) != scores("random", CHAIN, ["b"])


def test_ppr_matches_networkx_when_converged():
    tg = graph.load()
    e = Engine(tg)
    params = PPRParams(iterations=300)
    ppr = PPR(e, params)
    seed = e.topic_id["postgresql"]
    mine = ppr.vector([seed])
    g = nx.Graph()
    g.add_nodes_from(range(e.n_nodes))
    coo = (ppr.transition @ __import__("scipy").sparse.diags(ppr.degree)).tocoo()
    for i, j, w in zip(coo.row, coo.col, coo.data, strict=True):
        if i < j:
            g.add_edge(int(i), int(j), weight=float(w))
    ref = nx.pagerank(
        g,
        alpha=1 - params.restart,
        personalization={seed: 1.0},
        tol=1e-12,
        max_iter=1000,
        weight="weight",
    )
    assert np.allclose(mine, [ref[i] for i in range(e.n_nodes)], atol=1e-9)


def test_ppr_conserves_mass_and_is_symmetric_after_degree_scaling():
    e = Engine(graph.load())
    ppr = PPR(e, PPRParams(iterations=300))
    u, v = e.topic_id["kafka"], e.topic_id["scrum"]
    pu, pv = ppr.vector([u]), ppr.vector([v])
    assert pu.sum() == pytest.approx(1.0)
    # on an undirected graph pi_u(v) / d(v) == pi_v(u) / d(u)
    assert pu[v] / ppr.degree[v] == pytest.approx(pv[u] / ppr.degree[u], rel=1e-6)


def test_batch_and_single_queries_give_identical_numbers():
    e = Engine(graph.load())
    ppr = PPR.of(e)
    batch = ppr.vectors([[3], [7], [11]])
    for j, s in enumerate((3, 7, 11)):
        assert np.array_equal(batch[:, j], ppr.vectors([[s]])[:, 0])
        # the ad-hoc path starts sparse (and sums its first steps in float64): same
        # numbers up to float32 rounding
        assert np.allclose(batch[:, j], ppr.vector([s]), rtol=1e-5, atol=1e-10)


def test_every_method_shares_one_interface():
    e = Engine(CHAIN)
    for name, method in METHODS.items():
        out = method.topic_scores(e, [0, 1])
        assert out.shape == (e.n_topics,), name
        assert np.all(np.isfinite(out)), name
    with pytest.raises(BadRequest, match="unknown method 'nope'"):
        get_method("nope")


def test_rank_stats_count_better_and_tied_topics():
    s = np.array([0.5, 0.9, 0.5, 0.5])
    assert rank_stats(s, 1, np.array([], int)) == (0, 0)
    assert rank_stats(s, 2, np.array([], int)) == (1, 2)  # id 1 better, ids 0 and 3 tied
    assert rank_stats(s, 2, np.array([0])) == (1, 1)


def test_ties_count_at_their_expected_rank_never_by_slug():
    from pickgraph.engine.evaluate import _metrics_at

    # better 1, tied with 2 others: ranks 2, 3, 4 with equal chance
    hits5, hits10, rr, _ = _metrics_at(1, 2)
    assert (hits5, hits10) == (1.0, 1.0)
    assert rr == pytest.approx((1 / 2 + 1 / 3 + 1 / 4) / 3)
    assert _metrics_at(4, 3)[0] == pytest.approx(1 / 4)  # ranks 5-8: one in four is top 5


# ---------------------------------------------------------------- suggestions

STAR = tiny_graph(
    {
        "hub": ["x"],
        "p1": ["x"],
        "p2": ["x"],
        "p3": ["x"],
        "p4": ["x"],
        "p5": ["y"],
        "q1": ["y"],
        "q2": ["y"],
    },
    [
        ("hub", "p1"),
        ("hub", "p2"),
        ("hub", "p3"),
        ("hub", "p4"),
        ("hub", "p5"),
        ("p5", "q1"),
        ("q1", "q2"),
        ("p1", "p2"),
    ],
)


@pytest.mark.parametrize("method", [DEFAULT_METHOD, "popularity", "adamic-adar+tags"])
def test_no_topic_in_more_than_half_of_a_list(method):
    rec = Recommender(STAR)
    s = rec.for_comparison("hub-vs-p1", limit=6, method=method)
    counts = {}
    for c in s.comparisons:
        for t in c.topics:
            counts[t] = counts.get(t, 0) + 1
    assert max(counts.values()) <= 3
    assert "hub-vs-p1" not in [c.slug for c in s.comparisons]
    if method != DEFAULT_METHOD:  # baselines fill the list; the default stops at its floor
        undiverse = rec.for_comparison("hub-vs-p1", limit=6, method=method, diverse=False)
        assert len(undiverse.comparisons) == 6


def test_exclusions_and_existence():
    tg = graph.load()
    rec = Recommender(tg)
    own = {c.slug for c in tg.comparisons_of("postgresql")}
    partners = {c.other("postgresql") for c in tg.comparisons_of("postgresql")}
    for method in (DEFAULT_METHOD, "ppr-aa"):
        s = rec.for_topic("postgresql", limit=50, method=method)
        assert all(c.slug in tg.comparisons and c.slug not in own for c in s.comparisons)
        assert all(t.slug in tg.topics and t.slug != "postgresql" for t in s.topics)
    # baselines keep their former page: related topics leave out compared topics
    s = rec.for_topic("postgresql", limit=50, method="ppr-aa")
    assert not partners & {t.slug for t in s.topics}
    s = rec.for_comparison("postgres-vs-mysql", limit=50)
    assert s.query["slug"] == "mysql-vs-postgresql"
    assert "mysql-vs-postgresql" not in {c.slug for c in s.comparisons}
    assert {"mysql", "postgresql"}.isdisjoint({t.slug for t in s.topics})


def test_deterministic_order_with_ties_broken_by_slug():
    # two symmetric candidates around a: b-c and b-d have identical scores
    tg = tiny_graph(
        {"a": ["t"], "b": ["t"], "c": ["u"], "d": ["u"]}, [("a", "b"), ("b", "c"), ("b", "d")]
    )
    rec = Recommender(tg)
    first = rec.for_topic("a", limit=6, method="ppr", diverse=False)
    assert [c.slug for c in first.comparisons] == ["b-vs-c", "b-vs-d"]
    assert first.comparisons[0].score == first.comparisons[1].score
    again = Recommender(tg).for_topic("a", limit=6, method="ppr", diverse=False)
    assert first.to_dict() == again.to_dict()
    assert rec.for_topic("a").to_dict() == Recommender(tg).for_topic("a").to_dict()


def test_evidence_is_derived_from_the_graph():
    tg = graph.load()
    rec = Recommender(tg)
    s = rec.for_comparison("mysql-vs-postgresql", method="ppr-aa")
    by_slug = {c.slug: c for c in s.comparisons}
    mariadb = by_slug["mariadb-vs-mysql"]
    assert mariadb.reasons[0] == "also compares MySQL"
    assert mariadb.evidence[0].kind == "shares-side"
    assert all(1 <= len(c.reasons) <= 3 for c in s.comparisons + s.topics)
    t = {x.slug: x for x in s.topics}["mariadb"]
    assert ("related", "MariaDB lists MySQL as related") in [(e.kind, e.text) for e in t.evidence]


def test_popularity_evidence_names_the_record():
    tg = tiny_graph(
        {"a": ["t"], "w": ["t"], "b": ["t"], "c": ["t"], "z": ["u"], "y": ["u"]},
        [("w", "b", "w"), ("w", "c", "w"), ("a", "b", "a"), ("z", "y", "z"), ("z", "a", "a")],
    )
    rec = Recommender(tg)
    suggestions = rec.for_topic("c", limit=10, method="ppr", diverse=False).comparisons
    reasons = [r for c in suggestions for r in c.reasons]
    assert "A is the pick in 2 of its 2 comparisons" in reasons


def test_limits_are_bounded():
    rec = Recommender(CHAIN)
    assert len(rec.for_topic("a").topics) <= 6
    for bad in (0, 51, -1):
        with pytest.raises(BadRequest, match="limit must be a whole number from 1 to 50"):
            rec.for_topic("a", limit=bad)
    with pytest.raises(BadRequest, match="at most 10 topics"):
        rec.for_topics([f"t{i}" for i in range(11)])
    with pytest.raises(NotFound) as info:
        rec.for_topics(["a", "zz"])
    assert info.value.slug == "zz"


def test_stack_of_topics():
    rec = Recommender(graph.load())
    s = rec.for_topics(["python", "postgresql", "react"], limit=10)
    assert s.query == {"type": "topics", "topics": ["python", "postgresql", "react"]}
    assert {"python", "postgresql", "react"}.isdisjoint({t.slug for t in s.topics})
    assert 3 <= len(s.comparisons) <= 10
    assert len(rec.for_topics(["python", "postgresql", "react"], 10, "ppr").comparisons) == 10


# ---------------------------------------------------------------- index


def test_index_equals_on_demand_for_every_page():
    tg = graph.load()
    index = build_index(tg)
    live, cached = Recommender(tg), Recommender(tg, index)
    for slug in list(tg.comparisons) + list(tg.topics):
        kind = "comparison" if slug in tg.comparisons else "topic"
        a, b = live.page_candidates(kind, slug), cached.page_candidates(kind, slug)
        assert np.array_equal(a.comparisons, b.comparisons), slug
        assert np.array_equal(a.comparison_scores, b.comparison_scores), slug
        assert np.array_equal(a.topics, b.topics), slug


def test_index_round_trips_and_refuses_other_content(tmp_path, mini, monkeypatch):
    import pickgraph.engine.index as index_module

    tg = graph.load()
    index = build_index(tg)
    path = tmp_path / "index"
    index.save(path)
    assert sorted(p.suffix for p in path.iterdir()) == [".json"] + [".npy"] * 15
    e = Engine(tg)
    back = type(index).load(path, e)
    assert back is not None
    assert isinstance(back.topic_topics.scores, np.memmap)  # shared pages, not a copy
    assert np.array_equal(back.comparison_comparisons.ids, index.comparison_comparisons.ids)
    assert np.array_equal(back.topic_topics.scores, index.topic_topics.scores)
    other = Engine(graph.load(mini.root))
    assert type(index).load(path, other) is None
    # an index built with other engine parameters is stale, whatever its content
    monkeypatch.setattr(index_module, "TRAINING", index_module.TRAINING.__class__(rounds=2))
    assert type(index).load(path, e) is None


# ---------------------------------------------------------------- evaluation


def test_split_is_deterministic_and_partitions():
    tg = graph.load()
    s1, s2 = split(tg, 0.1, seed=3), split(tg, 0.1, seed=3)
    assert [c.slug for c in s1.held_out] == [c.slug for c in s2.held_out]
    assert len(s1.held_out) == round(0.1 * len(tg.comparisons))
    assert set(s1.train.comparisons) | {c.slug for c in s1.held_out} == set(tg.comparisons)
    assert [c.slug for c in split(tg, 0.1, seed=4).held_out] != [c.slug for c in s1.held_out]


def test_nothing_of_a_held_out_comparison_leaks_into_matrix_or_index():
    s = split(graph.load(), 0.1, seed=0)
    engine = Engine(s.train)
    ppr = PPR.of(engine)
    index = build_index(engine)
    referenced = index.referenced_comparisons()
    for c in s.held_out:
        a, b = engine.topic_id[c.a.topic], engine.topic_id[c.b.topic]
        assert engine.comparison_adjacency[a, b] == 0
        # not even a related link written in a topic file keeps them linked
        assert engine.related_topics[a, b] == 0 and ppr.transition[a, b] == 0
        assert c.slug not in engine.comparison_id
        assert c.slug not in referenced


@pytest.mark.slow
def test_default_beats_every_baseline_on_the_bundle():
    """Protocol v2 (issue 12): 30 splits, cold targets apart, expected-rank ties, and
    the default's MRR above every baseline's with the whole 95% interval above 0."""
    result = evaluate(graph.load(), holdout=0.1, bootstrap=1000)
    m = result["methods"]
    best = result["default"]
    assert best == DEFAULT_METHOD and result["splits"] == 30
    for name, row in m.items():
        if name != best:
            assert m[best]["mrr"] > row["mrr"], name
            assert result["intervals"][name]["mrr"][0] > 0, name
    assert m[best]["coverage"] >= 0.9
    assert set(m[best]) >= {"hits@5", "hits@10", "mrr", "ndcg@10", "coverage"}
    assert m["popularity"]["coverage"] < 0.1  # coverage exposes the popularity list
    assert result["cold_queries"] > 0 and result["cold"][best]["queries"] > 0


# ---------------------------------------------------------------- picks and gaps


def test_rankings_by_hand():
    tg = tiny_graph(
        {"a": ["t"], "b": ["t"], "c": ["t"], "d": ["u"], "e": ["u"]},
        [("a", "b", "a"), ("b", "c", "b"), ("a", "c", "a"), ("d", "e", "none")],
    )
    rows = rankings(tg, tag="t")
    assert [r["topic"] for r in rows] == ["a", "b", "c"]
    assert [(r["wins"], r["losses"]) for r in rows] == [(2, 0), (1, 1), (0, 2)]
    bt = rankings(tg, tag="t", method="bradley-terry")
    assert [r["topic"] for r in bt] == ["a", "b", "c"]
    overall = {r["topic"]: r for r in rankings(tg)}
    assert overall["d"]["no_pick"] == 1 and overall["d"]["wins"] == 0


def test_gaps_exclude_existing_pairs_and_prefer_rare_shared_tags():
    tg = tiny_graph(
        {"a": ["rare", "common"], "b": ["rare", "common"], "c": ["common"], "d": ["common"]},
        [("a", "c"), ("b", "d")],
    )
    rows = gaps(tg, limit=10)
    assert rows[0]["slug"] == "a-vs-b"
    assert rows[0]["reasons"][0] == "both tagged Rare and Common"
    assert not {r["slug"] for r in rows} & set(tg.comparisons)
    assert [r["slug"] for r in gaps(tg, limit=10, tag="rare")] == ["a-vs-b"]


def test_truncated_build_agrees_with_exact_build(monkeypatch):
    """The large-graph path, forced onto the bundle with nothing truncated away,
    gives the same lists as the exact path."""
    import pickgraph.engine.index as index_module

    tg = graph.load()
    exact = build_index(tg)
    monkeypatch.setattr(index_module, "DENSE_MAX", 10)
    monkeypatch.setattr(index_module, "TRUNCATE", len(tg.topics))
    truncated = build_index(tg, walk="power")
    assert truncated.stats["exact"] is False and truncated.stats["walk"] == "power"
    for slug in list(tg.comparisons)[:120] + list(tg.topics)[:80]:
        kind = "comparison" if slug in tg.comparisons else "topic"
        a, b = exact.get(kind, slug), truncated.get(kind, slug)
        assert np.allclose(a.comparison_scores, b.comparison_scores, rtol=1e-5), slug
        assert np.allclose(a.topic_scores, b.topic_scores, rtol=1e-5), slug
        # ids agree wherever scores are not (numerically) tied
        assert np.array_equal(a.topics[:10], b.topics[:10]) or np.allclose(
            a.topic_scores[:10], b.topic_scores[:10], rtol=1e-5
        ), slug
    # the push is within its error bound, not exact: its top 10 comparisons hold at
    # least 99% of the exact top 10's
    pushed = build_index(tg, walk="push")
    assert pushed.stats["walk"] == "push"
    recall = []
    for slug in list(tg.comparisons)[:120] + list(tg.topics)[:80]:
        kind = "comparison" if slug in tg.comparisons else "topic"
        a, b = exact.get(kind, slug), pushed.get(kind, slug)
        recall.append(len(np.intersect1d(a.comparisons[:10], b.comparisons[:10])) / 10)
    assert np.mean(recall) >= 0.99


def test_index_does_not_depend_on_how_the_work_is_cut(monkeypatch):
    """Ranges of 37 topics, then of 37 pages, give the lists one range gives (the
    tasks of a distributed build are such ranges: tests/test_dask.py)."""
    import pickgraph.engine.index as index_module

    tg = graph.load()
    monkeypatch.setattr(index_module, "DENSE_MAX", 10)
    whole = build_index(tg, scheduler="serial")
    monkeypatch.setattr(
        index_module,
        "_ranges",
        lambda total, size: [(lo, min(total, lo + 37)) for lo in range(0, total, 37)],
    )
    cut = build_index(tg, scheduler="serial")
    for name in (
        "comparison_comparisons",
        "comparison_topics",
        "topic_comparisons",
        "topic_topics",
    ):
        a, b = getattr(whole, name), getattr(cut, name)
        assert np.array_equal(a.lengths, b.lengths) and np.array_equal(a.ids, b.ids), name
        assert np.array_equal(a.scores, b.scores), name


def test_ad_hoc_adamic_adar_equals_the_sum_of_rows():
    from pickgraph.engine.scoring import adamic_adar_rows, adamic_adar_sum

    e = Engine(graph.load())
    for slugs in (["postgresql"], ["kafka", "rabbitmq", "scrum"], ["react", "react"]):
        seeds = [e.topic_id[s] for s in slugs]
        rows = np.asarray(adamic_adar_rows(e, seeds).sum(axis=0)).ravel()
        assert np.allclose(adamic_adar_sum(e, seeds), rows, rtol=1e-12, atol=0)
        assert rows.max() > 0


def test_the_ranker_stops_drawing_rounds_once_it_has_its_queries(monkeypatch):
    """Each round hides comparisons and builds an engine on what is left; once the
    rounds have max_queries queries, none more is built."""
    from dataclasses import replace

    from pickgraph.engine import ranker

    engine = Engine(graph.load())
    built = []
    real_hide = ranker.hide
    monkeypatch.setattr(
        ranker,
        "hide",
        lambda tg, hidden, label: built.append(len(hidden)) or real_hide(tg, hidden, label),
    )
    full = ranker.fit_topic_model(engine)  # the bundled content: three rounds of 10%
    share = round(0.1 * len(engine.tg.comparisons))
    assert built == [share] * 3 and full.positives > 2 * share
    built.clear()
    capped = ranker.fit_topic_model(engine, replace(ranker.TRAINING, max_queries=2 * share + 40))
    assert built == [share, 20]  # the second round takes what is still wanted, no third
    assert capped.positives <= 2 * share + 40
    built.clear()
    ranker.fit_topic_model(engine, replace(ranker.TRAINING, max_queries=60))
    assert built == [30]
