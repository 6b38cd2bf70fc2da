"""Production serving with gunicorn, and content reload without downtime.

The master process loads and indexes the content once, then forks the workers
(``preload_app``), which share that read-only state. On SIGHUP (or, with --watch,
when a content file changes) the master builds a new state off to the side while the
old workers go on serving; if the new content is valid, new workers are forked from
it and the old ones finish their requests and exit. If it is invalid, every problem
is logged with its location and the last good content stays in service.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from gunicorn.app.base import BaseApplication

from pickgraph.graph.errors import ContentError

from . import create_app
from .cache import StateCache, content_signature
from .settings import Settings
from .state import SiteState, too_big_a_drop
from .store import open_store

__all__ = ["PickgraphServer"]

log = logging.getLogger("pickgraph")

# How often --watch looks at the content folder, in seconds.
WATCH_INTERVAL = 1.0


# Settings the background index build has no use for, kept out of its environment.
_BUILDER_WITHOUT = frozenset(
    f"PICKGRAPH_{name}" for name in ("SECRET_KEY", "EDITOR_TOKEN", "DATABASE_URL")
)


def _freeze_heap(collect: bool = True) -> None:
    """Move everything loaded so far out of the garbage collector's reach before the
    workers fork: the loaded content is never freed while it is served, so scanning it
    in every full collection only costs pauses (each stalling every connection of a
    gevent worker), and touching it would unshare the pages the workers share.

    ``collect``: collect first. A reload does (the old state is garbage), and so does
    a start that built its content (a load leaves garbage in cycles: 12,000 objects on
    the bundled content). A warm start skips it, as the gc module's documentation
    advises for a server that forks: the collector stays off from the start to the
    freeze, reading an entry leaves a few hundred objects in cycles at 10k topics (a
    guessed entry read for nothing is collected where it is dropped), and a full pass
    over the loaded heap cost 0.15-0.2 s of a warm start."""
    if collect:
        gc.collect()
    gc.freeze()


def _let_other_connections_run(worker, req, environ, resp) -> None:
    """After each request, give way to the worker's other connections.

    A gevent worker serves each keep-alive connection in a loop; when the client's next
    request is already waiting, reading it does not yield, so a few busy connections
    could be served again and again while others wait (measured: median 0.9 ms but p99
    0.6-1.1 s at 50 connections). The gevent worker patches ``time.sleep``, so this
    yields to its event loop; under the sync worker it only returns.
    """
    time.sleep(0)


class PickgraphServer(BaseApplication):
    """gunicorn running the site on one content folder."""

    def __init__(self, settings: Settings, options: dict, watch: bool = False):
        self.settings = settings
        self.content = str(settings.content)
        self.options = options
        self.watch = watch
        # The collector is off until the loaded heap is frozen (``load``): its passes
        # over a heap that only grows find nothing (``state._collector_paused``).
        self._collector_was_on = gc.isenabled()
        gc.disable()
        try:
            # ContentError: nothing starts. Large uncached content is served at once,
            # its index built in the background (``_start_builder``) and loaded by a
            # reload.
            self.state = SiteState.from_settings(settings, defer_index=True)
            # the feedback schema is made (or migrated) once, here, before any worker
            # exists; a database that cannot be opened stops the start with its reason
            self.store = open_store(settings.database())
            settings.key()  # the signing key exists before any worker looks for it
            self._watcher: threading.Thread | None = None
            self._builder: subprocess.Popen | None = None
            super().__init__()
        except BaseException:
            self._collector_back_on()
            raise

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("preload_app", True)
        self.cfg.set("on_reload", self._on_reload)
        self.cfg.set("when_ready", self._when_ready)
        self.cfg.set("post_request", _let_other_connections_run)
        self.cfg.set("post_fork", self._post_fork)
        self.cfg.set("worker_exit", self._worker_exit)
        self.cfg.set("on_exit", self._on_exit)

    def load(self):
        try:
            self.state.prepare()
        except Exception as exc:  # workers then derive it on first use, as before
            log.warning("pickgraph: not prepared before forking (%s: %s)", type(exc).__name__, exc)
        try:
            app = self._app(self.state)
            _freeze_heap(collect=not self.state.from_cache)
        finally:
            self._collector_back_on()
        return app

    def _collector_back_on(self) -> None:
        if self._collector_was_on:
            gc.enable()

    def _app(self, state: SiteState):
        return create_app(state=state, settings=self.settings)

    # ---------------------------------------------------------------- hooks
    def _post_fork(self, server, worker) -> None:
        """A worker opens its own database connections, never the master's."""
        self.store.dispose()

    def _worker_exit(self, server, worker) -> None:
        """Store the lists this worker counted as shown before it goes."""
        app = getattr(worker, "wsgi", None)
        if app is not None and "pickgraph" in getattr(app, "extensions", {}):
            app.extensions["pickgraph"].feedback.flush()

    def _when_ready(self, arbiter) -> None:
        arbiter.log.info(
            "pickgraph: serving content %s (%d topics, %d comparisons)",
            self.state.version,
            len(self.state.tg.topics),
            len(self.state.tg.comparisons),
        )
        if self.state.index_pending and self._builder is None:
            self._start_builder(arbiter)
        if self.watch and self._watcher is None:
            self._watcher = threading.Thread(
                target=self._watch, args=(arbiter,), daemon=True, name="pickgraph-watch"
            )
            self._watcher.start()

    def _start_builder(self, arbiter) -> None:
        """Build the index of the served content in another process (``pickgraph
        cache fill``, on the cluster PICKGRAPH_SCHEDULER names, if any), then reload
        from the cache entry it wrote; meanwhile the workers compute suggestions on
        demand. A failed build is logged and the site goes on serving."""
        self._stop_builder()  # one at a time: a reload may need a new one
        content = str(Path(self.content).resolve())
        # -P: nothing imported from the server's working folder; the builder gets no
        # secrets it does not need, and its own session, so that stopping the server
        # stops it and its dask workers (and a Ctrl-C in the terminal reaches only us)
        cmd = [sys.executable, "-P", "-m", "pickgraph.web.cli", "cache", "fill"]
        env = {k: v for k, v in os.environ.items() if k not in _BUILDER_WITHOUT}
        env["PICKGRAPH_CACHE"] = str(self.settings.cache)
        proc = subprocess.Popen(
            [*cmd, f"--content={content}"],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,
        )
        self._builder = proc
        arbiter.log.info(
            "pickgraph: serving content %s with suggestions on demand; building its index "
            "in the background (pid %d)",
            self.state.version,
            proc.pid,
        )
        threading.Thread(target=self._await_builder, args=(arbiter, proc), daemon=True).start()

    def _await_builder(self, arbiter, proc: subprocess.Popen) -> None:
        start = time.perf_counter()
        _, err = proc.communicate()
        if proc is not self._builder:  # stopped for a newer one, or at exit
            return
        # Success is the entry being there, not the exit code alone: the arbiter reaps
        # any child that exits, and then the code reads 0 whatever it was.
        written = StateCache(self.settings.cache).holds(Path(self.content))
        if proc.returncode != 0 or not written:
            lines = [line for line in (err or "").splitlines() if line.startswith("pickgraph")]
            arbiter.log.error(
                "pickgraph: background index build failed (exit %d: %s); still serving "
                "content %s with suggestions on demand",
                proc.returncode,
                lines[-1] if lines else "no cache entry written",
                self.state.version,
            )
            return
        arbiter.log.info(
            "pickgraph: index built in %.1f s; reloading to serve it",
            time.perf_counter() - start,
        )
        if self.state.index_pending:  # not replaced by a reload in the meantime
            os.kill(os.getpid(), signal.SIGHUP)

    def _stop_builder(self) -> None:
        """Stop the background build started here, if it still runs, with its session
        (its dask workers included)."""
        proc, self._builder = self._builder, None
        if proc is None or proc.poll() is not None:
            return
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                return
            try:
                proc.wait(timeout=wait)
                return
            except subprocess.TimeoutExpired:
                continue

    def _on_exit(self, arbiter) -> None:
        self._stop_builder()

    def _on_reload(self, arbiter) -> None:
        """Runs in the master on SIGHUP, before new workers are forked."""
        start = time.perf_counter()
        try:
            # prepared here, so that a failure leaves the served state in place
            state = SiteState.from_settings(self.settings, defer_index=True).prepare()
        except ContentError as exc:
            for problem in exc.problems:
                arbiter.log.error("pickgraph: %s", problem)
            arbiter.log.error(
                "pickgraph: reload refused, %d error(s); still serving content %s",
                len(exc.problems),
                self.state.version,
            )
            return
        except Exception as exc:  # an unreadable folder must not take the site down
            arbiter.log.error(
                "pickgraph: reload failed (%s: %s); still serving content %s",
                type(exc).__name__,
                exc,
                self.state.version,
            )
            return
        refusal = too_big_a_drop(self.state.counts, state.counts, self.settings.max_drop)
        if refusal:
            arbiter.log.error(
                "pickgraph: reload refused: %s (MAX_DROP %g; restart to accept it); "
                "still serving content %s",
                refusal,
                self.settings.max_drop,
                self.state.version,
            )
            return
        self.state = state
        self.callable = self._app(state)
        if state.index_pending:  # large content the cache does not hold: as at start
            self._start_builder(arbiter)
        gc.unfreeze()  # so that the old state can be collected, then freeze the new one
        _freeze_heap()
        arbiter.log.info(
            "pickgraph: reloaded content %s in %.2f s", state.version, time.perf_counter() - start
        )

    def _watch(self, arbiter) -> None:
        folder = Path(self.content)
        last = content_signature(folder)
        while True:
            time.sleep(WATCH_INTERVAL)
            now = content_signature(folder)
            if now != last:
                last = now
                arbiter.log.info("pickgraph: content changed, reloading")
                os.kill(os.getpid(), signal.SIGHUP)
