"""Exports round-trip: what networkx reads back equals the graph written."""

from __future__ import annotations

import json

import networkx as nx
import pandas as pd
import pytest

from pickgraph import graph
from pickgraph.graph.export import export, read_graph
from pickgraph.web.cli import main


def same_graph(a: nx.Graph, b: nx.Graph) -> None:
    assert sorted(a.nodes) == sorted(b.nodes)
    assert {frozenset(e) for e in a.edges} == {frozenset(e) for e in b.edges}
    for n in a.nodes:
        assert a.nodes[n] == b.nodes[n], n
    for u, v in a.edges:
        assert a.edges[u, v] == b.edges[u, v], (u, v)


@pytest.mark.parametrize(
    "fmt, suffix", [("graphml", "graphml"), ("gexf", "gexf"), ("json", "json")]
)
def test_round_trip(mini, tmp_path, fmt, suffix):
    tg = graph.load(mini.root)
    (path,) = export(tg, fmt, tmp_path / f"g.{suffix}")
    back = read_graph(path, fmt)
    same_graph(tg.graph, back)
    edge = back.edges["postgresql", "mysql"]
    assert edge["a_pros"][0] == "More index types and writable common table expressions"
    assert edge["pick"] == "postgresql" and edge["weight"] == 1.0


def test_bundled_round_trip_graphml(bundled, tmp_path):
    (path,) = export(bundled, "graphml", tmp_path / "g.graphml")
    same_graph(bundled.graph, read_graph(path, "graphml"))


def test_csv_writes_one_file_per_table(mini, tmp_path):
    tg = graph.load(mini.root)
    written = export(tg, "csv", tmp_path / "tables")
    assert sorted(p.name for p in written) == [
        "comparisons.csv",
        "related.csv",
        "tags.csv",
        "topics.csv",
    ]
    comps = pd.read_csv(tmp_path / "tables" / "comparisons.csv")
    assert len(comps) == 4
    row = comps.set_index("slug").loc["mysql-vs-postgresql"]
    assert row["pick"] == "postgresql"
    assert json.loads(row["b_pros"]) == [
        "Replication that nearly every host runs for you",
        "Clustered primary keys make key lookups cheap",
    ]
    topics = pd.read_csv(tmp_path / "tables" / "topics.csv")
    assert set(topics["slug"]) == set(tg.topics)
    related = pd.read_csv(tmp_path / "tables" / "related.csv")
    assert len(related) == sum(len(t.related) for t in tg.topics.values())


def test_export_command(mini, tmp_path, capsys):
    out = tmp_path / "g.gexf"
    assert main(["export", "--content", str(mini.root), "--format", "gexf", "--out", str(out)]) == 0
    assert capsys.readouterr().out.strip() == str(out)
    assert read_graph(out, "gexf").number_of_nodes() == 11


def test_graph_structure(mini):
    tg = graph.load(mini.root)
    g = tg.graph
    assert g.nodes["postgresql"]["type"] == "topic" and g.nodes["sql"]["type"] == "tag"
    assert g.nodes["sql"]["name"] == "SQL"
    assert g.nodes["relational-databases"]["name"] == "Relational databases"
    # memcached lists redis (a topic) as related, and they are compared: one edge, both kinds
    edge = g.edges["memcached", "redis"]
    assert edge["kind"] == "comparison" and edge["related"] is True
    assert g.edges["postgresql", "sql"]["kind"] == "related"
    assert g.edges["sqlite", "postgresql"]["weight"] == 0.6


def test_frames(mini):
    f = graph.frames(graph.load(mini.root))
    t = f.topics.set_index("slug")
    assert t.loc["postgresql", "wins"] == 1 and t.loc["postgresql", "no_pick"] == 1
    assert t.loc["mysql", "losses"] == 1
    assert t.loc["postgresql", "aliases"] == ["postgres", "pg"]
    assert set(f.related.columns) == {"topic", "tag", "tag_is_topic"}
    assert f.related.query("topic == 'memcached' and tag == 'redis'")["tag_is_topic"].item()
    assert list(f.tags.set_index("slug").loc["sql", ["name", "topics"]]) == ["SQL", 4]


@pytest.mark.parametrize("fmt", ["graphml", "gexf"])
def test_a_failed_export_leaves_the_previous_file_whole(mini, tmp_path, monkeypatch, fmt):
    """Issue 18: a write that failed midway used to leave a truncated file."""
    tg = graph.load(mini.root)
    (path,) = export(tg, fmt, tmp_path / "out" / f"g.{fmt}")
    good = path.read_bytes()

    def half_then_fail(g, target, *args, **kwargs):
        with open(target, "wb") as f:
            f.write(good[: len(good) // 2])
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(nx, f"write_{fmt}", half_then_fail)
    with pytest.raises(OSError, match="No space left"):
        export(tg, fmt, path)
    assert path.read_bytes() == good
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left


def test_a_failed_csv_export_leaves_the_previous_tables_whole(mini, tmp_path, monkeypatch):
    tg = graph.load(mini.root)
    written = export(tg, "csv", tmp_path / "tables")
    before = {p.name: p.read_bytes() for p in written}

    def half_then_fail(self, target, *args, **kwargs):
        with open(target, "w") as f:
            f.write("slug,na")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_fail)
    with pytest.raises(OSError):
        export(tg, "csv", tmp_path / "tables")
    assert {p.name: p.read_bytes() for p in (tmp_path / "tables").iterdir()} == before


def test_export_keeps_the_permissions_of_the_file_it_replaces(mini, tmp_path):
    tg = graph.load(mini.root)
    path = tmp_path / "g.json"
    path.write_text("{}")
    path.chmod(0o640)
    export(tg, "json", path)
    assert path.stat().st_mode & 0o777 == 0o640
    assert json.loads(path.read_text())["nodes"]
