"""The precomputed suggestion index: every comparison and topic page, built once.

Built once per content version, so the site serves a page's suggestions with a
lookup. The index stores each page's ranked candidates before diversity (so any
list length up to the maximum can be cut from it); reasons are derived at lookup.

The build computes each topic's affinity row once (the learned ranker's logit of
every topic for it: one PageRank per topic, in batches of columns); a topic page
reads its row and a comparison page its two sides' rows, then the page model gives
every candidate its probability. Up to DENSE_MAX topics the rows are whole and the
index equals on-demand computation exactly; past it each topic keeps its TRUNCATE
best entries (scores then in float32), which leaves the top of each list intact in
practice (docs/performance.md); those entries come from full power iterations or
from a local push PageRank (``PageModel.top_affinities``), whose work per topic
depends on its neighbourhood rather than on the whole graph: by default the power
iterations below PUSH_FROM topics, where they are the cheaper, and the push from
there (benchmarks/push.py). Past DENSE_MAX a page is scored from its seeds'
truncated rows at the topics near it only (``PageModel.score_rows``).
Large builds run their ranges of topics, then of pages, as tasks
on dask.distributed: a LocalCluster on this machine, or any scheduler (``open_tasks``).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import time
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from pickgraph.graph import TopicGraph
from pickgraph.graph.errors import BadRequest, PickgraphError

from .candidates import CANDIDATES, MAX_LIMIT, PageCandidates
from .core import Engine
from .features import FEATURE_PPR, FEATURES, FEATURES_VERSION, PPR_FLOOR, FeatureSpace
from .methods import DEFAULT_METHOD, LearnedRanker
from .pagemodel import PAGE_WEIGHTS, page_model, whole_rows
from .ranker import TRAINING, TRAINING_VERSION, LinearModel

__all__ = [
    "PARALLEL_MIN",
    "SCHEDULER_ENV",
    "SuggestionIndex",
    "Tasks",
    "build_index",
    "index_signature",
    "open_tasks",
]

DENSE_MAX = 4096
TRUNCATE = 512
# The local push's residual threshold (PPR.push) with walk="push": the largest of
# benchmarks/push.py's tolerances giving recall@10 >= 0.99 of the power rows, for rows
# and pages alike, at 10k topics / 100k comparisons with the 3-step feature PageRank
# (1e-5 gave 0.9897 for rows).
PUSH_TOLERANCE = 3e-6
# From this many topics the default walk is the local push: per row it cost 1.6 times
# the power iterations at 10k topics and 0.28 times at 100k (benchmarks/push.py; the
# pages' recall@10 of the power rows' pages at PUSH_TOLERANCE: 1.000 and 0.991).
PUSH_FROM = 30_000
# Columns per sparse-times-dense product. Small blocks keep the dense side in cache:
# at 100k topics, 16 columns cost 1.4 ms per column and step against 2.0 ms for 64.
BATCH = 16
DENSE_BATCH = 64
# Bump when the saved layout or the meaning of its arrays changes.
FORMAT = 5


@dataclass
class _Lists:
    """One ranked list per page, in a fixed-width table: row i holds lengths[i] items."""

    ids: np.ndarray  # (pages, width) int32
    scores: np.ndarray  # (pages, width)
    lengths: np.ndarray  # (pages,) int32

    @classmethod
    def empty(cls, pages: int, width: int, dtype) -> _Lists:
        return cls(
            np.zeros((pages, width), np.int32),
            np.zeros((pages, width), dtype),
            np.zeros(pages, np.int32),
        )

    def put(self, row: int, ids: np.ndarray, scores: np.ndarray) -> None:
        self.ids[row, : len(ids)] = ids
        self.scores[row, : len(ids)] = scores
        self.lengths[row] = len(ids)

    def copy_rows(self, lo: int, part: _Lists) -> None:
        hi = lo + len(part.lengths)
        self.ids[lo:hi], self.scores[lo:hi], self.lengths[lo:hi] = (
            part.ids,
            part.scores,
            part.lengths,
        )

    def rows(self, lo: int, hi: int) -> _Lists:
        return _Lists(self.ids[lo:hi], self.scores[lo:hi], self.lengths[lo:hi])

    def row(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        n = self.lengths[i]
        return self.ids[i, :n].astype(np.int64), self.scores[i, :n].astype(np.float64)

    def used_ids(self) -> np.ndarray:
        mask = np.arange(self.ids.shape[1])[None, :] < self.lengths[:, None]
        return np.unique(self.ids[mask])


_NAMES = ("comparison_comparisons", "comparison_topics", "topic_comparisons", "topic_topics")


def check_index_folder(folder: Path) -> None:
    """Refuse, before anything is built or written, a folder an index must not
    replace: one holding files that are not an earlier index (no ``header.json``), or a
    path with no name of its own (``.``, ``/``). A new or empty folder is fine."""
    folder = Path(folder)
    if folder.resolve().name in ("", "..") or folder.name in ("", ".", ".."):
        raise BadRequest(f"{folder} is not a folder an index can be written to", "out")
    if folder.exists() and not folder.is_dir():
        raise BadRequest(f"{folder} exists and is not a folder", "out")
    if folder.is_dir() and any(folder.iterdir()) and not (folder / "header.json").is_file():
        raise BadRequest(
            f"{folder} holds files that are not a pickgraph index; give a new or empty "
            "folder (an index replaces only an earlier index)",
            "out",
        )


@dataclass
class SuggestionIndex:
    """Ranked candidates of every page of one content version."""

    engine: Engine
    version: str
    comparison_comparisons: _Lists
    comparison_topics: _Lists
    topic_comparisons: _Lists
    topic_topics: _Lists
    stats: dict = field(default_factory=dict)

    def get(self, kind: str, slug: str) -> PageCandidates | None:
        if kind == "comparison":
            i = self.engine.comparison_id.get(slug)
            lists = (self.comparison_comparisons, self.comparison_topics)
        else:
            i = self.engine.topic_id.get(slug)
            lists = (self.topic_comparisons, self.topic_topics)
        if i is None:
            return None
        c_ids, c_scores = lists[0].row(i)
        t_ids, t_scores = lists[1].row(i)
        return PageCandidates(c_ids, c_scores, t_ids, t_scores)

    def referenced_comparisons(self) -> set[str]:
        """Every comparison slug the index can suggest (for leak checks)."""
        ids = np.union1d(self.comparison_comparisons.used_ids(), self.topic_comparisons.used_ids())
        return {self.engine.comparison_slugs[i] for i in ids.tolist()}

    # ------------------------------------------------------------ persistence
    def save(self, folder: str | Path) -> None:
        """Write the index as a folder of ``.npy`` arrays plus ``header.json``.

        Data only (numpy's format without pickles), so reading it back can never run
        code, and every array can be memory-mapped. The folder appears whole or not at
        all: it is written beside its final name and renamed into place.
        """
        folder = Path(folder)
        check_index_folder(folder)
        tmp = folder.with_name(f".{folder.name}.{os.getpid()}.{time.monotonic_ns()}.tmp")
        tmp.mkdir(parents=True)
        try:
            for name in _NAMES:
                lists = getattr(self, name)
                for part in ("ids", "scores", "lengths"):
                    np.save(tmp / f"{name}.{part}.npy", getattr(lists, part), allow_pickle=False)
            header = {**self.header(), "stats": self.stats}
            # the topic ranker it was built with, so that a process loading it answers
            # ad-hoc queries without fitting the ranker again (seconds at 10k topics)
            header["topic_model"] = LearnedRanker.model(self.engine).to_json_dict()
            # and the topics' TF-IDF rows its text feature reads, so that a loading
            # process need not import scikit-learn to build them again (over a second)
            text = FeatureSpace.of(self.engine).text_vectors
            for part in _TEXT_PARTS:
                np.save(tmp / f"text_vectors.{part}.npy", getattr(text, part), allow_pickle=False)
            header["text_vectors_shape"] = list(text.shape)
            (tmp / "header.json").write_text(json.dumps(header, indent=1))
            if folder.exists():
                shutil.rmtree(folder)
            tmp.rename(folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise

    def header(self) -> dict:
        """What the index was built from: content, id numbering, method and format."""
        return {
            "format": FORMAT,
            "version": self.version,
            "fingerprint": _fingerprint(self.engine),
            "signature": index_signature(),
        }

    @classmethod
    def load(cls, folder: str | Path, engine: Engine, mmap: bool = True) -> SuggestionIndex | None:
        """The index saved in ``folder`` if it was built for this engine's content with
        this engine's method and format, else None. Arrays are memory-mapped unless
        ``mmap`` is false, so processes that load the same index share its pages.
        The topic ranker the index was built with becomes ``engine``'s (an engine that
        already has another one gets None)."""
        folder = Path(folder)
        try:
            header = json.loads((folder / "header.json").read_text())
            expected = {
                "format": FORMAT,
                "version": engine.tg.version,
                "fingerprint": _fingerprint(engine),
                "signature": index_signature(),
            }
            if any(header.get(k) != v for k, v in expected.items()):
                return None
            mode = "r" if mmap else None
            lists = {}
            for name in _NAMES:
                parts = [
                    np.load(folder / f"{name}.{part}.npy", mmap_mode=mode, allow_pickle=False)
                    for part in ("ids", "scores", "lengths")
                ]
                lists[name] = _Lists(*parts)
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return None
        n, m = engine.n_topics, len(engine.comparison_slugs)
        rows = {"comparison_comparisons": m, "comparison_topics": m}
        if any(len(lists[k].lengths) != rows.get(k, n) for k in _NAMES):
            return None
        try:
            model = LinearModel.from_json_dict(header["topic_model"])
            stats = dict(header.get("stats") or {})
            text = _load_text_vectors(folder, header["text_vectors_shape"], n, mode)
        except (KeyError, TypeError, ValueError, OSError):
            return None
        # the engine's ranker is the one the index was built with: installed if the
        # engine has none yet, and an engine with another one cannot use this index
        if model.names != FEATURES or LearnedRanker.install(engine, model) != model:
            return None
        space = FeatureSpace.of(engine)
        if "text_vectors" not in vars(space):  # as functools.cached_property keeps it
            space.__dict__["text_vectors"] = text
        index = cls(engine, engine.tg.version, **lists)
        index.stats = stats
        return index


_TEXT_PARTS = ("data", "indices", "indptr")


def _load_text_vectors(folder: Path, shape, n_topics: int, mode) -> sp.csr_matrix:
    """The saved TF-IDF rows, checked to be a well-formed CSR matrix with a row per
    topic (ValueError otherwise)."""
    rows, cols = (int(x) for x in shape)
    data, indices, indptr = (
        np.load(folder / f"text_vectors.{part}.npy", mmap_mode=mode, allow_pickle=False)
        for part in _TEXT_PARTS
    )
    if (
        rows != n_topics
        or cols < 0
        or indptr.shape != (rows + 1,)
        or indptr[0] != 0
        or indptr[-1] != len(data)
        or len(indices) != len(data)
        or (len(indptr) > 1 and np.any(np.diff(indptr) < 0))
        or (len(indices) and (indices.min() < 0 or indices.max() >= cols))
        or data.dtype != np.float64
    ):
        raise ValueError("damaged text vectors")
    return sp.csr_matrix((data, indices, indptr), shape=(rows, cols))


def index_signature() -> dict:
    """The method and sizes an index is built with: a change to any of them makes
    every saved index stale."""
    return {
        "method": DEFAULT_METHOD,
        "features": asdict(FEATURE_PPR),
        "feature_floor": PPR_FLOOR,
        "features_version": FEATURES_VERSION,
        "training": asdict(TRAINING),
        "training_version": TRAINING_VERSION,
        "page_weights": PAGE_WEIGHTS.to_dict() if PAGE_WEIGHTS is not None else None,
        "dense_max": DENSE_MAX,
        "truncate": TRUNCATE,
        "push_tolerance": PUSH_TOLERANCE,
        "candidates": CANDIDATES,
        "topics": MAX_LIMIT,
    }


def _fingerprint(engine: Engine) -> str:
    """Ties an index to the exact id numbering it was built with."""
    h = hashlib.sha256()
    for name in engine.topic_slugs + ["\0"] + engine.comparison_slugs:
        h.update(name.encode() + b"\n")
    return h.hexdigest()[:16]


# ---------------------------------------------------------------- the build


@dataclass
class _Affinities:
    """Every topic's affinity (the learned ranker's logit) to every topic.

    Exact (up to DENSE_MAX topics), the rows are whole and computed exactly as a page
    computes them on demand, so the index equals on-demand pages to the last bit.
    Past it each row keeps its TRUNCATE best entries; the others read as the row's
    smallest kept value, which leaves them behind every kept one.
    """

    n: int
    full: np.ndarray | None = None  # (n, n) when exact
    keep_idx: np.ndarray | None = None  # (n, keep) int32 otherwise
    keep_val: np.ndarray | None = None  # (n, keep) float32

    def rows(self, seeds: list[int]) -> np.ndarray:
        if self.full is not None:
            return self.full[seeds]
        return whole_rows([(self.keep_idx[s], self.keep_val[s]) for s in seeds], self.n)


@dataclass
class _Build:
    """What every task of one build reads: the engine (its matrices and fitted
    models) and how rows are computed. Shipped to each worker once (``share``);
    the engine travels without its content (``Engine.__getstate__``)."""

    engine: Engine
    walk: str  # "exact", "power" or "push"
    keep: int
    tolerance: float


def _topic_rows(build: _Build, bounds: tuple[int, int]):
    """Affinity rows of topics lo..hi-1: whole rows (exact), else each row's ``keep``
    best as (ids, values), by power iterations in batches of BATCH or by push."""
    pm = page_model(build.engine)
    lo, hi = bounds
    if build.walk == "exact":
        return pm.affinities(list(range(lo, hi)))
    idx = np.empty((hi - lo, build.keep), dtype=np.int32)
    val = np.empty((hi - lo, build.keep), dtype=np.float32)
    for start in range(lo, hi, BATCH):
        seeds = list(range(start, min(hi, start + BATCH)))
        rows = slice(start - lo, start - lo + len(seeds))
        if build.walk == "push":
            idx[rows], val[rows] = pm.top_affinities(seeds, build.keep, build.tolerance)
            continue
        aff = pm.affinities(seeds, batch=True)
        part = np.argpartition(-aff, build.keep - 1, axis=1)[:, : build.keep]
        idx[rows], val[rows] = part, np.take_along_axis(aff, part, axis=1)
    return idx, val


def _page_rows(build: _Build, aff: _Affinities, bounds: tuple[int, int]) -> tuple[_Lists, _Lists]:
    """Candidate lists for index rows lo..hi-1 (topic pages, then comparisons)."""
    engine = build.engine
    pm = page_model(engine)
    dtype = np.float64 if build.walk == "exact" else np.float32
    n = engine.n_topics
    lo, hi = bounds
    comps = _Lists.empty(hi - lo, CANDIDATES, dtype)
    topics = _Lists.empty(hi - lo, MAX_LIMIT, dtype)
    for row in range(lo, hi):
        if row < n:
            seeds, page, skip_c = [row], "topic", engine.comparisons_of(row)
        else:
            cid = row - n
            seeds = [int(x) for x in engine.comparison_ends[cid]]
            page, skip_c = "comparison", np.array([cid])
        if aff.full is not None:
            cand = pm.score(seeds, page, skip_c, seeds, aff=aff.rows(seeds))
        else:  # truncated rows: read only the topics near the page
            rows = [(aff.keep_idx[s], aff.keep_val[s]) for s in seeds]
            cand = pm.score_rows(seeds, page, skip_c, seeds, rows)
        comps.put(row - lo, cand.comparisons, cand.comparison_scores)
        topics.put(row - lo, cand.topics, cand.topic_scores)
    return comps, topics


# ---------------------------------------------------------------- where tasks run

# $PICKGRAPH_SCHEDULER: where builds run their tasks when the caller does not say:
# "local" (a LocalCluster on this machine), "serial" (this process), or the address
# of a dask scheduler (tcp://host:8786). Unset: a LocalCluster when the build has at
# least PARALLEL_MIN pages and the machine more than one core, else this process.
SCHEDULER_ENV = "PICKGRAPH_SCHEDULER"
# Below this many pages one process is quicker than starting a cluster (a few seconds).
PARALLEL_MIN = 5_000
# A scheduler's address: protocol://host:port, for the protocols dask speaks.
_ADDRESS = re.compile(r"(tcp|tls|ucx|ws|wss)://(\[[0-9a-fA-F:.]+\]|[\w.-]+):\d{1,5}/?")
# Seconds to wait for a scheduler before the build gives up.
CONNECT_TIMEOUT = 10


class Tasks:
    """Runs a function over ranges, in this process or on a dask cluster.

    ``share`` hands every task the same object: on a cluster it is sent to each
    worker once and read from the worker's memory by every task there, never
    pickled into a task. ``run`` calls ``consume(item, func(*shared, item))`` for
    every item, in the order results arrive, so they are never all held at once.
    """

    def __init__(self, client=None, where: str = "serial"):
        self.client = client
        self.where = where
        self.workers = len(client.scheduler_info()["workers"]) if client is not None else 1

    def share(self, obj):
        if self.client is None:
            return obj
        return self.client.scatter(obj, broadcast=True, hash=False)

    def run(self, func, shared: tuple, items: list, consume) -> None:
        if self.client is None:
            for item in items:
                consume(item, func(*shared, item))
            return
        from dask.distributed import as_completed  # see open_tasks

        pending = {self.client.submit(func, *shared, item, pure=False): item for item in items}
        for future, result in as_completed(list(pending), with_results=True):
            consume(pending.pop(future), result)


@contextmanager
def open_tasks(scheduler=None, parallel: bool = False, workers: int | None = None):
    """Where to run tasks: ``scheduler`` is "serial", "local" (a LocalCluster of
    ``workers`` processes on 127.0.0.1, closed on exit), a scheduler's address, or
    a dask Client to use as it is; None reads $PICKGRAPH_SCHEDULER, and if that is
    unset too, a LocalCluster when ``parallel`` (the work is worth one), else
    serial."""
    given_as = "--scheduler"
    if scheduler is None:
        scheduler = os.environ.get(SCHEDULER_ENV, "").strip() or None
        given_as = f"${SCHEDULER_ENV}"
    if scheduler is None:
        scheduler = "local" if parallel and _cores() > 1 else "serial"
    if isinstance(scheduler, str) and not (
        scheduler in ("serial", "local") or _ADDRESS.fullmatch(scheduler)
    ):
        raise BadRequest(
            f"{given_as} must be 'serial', 'local' or a dask scheduler's address such as "
            f"tcp://host:8786, not {scheduler!r}",
            "scheduler",
        )
    if scheduler == "serial":
        yield Tasks()
        return
    if not isinstance(scheduler, str):
        yield Tasks(scheduler, "client")
        return
    # imported here: dask.distributed takes half a second to import, which every
    # command and serving worker that never runs a parallel build would pay
    from dask.distributed import Client, LocalCluster

    if scheduler != "local":
        try:
            client = Client(scheduler, timeout=CONNECT_TIMEOUT)
        except (OSError, ValueError, TypeError) as exc:
            # OSError: nobody answers; ValueError/TypeError: dask cannot use the address
            # as given (e.g. tls:// without a security configuration)
            raise PickgraphError(
                f"cannot reach the dask scheduler {scheduler}: {type(exc).__name__}: {exc}"
            ) from exc
        with client:
            yield Tasks(client, scheduler)
        return
    cluster = LocalCluster(
        n_workers=workers or _cores(),
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        # no memory limit: dask would otherwise spill the shared engine to disk as
        # pickles under memory pressure (nothing here is written as a pickle)
        memory_limit=0,
        # its health and metrics routes on a free port, on loopback like the rest
        scheduler_kwargs={"dashboard_address": "127.0.0.1:0"},
    )
    with cluster, Client(cluster) as client:
        yield Tasks(client, "local")


def _cores() -> int:
    return min(os.cpu_count() or 1, 8)


def _ranges(total: int, size: int) -> list[tuple[int, int]]:
    return [(lo, min(total, lo + size)) for lo in range(0, total, size)]


def build_index(
    tg_or_engine: TopicGraph | Engine,
    progress=None,
    scheduler=None,
    walk: str = "auto",
    parallel_min: int = PARALLEL_MIN,
) -> SuggestionIndex:
    """Compute every page's ranked candidates with the default method.

    ``scheduler`` says where the tasks run (``open_tasks``; by default a LocalCluster
    for builds of at least ``parallel_min`` pages); the index is the same wherever
    they run. Past DENSE_MAX topics each topic's best entries come from full power
    iterations (``walk="power"``) or from a local push (``"push"``, within a proven
    error bound on its PageRank walks); ``"auto"`` takes the push from PUSH_FROM
    topics.
    ``progress(stage, done, total)`` is called as ranges finish.
    """
    if walk not in ("auto", "push", "power"):
        raise ValueError(f"walk must be 'auto', 'push' or 'power', not {walk!r}")
    start = time.perf_counter()
    engine = tg_or_engine if isinstance(tg_or_engine, Engine) else Engine(tg_or_engine)
    n, m = engine.n_topics, len(engine.comparison_ends)
    page_model(engine).prepare()
    exact = n <= DENSE_MAX
    if walk == "auto":
        walk = "push" if n >= PUSH_FROM else "power"
    build = _Build(engine, "exact" if exact else walk, min(TRUNCATE, n), PUSH_TOLERANCE)
    with open_tasks(scheduler, parallel=n + m >= parallel_min) as tasks:
        shared = tasks.share(build)
        if exact:
            aff = _Affinities(n, full=np.empty((n, n)))
        else:
            shape = (n, build.keep)
            aff = _Affinities(
                n, keep_idx=np.empty(shape, np.int32), keep_val=np.empty(shape, np.float32)
            )
        done = [0]

        def store_rows(bounds, part):
            lo, hi = bounds
            if exact:
                aff.full[lo:hi] = part
            else:
                aff.keep_idx[lo:hi], aff.keep_val[lo:hi] = part
            _report(progress, "topic affinities", done, hi - lo, n)

        size = DENSE_BATCH if exact else BATCH * 32
        tasks.run(_topic_rows, (shared,), _ranges(n, size), store_rows)
        t_vectors = time.perf_counter() - start
        # float64 keeps small builds bit-identical to on-demand pages; float32 halves a
        # large index (whose lists are approximate anyway)
        dtype = np.float64 if exact else np.float32
        comps = _Lists.empty(n + m, CANDIDATES, dtype)
        topics = _Lists.empty(n + m, MAX_LIMIT, dtype)
        done = [0]

        def store_pages(bounds, part):
            comps.copy_rows(bounds[0], part[0])
            topics.copy_rows(bounds[0], part[1])
            _report(progress, "pages", done, bounds[1] - bounds[0], n + m)

        # rows 0..n-1 are topic pages, n..n+m-1 comparison pages
        tasks.run(_page_rows, (shared, tasks.share(aff)), _ranges(n + m, 5_000), store_pages)
    index = SuggestionIndex(
        engine,
        engine.tg.version,
        comps.rows(n, n + m),
        topics.rows(n, n + m),
        comps.rows(0, n),
        topics.rows(0, n),
    )
    index.stats = {
        "pages": n + m,
        "vectors_s": round(t_vectors, 3),
        "total_s": round(time.perf_counter() - start, 3),
        "exact": exact,
        "walk": build.walk,
        "tasks": tasks.where,
        "workers": tasks.workers,
    }
    return index


def _report(progress, stage: str, done: list[int], count: int, total: int) -> None:
    done[0] += count
    if progress:
        progress(stage, done[0], total)
