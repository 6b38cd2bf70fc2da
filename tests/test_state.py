"""What the site serves is built once and never changed by serving it (issue 13)."""

from __future__ import annotations

import copy
import hashlib

import numpy as np
import pytest
import scipy.sparse as sp

from pickgraph.graph.snapshot import to_json
from pickgraph.web import create_app
from pickgraph.web.state import SiteState

# Every kind of request, with the parameters that once led a view to write into
# cached rows (limits, methods, tags).
REQUESTS = [
    "/",
    "/index.json",
    "/compare/mysql-vs-postgresql",
    "/compare/mysql-vs-postgresql.json",
    "/topic/kubernetes.json",
    "/topic/python",
    "/tag/relational-databases.json",
    "/domain/databases.json",
    "/search.json?q=postgres",
    "/stack.json?topics=kubernetes,postgresql,python",
    "/explore/kubernetes.json",
    "/sitemap.xml",
    "/suggestions/mysql-vs-postgresql.json",
    "/api/v1/comparisons/mysql-vs-postgresql",
    "/api/v1/comparisons/mysql-vs-postgresql/suggestions?limit=2",
    "/api/v1/comparisons/mysql-vs-postgresql/suggestions?limit=12&method=ppr-aa",
    "/api/v1/topics/kubernetes/suggestions?limit=1",
    "/api/v1/topics/kubernetes/neighbourhood",
    "/api/v1/suggestions?topics=python,postgresql&limit=7",
    "/api/v1/rankings",
    "/api/v1/rankings?tag=relational-databases",
    "/api/v1/rankings?tag=relational-databases&method=bradley-terry",
    "/api/v1/gaps?limit=5",
    "/api/v1/search?q=kube",
]


def _arrays(obj, depth: int = 3, out=None) -> list[np.ndarray]:
    """Every numpy array held by ``obj``, as ``state.read_only`` walks them."""
    out = [] if out is None else out
    if isinstance(obj, np.ndarray):
        out.append(obj)
    elif sp.issparse(obj):
        out += [obj.data, obj.indices, obj.indptr]
    elif depth > 0 and not isinstance(obj, str | int | float):
        children = (
            obj.values()
            if isinstance(obj, dict)
            else obj
            if isinstance(obj, list | tuple)
            else getattr(obj, "__dict__", {}).values()
        )
        for child in children:
            _arrays(child, depth - 1, out)
    return out


def _fingerprint(state: SiteState) -> dict:
    index = state.recommender.index
    digest = hashlib.sha256()
    for a in _arrays(index):
        digest.update(np.ascontiguousarray(a).tobytes())
    return {
        "graph": hashlib.sha256(to_json(state.tg)).hexdigest(),
        "arrays": digest.hexdigest(),
        "rankings": copy.deepcopy(state._rankings),
    }


@pytest.fixture(scope="module")
def served():
    state = SiteState.from_folder(use_cache=False)
    return state, create_app({"TESTING": True}, state=state).test_client()


def test_serving_never_mutates_cached_state(served):
    state, client = served
    first = {}
    for path in REQUESTS:
        resp = client.get(path)
        assert resp.status_code == 200, path
        first[path] = resp.data
    before = _fingerprint(state)
    assert before["rankings"], "the rankings were computed and cached"
    state.responses = type(state.responses)()  # the second round is computed again
    for path in reversed(REQUESTS):
        assert client.get(path).data == first[path], path
    assert _fingerprint(state) == before


def test_served_arrays_are_read_only(served):
    state, _ = served
    arrays = _arrays(state.recommender.index)
    assert len(arrays) >= 5
    assert not any(a.flags.writeable for a in arrays)
    with pytest.raises(ValueError):
        arrays[0][...] = 0


# ---------------------------------------------------------------- the ranker fitted ahead


@pytest.fixture
def fork_allowed(monkeypatch):
    """FitAhead forks only while the process has one thread; earlier tests in the same
    session leave idle threads behind (servers' log readers, dask clients), so these
    tests let it fork anyway, with deadlines so that a child that cannot run fails the
    test instead of hanging it. Skipped only where there is no fork or one core."""
    import multiprocessing as mp

    from pickgraph.engine import ranker

    if "fork" not in mp.get_all_start_methods() or (mp.cpu_count() or 1) < 2:
        pytest.skip("no fork here, or one core: a start fits in its own process")
    monkeypatch.setattr(ranker.threading, "active_count", lambda: 1)
    monkeypatch.setattr(ranker, "FIT_TIMEOUT", 300.0)
    return ranker


def test_a_ranker_fitted_ahead_in_a_child_is_the_one_fitted_here(bundled, fork_allowed):
    """A cold start on large uncached content fits the topic ranker in a forked child
    while it builds the rest of its state; the child's model, sent back as JSON, must
    be exactly the one this process would fit."""
    from pickgraph.engine.core import Engine
    from pickgraph.engine.ranker import FitAhead, fit_topic_model

    ahead = FitAhead.start(bundled)
    assert ahead is not None
    got = ahead.result()
    want = fit_topic_model(Engine(bundled))
    assert got == want  # names, every coefficient and the intercept, to the last bit
    assert got.positives > 100


def test_a_failed_child_leaves_the_fit_to_the_parent(bundled, monkeypatch, fork_allowed):
    from pickgraph.engine import ranker

    def fail(tg, conn):
        raise MemoryError("the child ran out")

    monkeypatch.setattr(ranker, "_fit_and_send", fail)
    ahead = ranker.FitAhead.start(bundled)
    assert ahead is not None
    assert ahead.result() is None
    assert not ahead._process.is_alive()


def test_no_fork_or_a_stuck_child_leaves_the_fit_to_the_parent(bundled, monkeypatch, fork_allowed):
    """A fork that fails (out of memory) gives no FitAhead, and a child that does not
    answer in time is given up on and ended: either way the start fits itself."""
    import multiprocessing.context as mpc
    import time

    from pickgraph.engine import ranker

    def no_fork(self):
        raise OSError(12, "Cannot allocate memory")

    with monkeypatch.context() as m:
        m.setattr(mpc.ForkProcess, "start", no_fork)
        assert ranker.FitAhead.start(bundled) is None

    def stuck(tg, conn):
        time.sleep(60)

    monkeypatch.setattr(ranker, "_fit_and_send", stuck)
    ahead = ranker.FitAhead.start(bundled)
    assert ahead is not None
    began = time.monotonic()
    assert ahead.result(timeout=0.5) is None
    assert time.monotonic() - began < 10
    assert not ahead._process.is_alive()


def test_a_deferred_start_serves_the_lists_of_a_serial_one(tmp_path, monkeypatch, fork_allowed):
    """The state a large cold start prepares (ranker from the child) gives every
    page the suggestions a state that fits its own ranker gives."""
    from pickgraph.engine.methods import LearnedRanker
    from pickgraph.web.settings import Settings

    monkeypatch.setenv("PICKGRAPH_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("PICKGRAPH_DEFER_INDEX_FROM", "0")
    settings = Settings.read({})
    ahead = SiteState.from_settings(settings, defer_index=True)
    assert ahead.index_pending and ahead._ranker_ahead is not None
    ahead.prepare()
    assert ahead._ranker_ahead is None
    serial = SiteState.from_settings(settings, defer_index=True)
    serial._ranker_ahead.close()
    serial._ranker_ahead = None
    serial.prepare()
    e1, e2 = ahead.recommender.engine, serial.recommender.engine
    assert LearnedRanker.model(e1) == LearnedRanker.model(e2)
    pages = [("comparison", "mysql-vs-postgresql"), ("comparison", "django-vs-fastapi")]
    pages += [("topic", "kubernetes")]
    for kind, slug in pages:
        a = ahead.recommender.for_page(kind, slug).to_dict()
        b = serial.recommender.for_page(kind, slug).to_dict()
        assert a == b and a["comparisons"], (kind, slug)
