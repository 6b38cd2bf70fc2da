"""The index build on dask.distributed (issue 17): a LocalCluster of two worker
processes gives the serial build's index byte for byte, on the exact path and on the
large-graph path, and still does when a worker dies mid-build."""

from __future__ import annotations

import os
import pickle
import signal

import numpy as np
import pytest

from pickgraph import graph
from pickgraph.engine.core import Engine
from pickgraph.engine.index import _NAMES, _Build, build_index, open_tasks
from pickgraph.engine.pagemodel import page_model

distributed = pytest.importorskip("dask.distributed")

pytestmark = pytest.mark.slow


def local_cluster():
    return distributed.LocalCluster(
        n_workers=2,
        processes=True,
        threads_per_worker=1,
        host="127.0.0.1",
        dashboard_address=None,
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )


@pytest.fixture(scope="module")
def client():
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        yield client


@pytest.fixture(scope="module")
def bundle():
    return graph.load()


def assert_same_bytes(a, b) -> None:
    for name in _NAMES:
        for part in ("ids", "scores", "lengths"):
            x, y = getattr(getattr(a, name), part), getattr(getattr(b, name), part)
            assert x.dtype == y.dtype and x.shape == y.shape, (name, part)
            assert x.tobytes() == y.tobytes(), (name, part)


def test_cluster_build_equals_serial_build_byte_for_byte(client, bundle):
    serial = build_index(bundle, scheduler="serial")
    # parallel_min=0: the bundle (1,238 pages) goes through the distributed path
    spread = build_index(bundle, scheduler=client, parallel_min=0)
    assert serial.stats["tasks"] == "serial" and serial.stats["exact"] is True
    assert spread.stats["tasks"] == "client" and spread.stats["workers"] == 2
    assert_same_bytes(serial, spread)


@pytest.mark.parametrize("walk", ["push", "power"])
def test_large_graph_path_on_a_cluster_equals_serial(client, bundle, monkeypatch, walk):
    import pickgraph.engine.index as index_module

    # DENSE_MAX is read where the build starts only: the workers get the path to
    # take with their tasks
    monkeypatch.setattr(index_module, "DENSE_MAX", 100)
    serial = build_index(bundle, scheduler="serial", walk=walk)
    spread = build_index(bundle, scheduler=client, walk=walk, parallel_min=0)
    assert serial.stats["walk"] == spread.stats["walk"] == walk
    assert_same_bytes(serial, spread)


def test_environment_names_the_scheduler(client, bundle, monkeypatch):
    monkeypatch.setenv("PICKGRAPH_SCHEDULER", client.scheduler.address)
    with open_tasks() as tasks:
        assert tasks.where == client.scheduler.address and tasks.workers == 2
    monkeypatch.setenv("PICKGRAPH_SCHEDULER", "serial")
    with open_tasks(parallel=True) as tasks:
        assert tasks.where == "serial" and tasks.client is None


def test_workers_get_matrices_not_content(bundle):
    """What is shipped to the workers: the engine's arrays and fitted models; the
    topic graph and the slug tables stay behind."""
    engine = Engine(bundle)
    page_model(engine).prepare()
    shipped = pickle.loads(pickle.dumps(_Build(engine, "exact", 10, 0.0)))
    copy = shipped.engine
    assert np.array_equal(copy.comparison_ends, engine.comparison_ends)
    assert page_model(copy).ranker == page_model(engine).ranker
    with pytest.raises(RuntimeError, match="do not hold the content"):
        _ = copy.tg.topics
    with pytest.raises(RuntimeError, match="do not hold the slug tables"):
        _ = copy.topic_slugs.index
    seeds = [engine.topic_id["postgresql"]]
    assert np.array_equal(page_model(copy).affinities(seeds), page_model(engine).affinities(seeds))


def test_a_worker_killed_mid_build_still_gives_the_right_index(bundle):
    """Dask reruns the dead worker's tasks; the shared state is read from the other
    worker's copy."""
    serial = build_index(bundle, scheduler="serial")
    with local_cluster() as cluster, distributed.Client(cluster) as client:
        victim = min(client.run(os.getpid).values())  # a worker process this test started
        killed = []

        def progress(stage, done, total):
            if not killed:
                killed.append(stage)
                os.kill(victim, signal.SIGKILL)

        spread = build_index(bundle, progress, scheduler=client, parallel_min=0)
        assert killed == ["topic affinities"]
    assert_same_bytes(serial, spread)
