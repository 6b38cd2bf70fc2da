"""The start-up cache: a built content version kept on disk, as data only.

A restart on unchanged content skips parsing and indexing by reading back what the
last start built. Each entry is a folder holding ``header.json`` (what it was built
from: content version, package version, engine parameters, formats), the content
(``graph.snapshot.write``: the graph as JSON with each comparison's head, and the
comparisons' texts as JSON lines, parsed on demand from a memory-mapped file), the
index as ``.npy`` arrays, and what ``SiteState.prepare`` derives (sets and page lists,
as JSON). Nothing in it can run code, and every field is checked on read (the lines
file against a digest, each comparison again by the strict model when a page first
reads it, the derived lists against the graph):

- an entry's name is a digest of what it was built from: this package version, this
  engine's index signature, this folder, and every content file's name, size,
  modification time, change time and inode, taken before the files were read (an entry
  is not written when they changed during the build). A warm start compares these
  stats, as ``git status`` and ``make`` do, and does not read every file's bytes
  (at 110,000 files that took 1-5 s of a start). Rewriting a file and setting its
  modification time back still changes its change time, which only the system clock
  can forge;
- the header must repeat all of that, its own name included, so a stale, renamed,
  copied or planted entry is refused;
- the cache folder and every entry must belong to this user and be writable by no one
  else, otherwise the cache is not used at all (a line in the log says why);
- entries are written beside their final name and renamed into place, and old ones are
  pruned: the KEEP_PER_FOLDER used last per content folder (reading an entry counts as
  using it), MAX_ENTRIES in all.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import stat
import sys
import threading
import time
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from pickgraph.engine.core import Engine
from pickgraph.engine.index import SuggestionIndex, index_signature
from pickgraph.graph import TopicGraph, snapshot
from pickgraph.graph.snapshot import FOLDER_FORMAT, SnapshotError

from .settings import Settings

__all__ = ["StateCache", "content_signature", "package_version"]

log = logging.getLogger("pickgraph")

# Bump when an entry's layout changes.
CACHE_FORMAT = 6
# What SiteState.prepare derives from the content (sets, lists), kept so that a warm
# start reads it instead of deriving it again.
DERIVED_FILE = "derived.json"
# The current entry and the one before it (a quick way back after a bad edit).
KEEP_PER_FOLDER = 2
# Across every content folder sharing the cache (each entry is a few MB per 1k pages).
MAX_ENTRIES = 16
# A temporary entry older than this was left by a process that died mid-write.
STALE_TMP_SECONDS = 3600


def content_signature(folder: Path) -> tuple:
    """Names, sizes, modification and change times and inodes of every file: changes
    when content does (a file rewritten in place with its old size and modification
    time put back still gets a new change time).

    Hidden files and folders are skipped; names are relative to ``folder``, with
    ``/`` between parts, folders in name order, each folder's files before its
    sub-folders' (one ``scandir`` per folder: this runs on every start and every
    ``--watch`` poll, over 110,000 files at the largest size measured)."""
    out: list[tuple[str, int, int, int, int]] = []
    # a loop over a stack, not a recursive closure: such a closure is a reference
    # cycle holding every stat until the next full collection
    stack = [(os.fspath(folder), "")]
    while stack:
        path, prefix = stack.pop()
        try:
            with os.scandir(path) as found:
                entries = sorted(
                    (e for e in found if not e.name.startswith(".")), key=lambda e: e.name
                )
        except OSError:
            continue
        folders = []
        for entry in entries:
            try:
                if entry.is_dir():  # a link to a folder is not followed, as os.walk
                    if not entry.is_symlink():
                        folders.append((entry.path, f"{prefix}{entry.name}/"))
                    continue
                st = entry.stat()
            except OSError:
                continue
            out.append((prefix + entry.name, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino))
        stack.extend(reversed(folders))
    return tuple(out)


def _gevent_patched() -> bool:
    if "gevent" not in sys.modules:
        return False
    from gevent import monkey  # noqa: PLC0415 - only under gevent

    return monkey.is_module_patched("os")


def package_version() -> str:
    try:
        return metadata.version("pickgraph")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def _untrusted(path: Path) -> str | None:
    """Why ``path`` may not be trusted (another owner, writable by others), or None."""
    st = path.lstat()
    if stat.S_ISLNK(st.st_mode):
        st = path.stat()
    if hasattr(os, "geteuid") and st.st_uid != os.geteuid():
        return f"owned by user id {st.st_uid}, not by this user ({os.geteuid()})"
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return f"writable by {'others' if st.st_mode & stat.S_IWOTH else 'its group'}"
    return None


class StateCache:
    """Built content versions in one folder (see the module docstring)."""

    def __init__(self, base: Path):
        self.base = base

    @classmethod
    def default(cls) -> StateCache | None:
        """The cache the settings name (``CACHE``), or None when it is turned off."""
        base = Settings.read().cache
        return cls(base) if base is not None else None

    def _expected(self, folder: Path) -> dict:
        return {
            "format": CACHE_FORMAT,
            "package": package_version(),
            "snapshot": FOLDER_FORMAT,
            "index": index_signature(),
            "folder": str(folder.resolve()),
        }

    def entry(self, folder: Path) -> Path:
        """Where the entry for ``folder`` as it is now lives (files' stats, settings)."""
        key = json.dumps([self._expected(folder), content_signature(folder)], sort_keys=True)
        return self.base / f"state-{hashlib.sha256(key.encode()).hexdigest()[:32]}"

    def entry_later(self, folder: Path) -> Callable[[], Path]:
        """:meth:`entry`, worked out in a forked child while this process goes on; the
        function returned waits for it (call it once). At 10k topics the 110,000 stats
        take 0.5 s, which a warm start spends reading the entry it expects
        (:meth:`newest`) meanwhile. Worked out here instead when this process cannot
        fork, runs another thread (a fork copies no other thread, whose locks could be
        held) or runs gevent (whose patched ``os.close`` would leave the pipe open), or
        when the pipe, the fork or the child fails."""
        pid = None
        if hasattr(os, "fork") and threading.active_count() == 1 and not _gevent_patched():
            try:
                read_end, write_end = os.pipe()
                try:
                    pid = os.fork()
                except OSError:
                    os.close(read_end)
                    os.close(write_end)
                    raise
            except OSError:
                pid = None
        if pid is None:
            entry = self.entry(folder)
            return lambda: entry
        if pid == 0:  # the child: stats, a digest, then gone without any clean-up
            try:
                os.close(read_end)
                os.write(write_end, self.entry(folder).name.encode())
            finally:
                os._exit(0)
        os.close(write_end)

        def wait() -> Path:
            with os.fdopen(read_end, "rb") as pipe:
                name = pipe.read().decode(errors="replace")
            with contextlib.suppress(ChildProcessError):  # reaped by a SIGCHLD handler
                os.waitpid(pid, 0)
            if not re.fullmatch(r"state-[0-9a-f]{32}", name):
                return self.entry(folder)
            return self.base / name

        return wait

    def newest(self, folder: Path) -> Path | None:
        """The entry for ``folder``, built by this pickgraph and engine, written or read
        last: the one a warm start expects, to read while :meth:`entry_later` names the
        right one (None when there is none). Only an entry whose header says all that
        :meth:`_expected` asks is a candidate, so another version's is never read."""
        if not self._usable(create=False):
            return None
        expected, best = self._expected(folder), None
        for path in self.base.glob("state-*"):
            try:
                header = json.loads((path / "header.json").read_text())
                when = path.stat().st_mtime
            except (OSError, ValueError):
                continue
            ours = isinstance(header, dict) and all(header.get(k) == v for k, v in expected.items())
            if ours and (best is None or when > best[0]):
                best = (when, path)
        return best[1] if best else None

    def holds(self, folder: Path) -> bool:
        """Whether an entry for ``folder`` as it is now is in place (not whether it
        would pass every check on reading)."""
        return self.entry(folder).exists()

    def _usable(self, create: bool) -> bool:
        try:
            if create:
                self.base.mkdir(mode=0o700, parents=True, exist_ok=True)
            elif not self.base.exists():
                return False
            reason = _untrusted(self.base)
        except OSError as exc:
            log.warning("pickgraph: cache folder %s unusable (%s)", self.base, exc)
            return False
        if reason:
            log.warning("pickgraph: not using cache folder %s: %s", self.base, reason)
            return False
        return True

    # ------------------------------------------------------------ reading
    def load(
        self, folder: Path, entry: Path | None = None, guess: bool = False
    ) -> tuple[TopicGraph, SuggestionIndex, bytes | None] | None:
        """The graph and index cached for ``folder`` as it is now (or as it was when
        ``entry`` was named) and the bytes of what the state derived from them (JSON the
        caller validates, None when the entry has none), or None. An entry that fails
        its checks is deleted, unless it was only a ``guess`` (:meth:`newest`)."""
        if not self._usable(create=False):
            return None
        entry = entry or self.entry(folder)
        if not entry.exists():
            return None
        try:
            for path in [entry, *entry.rglob("*")]:
                reason = _untrusted(path)
                if reason:  # not ours to read, nor to delete
                    log.warning("pickgraph: not using cache entry %s: %s", path, reason)
                    return None
            found = self._read(entry, folder)
        except (OSError, ValueError, SnapshotError) as exc:
            found = f"{type(exc).__name__}: {exc}"
        if isinstance(found, str):
            if guess:
                return None
            # stale or damaged: make room for the entry this start will write
            log.warning("pickgraph: replacing cache entry %s (%s)", entry.name, found)
            shutil.rmtree(entry, ignore_errors=True)
            return None
        with contextlib.suppress(OSError):  # a read-only cache is still read
            os.utime(entry)  # used now: newest() and prune() go by last use
        return found

    def _read(self, entry: Path, folder: Path):
        header = json.loads((entry / "header.json").read_text())
        expected = self._expected(folder)
        for key, value in expected.items():
            if header.get(key) != value:
                return f"built with another {key}"
        if header.get("entry") != entry.name:
            return f"built as {header.get('entry')}, not as this entry"
        tg = snapshot.read(entry)
        if tg.version != header.get("content_version"):
            return "its content does not match its header"
        index = SuggestionIndex.load(entry / "index", Engine(tg))
        if index is None:
            return "its index does not match its content or this engine"
        derived = entry / DERIVED_FILE
        return tg, index, derived.read_bytes() if derived.exists() else None

    # ------------------------------------------------------------ writing
    def save(
        self,
        folder: Path,
        tg: TopicGraph,
        index: SuggestionIndex,
        entry: Path | None = None,
        derived: bytes | None = None,
    ) -> None:
        """Keep ``tg``, ``index`` and ``derived`` (what the state derived from them, as
        JSON) for the next start; never fatal. ``entry`` is :meth:`entry` taken before
        ``tg`` was read: when the files changed since, the state is not kept (its name
        would claim content it was not built from)."""
        if not self._usable(create=True):
            return
        if entry is not None and self.entry(folder) != entry:
            log.warning(
                "pickgraph: not caching content %s: files changed while it was read", tg.version
            )
            return
        entry = entry or self.entry(folder)
        tmp = self.base / f".{entry.name}.{os.getpid()}.{time.monotonic_ns()}.tmp"
        try:
            tmp.mkdir(mode=0o700)
            header = {**self._expected(folder), "entry": entry.name, "content_version": tg.version}
            header["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            snapshot.write(tmp, tg)
            index.save(tmp / "index")
            if derived is not None:
                (tmp / DERIVED_FILE).write_bytes(derived)
            (tmp / "header.json").write_text(json.dumps(header, indent=1))
            try:
                tmp.rename(entry)
            except OSError:  # another worker wrote the same entry first: keep theirs
                shutil.rmtree(tmp, ignore_errors=True)
        except OSError as exc:
            shutil.rmtree(tmp, ignore_errors=True)
            log.warning("pickgraph: cannot write cache entry in %s (%s)", self.base, exc)
            return
        self.prune(folder)

    def prune(self, folder: Path) -> None:
        """Drop all but the entries used last, leftovers of interrupted writes, and the
        pickled files of pickgraph versions before this format."""
        entries = []
        now = time.time()
        for path in self.base.iterdir():
            try:
                if path.name.startswith("state-") and path.suffix == ".pickle":
                    path.unlink()
                elif path.name.startswith(".state-") and path.name.endswith(".tmp"):
                    if now - path.stat().st_mtime > STALE_TMP_SECONDS:
                        shutil.rmtree(path, ignore_errors=True)
                elif path.name.startswith("state-") and path.is_dir():
                    header = json.loads((path / "header.json").read_text())
                    entries.append((path.stat().st_mtime, str(header.get("folder")), path))
            except (OSError, ValueError):
                continue
        entries.sort(reverse=True)
        mine = str(folder.resolve())
        same = [e for e in entries if e[1] == mine]
        doomed = {e[2] for e in same[KEEP_PER_FOLDER:]} | {e[2] for e in entries[MAX_ENTRIES:]}
        for path in doomed:
            shutil.rmtree(path, ignore_errors=True)
