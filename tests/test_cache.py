"""The start-up cache (web/cache.py): hits, misses, and what it refuses.

Issue 18 (hardening): the cache was a pickle anyone able to write the folder could
turn into code execution, and a valid entry of another content version was served.
"""

from __future__ import annotations

import ast
import json
import logging
import os
import pickle
import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from pickgraph.graph.loader import check
from pickgraph.web.cache import StateCache
from pickgraph.web.state import SiteState

PACKAGES = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("PICKGRAPH_CACHE", str(folder))
    return folder


def entries(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.name.startswith("state-"))


def test_hits_on_unchanged_content_and_misses_on_any_change(mini, cache_dir, monkeypatch):
    first = SiteState.from_folder(mini.root)
    again = SiteState.from_folder(mini.root)
    assert (first.from_cache, again.from_cache) == (False, True)
    assert again.version == first.version
    a = first.recommender.for_comparison("mysql-vs-postgresql").to_dict()
    assert again.recommender.for_comparison("mysql-vs-postgresql").to_dict() == a
    mini.replace("topics/redis.yaml", "name: Redis", "name: Redis OSS")
    changed = SiteState.from_folder(mini.root)
    assert changed.from_cache is False and changed.version != first.version
    assert changed.tg.topic("redis").name == "Redis OSS"
    # a damaged entry is rebuilt and replaced, not fatal
    for entry in entries(cache_dir):
        (entry / "content.json").write_bytes(b"{not json")
    rebuilt = SiteState.from_folder(mini.root)
    assert rebuilt.from_cache is False and rebuilt.tg.topic("redis").name == "Redis OSS"
    assert SiteState.from_folder(mini.root).from_cache is True
    monkeypatch.setenv("PICKGRAPH_CACHE", "")
    assert SiteState.from_folder(mini.root).from_cache is False


def test_a_file_rewritten_with_its_old_size_and_time_misses_the_entry(mini, cache_dir):
    SiteState.from_folder(mini.root)
    entry = entries(cache_dir)[0]
    # Same name, size and modification time, other bytes: the change time (which no
    # user can set back) and so the entry's name differ; the old entry is not served.
    path = mini.root / "topics/redis.yaml"
    st = path.stat()
    text = path.read_text().replace("name: Redis", "name: Redix")
    path.write_text(text)
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size and path.stat().st_mtime_ns == st.st_mtime_ns
    assert StateCache.default().entry(mini.root) != entry
    state = SiteState.from_folder(mini.root)
    assert state.from_cache is False and state.tg.topic("redis").name == "Redix"


def test_an_entry_under_another_name_is_refused(mini, cache_dir, caplog):
    """A warm start trusts an entry's name for the files' state, so an entry moved
    (or planted) under the name of the folder as it is now must not be served."""
    SiteState.from_folder(mini.root)
    old = entries(cache_dir)[0]
    mini.replace("topics/redis.yaml", "name: Redis", "name: Redix")
    now = StateCache.default().entry(mini.root)
    assert now != old
    old.rename(now)
    with caplog.at_level(logging.WARNING, logger="pickgraph"):
        state = SiteState.from_folder(mini.root)
    assert state.from_cache is False and state.tg.topic("redis").name == "Redix"
    assert "not as this entry" in caplog.text
    assert SiteState.from_folder(mini.root).from_cache is True


def test_content_edited_during_a_build_is_not_cached_under_its_new_name(
    mini, cache_dir, monkeypatch, caplog
):
    import pickgraph.web.state as state_module

    real = state_module.graph.load

    def load_then_edit(folder, *args, **kwargs):
        tg = real(folder, *args, **kwargs)
        mini.replace("topics/redis.yaml", "name: Redis", "name: Redix")  # an editor saves
        return tg

    monkeypatch.setattr(state_module.graph, "load", load_then_edit)
    with caplog.at_level(logging.WARNING, logger="pickgraph"):
        first = SiteState.from_folder(mini.root)
    assert first.tg.topic("redis").name == "Redis"  # what was read, served this once
    assert entries(cache_dir) == [] and "files changed while it was read" in caplog.text
    monkeypatch.setattr(state_module.graph, "load", real)
    again = SiteState.from_folder(mini.root)
    assert again.from_cache is False and again.tg.topic("redis").name == "Redix"
    assert SiteState.from_folder(mini.root).tg.topic("redis").name == "Redix"


class _Boom:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, marker: str):
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (Path(self.marker),))


def test_planted_pickles_never_run_and_are_pruned(mini, cache_dir, tmp_path):
    marker = tmp_path / "code-ran"
    cache_dir.mkdir(mode=0o700)
    entry = StateCache.default().entry(mini.root)
    # where earlier versions kept their pickle, and in place of the new entry's files
    (cache_dir / f"{entry.name}.pickle").write_bytes(pickle.dumps(_Boom(str(marker))))
    entry.mkdir()
    (entry / "header.json").write_bytes(pickle.dumps(_Boom(str(marker))))
    (entry / "content.json").write_bytes(pickle.dumps(_Boom(str(marker))))
    state = SiteState.from_folder(mini.root)
    assert state.from_cache is False and not marker.exists()
    assert not list(cache_dir.glob("*.pickle"))


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
@pytest.mark.parametrize("target", ["folder", "entry"])
def test_cache_writable_by_others_is_refused_with_a_log_line(mini, cache_dir, caplog, target):
    SiteState.from_folder(mini.root)  # a good entry exists
    path = cache_dir if target == "folder" else entries(cache_dir)[0]
    path.chmod(0o777)
    with caplog.at_level(logging.WARNING, logger="pickgraph"):
        state = SiteState.from_folder(mini.root)
    assert state.from_cache is False
    assert "writable by others" in caplog.text
    assert path.exists()  # refused, but not deleted: it is not ours
    if target == "folder":  # nothing is written into an untrusted folder either
        before = {p.name for p in cache_dir.iterdir()}
        mini.replace("topics/redis.yaml", "name: Redis", "name: Redis OSS")
        SiteState.from_folder(mini.root)
        assert {p.name for p in cache_dir.iterdir()} == before


def test_changed_engine_parameter_or_package_version_invalidates(mini, cache_dir, monkeypatch):
    import pickgraph.engine.index as engine_index
    import pickgraph.web.cache as web_cache

    assert SiteState.from_folder(mini.root).from_cache is False
    assert SiteState.from_folder(mini.root).from_cache is True
    monkeypatch.setattr(engine_index, "TRAINING", engine_index.TRAINING.__class__(rounds=2))
    assert SiteState.from_folder(mini.root).from_cache is False
    assert SiteState.from_folder(mini.root).from_cache is True
    monkeypatch.setattr(web_cache, "package_version", lambda: "999.0")
    assert SiteState.from_folder(mini.root).from_cache is False


def test_old_entries_are_pruned(mini, cache_dir):
    names = ["Redis", "Redis 1", "Redis 2", "Redis 3"]
    for old, new in zip(names, names[1:], strict=False):
        SiteState.from_folder(mini.root)
        mini.replace("topics/redis.yaml", f"name: {old}\n", f"name: {new}\n")
    SiteState.from_folder(mini.root)
    kept = entries(cache_dir)
    assert len(kept) == 2
    versions = {json.loads((e / "header.json").read_text())["content_version"] for e in kept}
    assert SiteState.from_folder(mini.root).version in versions


def test_no_executable_serialisation_in_the_packages():
    for package in ("graph", "engine", "web"):
        for path in (PACKAGES / package).rglob("*.py"):
            tree = ast.parse(path.read_text())
            for node in ast.walk(tree):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    names = [a.name for a in node.names] + [getattr(node, "module", "") or ""]
                    assert not {"pickle", "marshal", "shelve", "dill"} & set(names), path


def test_cache_survives_a_copy_of_its_folder_elsewhere(mini, cache_dir, tmp_path):
    SiteState.from_folder(mini.root)
    other = tmp_path / "elsewhere"
    shutil.copytree(mini.root, other)
    # same files, another folder: a new entry, never the other folder's
    assert SiteState.from_folder(other).from_cache is False


def test_a_cached_index_carries_its_topic_ranker(mini, cache_dir, monkeypatch):
    """A warm start answers ad-hoc queries with the ranker the index was built with,
    exactly, instead of fitting it again in every process (seconds at 10k topics);
    an entry whose model is missing or damaged is rebuilt, never used."""
    from pickgraph.engine import methods, ranker

    first = SiteState.from_folder(mini.root)
    built = methods.LearnedRanker.model(first.recommender.engine)
    stack = first.recommender.for_topics(["redis", "postgresql"]).to_dict()

    def no_fit(*args, **kwargs):
        raise AssertionError("the topic ranker was fitted again")

    monkeypatch.setattr(methods, "fit_topic_model", no_fit)
    again = SiteState.from_folder(mini.root).prepare()
    assert again.from_cache is True
    assert methods.LearnedRanker.model(again.recommender.engine) == built
    assert again.recommender.for_topics(["redis", "postgresql"]).to_dict() == stack
    (entry,) = entries(cache_dir)
    header = json.loads((entry / "index" / "header.json").read_text())
    assert header["topic_model"]["coef"] == list(built.coef)  # full precision
    monkeypatch.setattr(methods, "fit_topic_model", ranker.fit_topic_model)

    def damage(change) -> None:
        (entry,) = entries(cache_dir)
        doc = json.loads((entry / "index" / "header.json").read_text())
        if change is None:
            del doc["topic_model"]
        else:
            change(doc["topic_model"])
        (entry / "index" / "header.json").write_text(json.dumps(doc))

    for change in (
        None,  # an entry written before indexes carried their ranker
        lambda m: m.update(coef=m["coef"][:-1]),
        lambda m: m.update(names=[*m["names"][1:], m["names"][0]]),
        lambda m: m.update(intercept=float("nan")),
        lambda m: m.update(rows=float("inf")),
    ):
        damage(change)
        rebuilt = SiteState.from_folder(mini.root)
        assert rebuilt.from_cache is False
        assert methods.LearnedRanker.model(rebuilt.recommender.engine) == built


def test_an_index_is_refused_by_an_engine_with_another_ranker(mini, cache_dir):
    from pickgraph.engine import methods
    from pickgraph.engine.core import Engine
    from pickgraph.engine.index import SuggestionIndex

    state = SiteState.from_folder(mini.root)
    (entry,) = entries(cache_dir)
    fresh = Engine(state.tg)
    assert SuggestionIndex.load(entry / "index", fresh) is not None
    other = Engine(state.tg)
    model = methods.LearnedRanker.model(state.recommender.engine)
    methods.LearnedRanker.install(other, replace(model, intercept=model.intercept + 1))
    assert SuggestionIndex.load(entry / "index", other) is None


def test_prepared_state_derives_nothing_more_on_pages(mini, cache_dir):
    """What a server derives before forking, so that workers share it: after
    ``prepare`` no page derives anything new on the engine or the state."""
    from pickgraph.engine.methods import TOPIC_MODEL_KEY

    SiteState.from_folder(mini.root)
    warm = SiteState.from_folder(mini.root).prepare()
    assert warm.from_cache is True
    engine = warm.recommender.engine
    before = set(engine._derived)
    assert {TOPIC_MODEL_KEY, "feature-space", "page-model", "records"} <= before
    assert {"best_tags", "full_sets", "counts"} <= set(vars(warm))
    warm.recommender.for_topics(["redis", "mysql", "postgresql"])
    warm.recommender.for_comparison("mysql-vs-postgresql")
    warm.recommender.for_topic("redis")
    assert set(engine._derived) == before


def test_a_warm_state_reads_comparison_texts_only_for_the_pages_served(mini, cache_dir):
    """Read back from the cache, the graph holds each comparison's head; its texts are
    parsed (and validated) from the shared lines file when a page first needs them,
    so a prepared master parses none and a page only what it shows."""
    from pickgraph.graph.lazy import LazyComparisons
    from pickgraph.web import create_app

    cold = SiteState.from_folder(mini.root)
    warm = SiteState.from_folder(mini.root).prepare()
    assert warm.from_cache is True
    lazy = warm.tg.comparisons
    assert isinstance(lazy, LazyComparisons) and lazy.parsed == 0
    assert list(warm.tg.heads) == list(cold.tg.comparisons)
    assert warm.recommender.for_comparison("mysql-vs-postgresql").comparisons
    assert lazy.parsed == 0  # suggestions need the structure, not the texts
    page = (
        create_app({"TESTING": True}, state=warm).test_client().get("/compare/mysql-vs-postgresql")
    )
    assert page.status_code == 200 and 1 <= lazy.parsed < len(lazy)
    assert dict(lazy) == cold.tg.comparisons  # every comparison, parsed, as loaded


def test_a_process_keeps_only_its_most_recently_read_comparisons(mini, cache_dir, monkeypatch):
    from pickgraph.graph.lazy import LazyComparisons

    monkeypatch.setattr(LazyComparisons, "KEEP", 2)
    SiteState.from_folder(mini.root)
    lazy = SiteState.from_folder(mini.root).tg.comparisons
    slugs = list(lazy)
    first = [lazy[s] for s in slugs]
    assert len(lazy._recent) == 2 and list(lazy._recent) == slugs[-2:]
    assert lazy.parsed == len(slugs)
    assert lazy[slugs[-1]] is first[-1] and lazy.parsed == len(slugs)  # kept: no parse
    assert lazy[slugs[0]] == first[0] and lazy.parsed == len(slugs) + 1  # dropped: parsed


def test_a_warm_state_reads_the_files_digests_only_when_asked(mini, cache_dir):
    """Serving never reads each file's digest (a fifth of the entry at 10k topics): a
    warm state leaves them on disk until something asks. A server loads without the
    text lint, whose warnings only editors read (pickgraph validate)."""
    mini.replace(  # a lint warning: a fragment
        "comparisons/redis-vs-memcached.yaml", "Optional persistence and replication", "Persistence"
    )
    cold = SiteState.from_folder(mini.root)
    assert cold.tg.warnings == [] and any(p.code == "fragment" for p in check(mini.root).warnings)
    warm = SiteState.from_folder(mini.root).prepare()
    assert warm.from_cache and warm.tg._extras is not None
    assert warm.tg.sources == cold.tg.sources and len(warm.tg.sources) == 10  # 6 topics, 4 pairs
    assert warm.tg.warnings == [] and warm.tg._extras is None


DERIVED = ("best_tags", "full_sets", "sets_by_pair", "home_lists", "domain_topics")


def test_a_warm_state_reads_what_prepare_derives_from_the_entry(mini, cache_dir, caplog):
    """The page lists a state derives from the content are saved with the entry: a
    warm state holds them before prepare(), equal to a cold state's; a damaged or
    foreign copy is refused and they are derived again."""
    mini.write(  # a full set (mysql, postgresql, sqlite) and a home page worth ranking
        "comparisons/sqlite-vs-mysql.yaml",
        mini.read("comparisons/sqlite-vs-postgresql.yaml").replace(
            "topic: postgresql", "topic: mysql"
        ),
    )
    cold = SiteState.from_folder(mini.root)
    expected = {name: getattr(cold, name) for name in DERIVED}
    assert expected["full_sets"] == ("mysql-vs-postgresql-vs-sqlite",)
    warm = SiteState.from_folder(mini.root)
    assert warm.from_cache
    assert {name: warm.__dict__.get(name) for name in DERIVED} == expected
    (entry,) = entries(cache_dir)
    doc = json.loads((entry / "derived.json").read_text())
    doc["full_sets"].append("mysql-vs-nosuchtopic-vs-sqlite")
    (entry / "derived.json").write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING, logger="pickgraph"):
        again = SiteState.from_folder(mini.root)
    assert again.from_cache and "deriving the page lists again" in caplog.text
    assert not any(name in again.__dict__ for name in DERIVED)
    assert {name: getattr(again, name) for name in DERIVED} == expected


@pytest.mark.parametrize(
    "damage",
    [
        "a changed byte in a comparison",
        "a head whose pick is neither side",
        "a head naming an unknown topic",
        "offsets that do not end at the file's end",
        "an interior offset moved by a byte",
        "a head whose weight differs from its line",
        "a head with its sides swapped",
        "a changed byte in the extras",
    ],
)
def test_a_damaged_lines_file_or_head_is_refused_and_rebuilt(mini, cache_dir, damage, caplog):
    SiteState.from_folder(mini.root)
    (entry,) = entries(cache_dir)
    lines, content = entry / "comparisons.jsonl", entry / "content.json"
    if damage == "a changed byte in a comparison":
        data = lines.read_bytes()
        lines.write_bytes(data.replace(b"redis", b"rediz", 1))
    elif damage == "a changed byte in the extras":
        extras = entry / "extras.json"
        extras.write_bytes(extras.read_bytes().replace(b"redis", b"rediz", 1))
    else:
        doc = json.loads(content.read_text())
        if damage == "a head whose pick is neither side":
            doc["heads"][0][3] = "kafka"
        elif damage == "a head naming an unknown topic":
            doc["heads"][0][1] = "nosuchtopic"
        elif damage == "offsets that do not end at the file's end":
            doc["offsets"][-1] += 1
        elif damage == "an interior offset moved by a byte":
            doc["offsets"][1] += 1
        elif damage == "a head whose weight differs from its line":
            doc["heads"][0][4] = 0.25
        else:
            head = doc["heads"][0]
            head[1], head[2] = head[2], head[1]
        content.write_text(json.dumps(doc))
    with caplog.at_level(logging.WARNING, logger="pickgraph"):
        state = SiteState.from_folder(mini.root)
    assert state.from_cache is False
    assert "damaged content snapshot" in caplog.text
    assert SiteState.from_folder(mini.root).from_cache is True  # rebuilt, and good again


def test_a_warm_start_takes_the_text_vectors_from_the_index_without_scikit_learn(mini, cache_dir):
    """The topics' TF-IDF rows are saved with the index: a warm start uses them as
    they were computed, and so never imports scikit-learn (over a second of start-up)."""
    import subprocess
    import sys

    from pickgraph.engine.features import FeatureSpace
    from pickgraph.engine.suggest import Recommender

    cold = SiteState.from_folder(mini.root)
    warm = SiteState.from_folder(mini.root).prepare()
    assert warm.from_cache is True
    fresh = FeatureSpace(Recommender(cold.tg).engine).text_vectors
    loaded = FeatureSpace.of(warm.recommender.engine).text_vectors
    assert loaded.shape == fresh.shape and (loaded != fresh).nnz == 0
    code = (
        # through the command line's modules, as `pickgraph serve` starts
        "import sys; import pickgraph.web.cli; from pickgraph.web.state import SiteState; "
        f"s = SiteState.from_folder({str(mini.root)!r}).prepare(); "
        "s.recommender.for_topics(['redis', 'mysql']); "
        "heavy = ('sklearn', 'networkx', 'pandas', 'pickgraph.engine.judgments'); "
        "print(s.from_cache, *[m for m in heavy if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    # nor networkx, pandas or the judgment models: a server's start-up uses none of them
    assert out.stdout.split() == ["True"]


def test_a_start_reads_the_expected_entry_while_a_child_names_the_right_one(mini, cache_dir):
    """The 110,000 stats that name an entry take half a second at 10k topics: a forked
    child works the name out while the start reads the entry written or read last.
    Named in the child or here (another thread running), the name is the same; after
    an edit the expected entry is another content's and is not served."""
    import threading

    cache = StateCache(cache_dir)
    assert cache.newest(mini.root) is None
    SiteState.from_folder(mini.root)
    expected = cache.entry(mini.root)
    assert cache.newest(mini.root) == expected
    assert cache.entry_later(mini.root)() == expected
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert cache.entry_later(mini.root)() == expected
    finally:
        stop.set()
        other.join()
    mini.replace("topics/redis.yaml", "name: Redis", "name: Redis OSS")
    assert cache.newest(mini.root) == expected != cache.entry(mini.root)
    changed = SiteState.from_folder(mini.root)
    assert not changed.from_cache and changed.tg.topic("redis").name == "Redis OSS"
    assert cache.newest(mini.root) == cache.entry(mini.root)
    # an entry read is the newest again (a checkout back to that content finds it)
    assert cache.load(mini.root, expected) is not None
    assert cache.newest(mini.root) == expected


# Python 3.12+ warns of any fork in a process with threads: the suite's, here on purpose
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_naming_in_a_child_survives_a_reaped_child_and_a_failed_fork(mini, cache_dir, monkeypatch):
    """The child is forked (counted), its name read even when a server's SIGCHLD
    handler reaped it first; when the fork fails the name is worked out here and no
    descriptor is left open."""
    import pickgraph.web.cache as cache_module

    SiteState.from_folder(mini.root)
    cache = StateCache(cache_dir)
    expected = cache.entry(mini.root)  # also imports what the child will need
    # the whole suite may leave threads (live servers) or gevent in this process, where
    # a start would not fork at all: the child here only stats, hashes and writes
    monkeypatch.setattr(cache_module.threading, "active_count", lambda: 1)
    monkeypatch.setattr(cache_module, "_gevent_patched", lambda: False)
    forks = []
    real_fork = os.fork

    def counted():
        forks.append(1)
        return real_fork()

    monkeypatch.setattr(os, "fork", counted)
    assert cache.entry_later(mini.root)() == expected and forks == [1]

    def reaped(pid, options):
        real_waitpid(pid, options)
        raise ChildProcessError("no child")

    real_waitpid = os.waitpid
    monkeypatch.setattr(os, "waitpid", reaped)
    assert cache.entry_later(mini.root)() == expected and len(forks) == 2

    def no_fork():
        raise OSError("cannot allocate memory")

    monkeypatch.setattr(os, "fork", no_fork)
    before = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    assert cache.entry_later(mini.root)() == expected
    after = set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()
    assert after <= before


def test_another_versions_entry_is_never_the_guess_nor_deleted(mini, cache_dir, monkeypatch):
    """Two pickgraph versions (or engines) may share a cache: a start reads only an
    entry its own version wrote, and leaves the other's in place; an entry that cannot
    be touched (a read-only cache) is still read."""
    SiteState.from_folder(mini.root)
    (ours,) = entries(cache_dir)
    theirs = cache_dir / ("state-" + "f" * 32)
    shutil.copytree(ours, theirs)
    header = json.loads((theirs / "header.json").read_text())
    header.update(package="0.0.1", entry=theirs.name)
    (theirs / "header.json").write_text(json.dumps(header))
    os.utime(ours, (1, 1))  # theirs is newer
    cache = StateCache(cache_dir)
    assert cache.newest(mini.root) == ours

    def read_only_cache(*args, **kwargs):
        raise PermissionError("read-only file system")

    monkeypatch.setattr(os, "utime", read_only_cache)
    state = SiteState.from_folder(mini.root)
    assert state.from_cache and theirs.exists() and ours.exists()
