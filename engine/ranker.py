"""The learned topic ranker: logistic regression over FEATURES, trained on the graph's
own hidden comparisons.

Training needs no labels from anyone: hide a share of the graph's comparisons (and the
related links between their topics), then learn which features pick out the hidden
partner of each endpoint among every other topic. Because it learns from the graph it
is given, the ranker adapts to any content; because an evaluation split builds its
Engine from the training graph only, every evaluation of it is nested by construction.

Rows are restricted to what serving sees: query and candidate topics that keep at
least one comparison after hiding (every topic of real content is in a comparison, so
a topic left with none exists only because of the hold-out and would teach the
ranker to look for holes).
"""

from __future__ import annotations

import json
import multiprocessing as mp
import threading
from dataclasses import asdict, dataclass

import numpy as np

from .core import Engine
from .features import FEATURES, FeatureSpace
from .holdout import choose_hidden, hide

__all__ = ["FitAhead", "LinearModel", "fit_topic_model", "TRAINING", "TRAINING_VERSION"]


@dataclass(frozen=True)
class TrainingPlan:
    # Independent hide-and-learn rounds, each hiding this share of the comparisons.
    rounds: int = 3
    share: float = 0.1
    # At most this many queries in all (the rounds stop once they have them: past about
    # 5,000 comparisons the first round has them all), and this many candidates per
    # query past SMALL topics (the target plus the best by PageRank and Adamic-Adar,
    # plus a random sample): the candidates a large graph's pages are re-ranked from.
    # A thousand queries are some 300,000 rows for eight weights; each further round
    # costs a hidden copy of the graph and an engine built on it (docs/performance.md).
    max_queries: int = 1000
    candidates: int = 300
    small: int = 3000
    # Inverse L2 strength: mild, the features are few and standardised.
    c: float = 1.0
    seed: int = 0


TRAINING = TrainingPlan()
# Raised when the same plan draws its rows differently, so that saved indexes (which
# carry the fitted model) go stale: 2 counts max_queries over all rounds, not per round.
TRAINING_VERSION = 2


@dataclass(frozen=True)
class LinearModel:
    """``sigmoid(X @ coef + intercept)`` over raw feature columns."""

    names: tuple[str, ...]
    coef: tuple[float, ...]
    intercept: float
    rows: int = 0
    positives: int = 0

    def logits(self, x: np.ndarray) -> np.ndarray:
        return x @ np.asarray(self.coef) + self.intercept

    def to_dict(self) -> dict:
        return {
            "features": dict(zip(self.names, [round(c, 6) for c in self.coef], strict=True)),
            "intercept": round(self.intercept, 6),
            "rows": self.rows,
            "positives": self.positives,
        }

    def to_json_dict(self) -> dict:
        """Every field at full precision (JSON floats round-trip exactly), for a saved
        index to carry the model it was built with."""
        return asdict(self)

    @classmethod
    def from_json_dict(cls, doc: dict) -> LinearModel:
        """The model ``to_json_dict`` wrote; ValueError if ``doc`` is not one."""
        try:
            names = tuple(str(n) for n in doc["names"])
            coef = tuple(float(c) for c in doc["coef"])
            intercept = float(doc["intercept"])
            rows, positives = int(doc["rows"]), int(doc["positives"])
        except (KeyError, TypeError, ValueError, OverflowError) as exc:
            raise ValueError(f"not a saved model ({type(exc).__name__})") from None
        if len(names) != len(coef) or not np.all(np.isfinite([*coef, intercept])):
            raise ValueError("not a saved model (a finite coefficient per feature)")
        return cls(names, coef, intercept, rows, positives)


def _rows(space: FeatureSpace, query: int, target: int, plan, rng) -> tuple[np.ndarray, np.ndarray]:
    e = space.engine
    x = space.columns(query)
    ok = e.comparison_degree > 0
    ok[query] = False
    ok[e.partners(query)] = False
    cand = np.flatnonzero(ok)
    if e.n_topics > plan.small and len(cand) > plan.candidates:
        best = cand[np.argsort(-(x[cand, 0] + x[cand, 1]), kind="stable")[: plan.candidates // 2]]
        extra = rng.choice(cand, size=plan.candidates // 2, replace=False)
        cand = np.union1d(np.union1d(best, extra), [target])
    return x[cand], (cand == target).astype(np.int8)


def fit_topic_model(engine: Engine, plan: TrainingPlan = TRAINING) -> LinearModel:
    """Learn FEATURES' weights from ``engine``'s own graph (see the module docstring).

    >>> from pickgraph import graph
    >>> m = fit_topic_model(Engine(graph.load()))
    >>> m.names == FEATURES and m.positives > 100
    True
    """
    # imported here for the reason given in features.FeatureSpace.text_vectors
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    tg = engine.tg
    xs, ys = [], []
    room = plan.max_queries  # queries still wanted
    for r in range(plan.rounds):
        rng = np.random.default_rng([plan.seed, r])
        if len(tg.comparisons) < 10 or room < 2:
            break
        hidden = choose_hidden(tg, plan.share, rng)
        if len(hidden) * 2 > room:
            keep = rng.choice(len(hidden), size=room // 2, replace=False)
            hidden = [hidden[i] for i in sorted(keep)]
        room -= 2 * len(hidden)
        inner = Engine(hide(tg, hidden, f"fit-{r}"))
        space = FeatureSpace(inner)
        for c in hidden:
            a, b = inner.topic_id[c.a.topic], inner.topic_id[c.b.topic]
            for query, target in ((a, b), (b, a)):
                if inner.comparison_degree[query] == 0 or inner.comparison_degree[target] == 0:
                    continue
                x, y = _rows(space, query, target, plan, rng)
                xs.append(x)
                ys.append(y)
    if not xs or sum(int(y.sum()) for y in ys) < 2:
        # too little content to learn from: rank by the two neighbourhood signals
        coef = tuple(1.0 if n in ("ppr", "aa_tags") else 0.0 for n in FEATURES)
        return LinearModel(FEATURES, coef, 0.0)
    x, y = np.vstack(xs), np.concatenate(ys)
    scaler = StandardScaler().fit(x)
    scale = np.where(scaler.scale_ > 0, scaler.scale_, 1.0)
    lr = LogisticRegression(C=plan.c, max_iter=2000).fit((x - scaler.mean_) / scale, y)
    coef = lr.coef_[0] / scale
    intercept = float(lr.intercept_[0] - (lr.coef_[0] * scaler.mean_ / scale).sum())
    return LinearModel(FEATURES, tuple(float(c) for c in coef), intercept, len(y), int(y.sum()))


# How long a start waits for the child's ranker before fitting its own: far more than
# a fit takes (seconds at 10k topics, about a minute at 100k), so that only a child
# that is stuck (stopped, swapping) is given up on.
FIT_TIMEOUT = 1800.0


class FitAhead:
    """The ranker of a graph, fitted in a forked child while this process goes on.

    A server that starts on content its cache does not hold must fit the ranker before
    it serves (seconds at 10k topics), and has other start-up work that does not need
    it (the search index, the home page's lists, the feature tables). On a machine with
    a second core the child fits while the parent does that work. The child computes
    exactly what ``fit_topic_model(Engine(tg))`` computes here, and sends it back as
    JSON (``LinearModel.to_json_dict``, floats that round-trip exactly), never as a
    pickle. ``start`` returns None where a fork is unsafe (another thread could hold a
    lock the child would wait on forever) or pointless (one core); ``result`` returns
    None if the child failed, and the caller then fits in its own process.
    """

    def __init__(self, process, conn):
        self._process = process
        self._conn = conn

    @classmethod
    def start(cls, tg) -> FitAhead | None:
        if (
            threading.active_count() > 1
            or "fork" not in mp.get_all_start_methods()
            or (mp.cpu_count() or 1) < 2
        ):
            return None
        ctx = mp.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        process = ctx.Process(target=_fit_and_send, args=(tg, send), daemon=True)
        try:
            process.start()
        except OSError:  # no fork (out of memory, too many processes): fit here
            receive.close()
            send.close()
            return None
        send.close()  # the child's end: EOF here once the child has gone
        return cls(process, receive)

    def result(self, timeout: float | None = None) -> LinearModel | None:
        """The child's model, waiting for it at most ``timeout`` seconds (FIT_TIMEOUT
        by default); None if it failed or did not answer in time."""
        try:
            if not self._conn.poll(FIT_TIMEOUT if timeout is None else timeout):
                return None
            return LinearModel.from_json_dict(json.loads(self._conn.recv_bytes()))
        except (EOFError, OSError, ValueError):
            return None
        finally:
            self.close()

    def close(self) -> None:
        """Stop waiting: end the child if it still runs, and reap it."""
        self._conn.close()
        if self._process.is_alive():
            self._process.terminate()
            self._process.join(timeout=5)
        if self._process.is_alive():  # a stopped child does not act on SIGTERM
            self._process.kill()
        self._process.join(timeout=5)


def _fit_and_send(tg, conn) -> None:
    model = fit_topic_model(Engine(tg))
    conn.send_bytes(json.dumps(model.to_json_dict()).encode())
    conn.close()
