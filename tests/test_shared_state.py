"""Pages of a prepared state read only what they show (issue 17).

A gunicorn worker shares the master's loaded content copy-on-write, but reading a
Python object writes its reference count, which copies the object's memory page into
the worker. A page that read every comparison (the home page once sorted all of them
per request) cost each worker most of the content's heap: 198 MB at 10k topics. So
what needs the whole graph is derived once in ``SiteState.prepare`` and pages read
only their own part; these tests hold both halves.
"""

from __future__ import annotations

import itertools
import os
import random

import networkx as nx
import pytest

from pickgraph import graph
from pickgraph.graph.topicgraph import SET_SIZES
from pickgraph.web import create_app
from pickgraph.web.cache import content_signature
from pickgraph.web.state import SiteState, compared_sets


class _NoScan(dict):
    """The comparisons of a TopicGraph, refusing to be iterated, and recording which
    ones are read."""

    def __init__(self, *args):
        super().__init__(*args)
        self.read: set[str] = set()

    def __getitem__(self, slug):
        self.read.add(slug)
        return super().__getitem__(slug)

    def get(self, slug, default=None):
        if slug in self:
            self.read.add(slug)
        return super().get(slug, default)

    def _refuse(self, *args, **kwargs):
        raise AssertionError("a page iterated over every comparison")

    __iter__ = keys = values = items = _refuse


def _guarded(state, monkeypatch) -> _NoScan:
    guard = _NoScan(state.tg.comparisons)
    monkeypatch.setattr(state.tg, "comparisons", guard)
    monkeypatch.setattr(state.tg, "heads", guard)  # the same objects, read for structure
    monkeypatch.setattr(state, "_rankings", {})  # best-of lists computed again
    state.responses = type(state.responses)()  # rendered now, not from the cache
    return guard


# A page may read the comparisons it shows and those its "best of" lists rank; the
# bundled content's largest such page reads well under this share of them.
MAX_READ = 0.25


@pytest.fixture(scope="module")
def prepared():
    state = SiteState.from_folder(use_cache=False).prepare()
    client = create_app({"TESTING": True}, state=state).test_client()
    return state, client


PAGES = [
    "/",
    "/index.json",
    "/compare/mysql-vs-postgresql",
    "/compare/mysql-vs-postgresql.json",
    "/topic/postgresql",
    "/topic/kubernetes.json",
    "/domain/databases",
    "/best/relational-databases",
    "/api/v1/comparisons/mysql-vs-postgresql/suggestions",
    "/api/v1/topics/kubernetes/suggestions",
    "/api/v1/suggestions?topics=python,postgresql,kubernetes",
    "/compare/kafka-vs-nats-vs-rabbitmq",
    "/tag/relational-databases",
    "/explore/kubernetes",
    "/api/v1/topics/kubernetes/neighbourhood",
    "/stack?topics=kubernetes,postgresql,python",
]


@pytest.mark.parametrize("path", PAGES)
def test_a_prepared_page_reads_only_its_part_of_the_graph(prepared, path, monkeypatch):
    state, client = prepared
    guard = _guarded(state, monkeypatch)
    response = client.get(path)
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert len(guard.read) <= MAX_READ * len(guard), sorted(guard.read)[:20]


def test_the_guard_catches_a_page_that_reads_everything(prepared, monkeypatch):
    """The guard above would fail a page that reads the whole graph: the overall
    rankings do, by definition, as does the index of every "best of" list (both are
    computed once per worker and kept, and are not part of the pages above)."""
    state, client = prepared
    guard = _guarded(state, monkeypatch)
    assert client.get("/api/v1/rankings").status_code == 200
    assert len(guard.read) == len(guard)
    with pytest.raises(AssertionError, match="every comparison"):
        list(guard)


def test_home_lists_follow_their_definition(prepared):
    state, _ = prepared
    tg = state.tg

    def connected(slug):
        c = tg.comparisons[slug]
        return len(tg.comparisons_of(c.a.topic)) + len(tg.comparisons_of(c.b.topic))

    ranked = sorted(tg.comparisons, key=lambda s: (-connected(s), s))
    featured, seen = [], set()
    for slug in ranked:
        domain = tg.topics[tg.comparisons[slug].a.topic].domain
        if domain and domain not in seen:
            seen.add(domain)
            featured.append(slug)
    assert list(state.home_lists["featured"]) == featured
    assert list(state.home_lists["most_connected"]) == ranked[:12]
    for domain in tg.domains:
        assert list(state.domain_topics[domain]) == [
            s for s, t in tg.topics.items() if t.domain == domain
        ]


def test_sets_of_a_pair_follow_their_definition(prepared):
    state, _ = prepared
    assert state.full_sets, "the bundled content has fully compared sets"
    for slug, c in state.tg.comparisons.items():
        a, b = c.topics
        expected = sorted(
            (s for s in state.full_sets if {a, b} <= set(s.split("-vs-"))),
            key=lambda s: (s.count("-vs-"), s),
        )
        assert list(state.sets_by_pair.get(tuple(sorted((a, b))), ())) == expected, slug


def _networkx_sets(tg) -> list[str]:
    compared = nx.Graph(c.topics for c in tg.comparisons.values())
    return sorted(
        "-vs-".join(sorted(clique))
        for clique in nx.enumerate_all_cliques(compared)
        if len(clique) in SET_SIZES
    )


def test_compared_sets_equal_networkx_cliques_on_the_bundled_content():
    tg = graph.load()
    found = sorted("-vs-".join(s) for s in compared_sets(tg))
    assert found == _networkx_sets(tg)
    assert len(found) == len(set(found))


@pytest.mark.parametrize("seed", range(5))
def test_compared_sets_equal_networkx_cliques_on_dense_random_graphs(seed):
    """Dense graphs have many 4- and 5-cliques (and 6-cliques, which are no set)."""
    from pickgraph.graph.model import Comparison

    rng = random.Random(seed)
    names = [f"t{i}" for i in range(14)]
    pairs = [p for p in itertools.combinations(names, 2) if rng.random() < 0.7]

    def side(t):
        return {"topic": t, "pros": ["p"], "cons": ["c"], "choose_if": "x"}

    comparisons = {
        f"{a}-vs-{b}": Comparison.model_validate(
            {
                "a": side(a),
                "b": side(b),
                "pick": a,
                "verdict": "v",
                "bottom_line": "b",
                "reviewed": "2026-11-28",
            },
            strict=False,
        )
        for a, b in pairs
    }

    class Fake:
        pass

    tg = Fake()
    tg.comparisons = tg.heads = comparisons
    found = sorted("-vs-".join(s) for s in compared_sets(tg))
    assert found == _networkx_sets(tg)
    assert any(s.count("-vs-") == 4 for s in found)


def test_comparisons_among_equal_a_full_scan_in_content_order():
    tg = graph.load()
    rng = random.Random(7)
    topics = sorted(tg.topics)
    for _ in range(50):
        members = set(rng.sample(topics, rng.choice([2, 5, 20, 80])))
        expected = [
            c for c in tg.comparisons.values() if c.a.topic in members and c.b.topic in members
        ]
        assert tg.comparisons_among(members) == expected


def _walk_signature(folder) -> tuple:
    """The signature as os.walk gives it: the reference for the faster walk."""
    out = []
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = os.path.join(root, name)
                st = os.stat(path)
                out.append(
                    (
                        os.path.relpath(path, folder),
                        st.st_size,
                        st.st_mtime_ns,
                        st.st_ctime_ns,
                        st.st_ino,
                    )
                )
    return tuple(out)


def test_content_signature_equals_a_walk_of_the_folder(mini, tmp_path):
    root = mini.root
    (root / ".hidden").mkdir()
    (root / ".hidden" / "x.yaml").write_text("a: 1\n")
    (root / "topics" / ".swp").write_text("editor")
    (root / "comparisons" / "deeper").mkdir()
    (root / "comparisons" / "deeper" / "a.txt").write_text("note")
    (root / "zzz.txt").write_text("last")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "f.yaml").write_text("b: 2\n")
    (root / "linked").symlink_to(elsewhere, target_is_directory=True)
    found = content_signature(root)
    assert found == _walk_signature(root)
    names = [row[0] for row in found]
    assert "comparisons/deeper/a.txt" in names and "zzz.txt" in names
    assert not any(n.startswith(".") or "/." in n or n.startswith("linked") for n in names)
