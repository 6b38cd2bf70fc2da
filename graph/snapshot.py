"""A loaded TopicGraph on disk, and back: data only, never code.

The site keeps a built content version on disk so that a restart on unchanged content
skips parsing: ``write`` puts a graph in a folder and ``read`` brings it back, with the
comparisons' texts read on demand (``graph.lazy``). What is read back is validated by
the same strict models as the YAML, so a damaged or planted file can at worst be
refused, never run. ``to_json`` renders a whole graph as one JSON document.

>>> import tempfile
>>> from pickgraph import graph
>>> tg = graph.load()
>>> with tempfile.TemporaryDirectory() as folder:
...     write(Path(folder), tg)
...     again = read(Path(folder))
...     again.version == tg.version and again.comparisons == tg.comparisons
True
"""

from __future__ import annotations

import hashlib
import json
import mmap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from .errors import PickgraphError, Problem
from .lazy import LazyComparisons
from .model import NO_PICK, Comparison, ComparisonHead, DomainInfo, TagInfo, Topic, canonical_slug
from .topicgraph import TopicGraph

__all__ = ["FOLDER_FORMAT", "SnapshotError", "read", "to_json", "write"]

# A cache entry's content as three files: ``content.json`` (everything a served graph
# needs but the comparisons' texts, with each comparison's head and where its line
# starts), ``comparisons.jsonl`` (one comparison per line, in slug order, read on
# demand) and ``extras.json`` (each file's digest and the lint warnings: what a load
# found that serving never reads, 37 of 48 MB at 10k topics, read on first use).
# Bump when any changes shape: older entries are then refused, not misread.
FOLDER_FORMAT = 2
CONTENT_FILE = "content.json"
COMPARISONS_FILE = "comparisons.jsonl"
EXTRAS_FILE = "extras.json"

_TOPICS = TypeAdapter(dict[str, Topic])
_COMPARISONS = TypeAdapter(dict[str, Comparison])
_DOMAINS = TypeAdapter(dict[str, DomainInfo])


class SnapshotError(PickgraphError):
    """A snapshot that is not one this version of pickgraph wrote."""


def to_json(tg: TopicGraph) -> bytes:
    """Everything a TopicGraph was built from, as one UTF-8 JSON document."""
    doc = _document(tg)
    doc["comparisons"] = _COMPARISONS.dump_python(
        dict(tg.comparisons), mode="json", exclude_defaults=True
    )
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def _document(tg: TopicGraph) -> dict:
    """Everything but the comparisons, as JSON-ready data."""
    return {
        "format": FOLDER_FORMAT,
        "version": tg.version,
        "folder": str(tg.folder) if tg.folder is not None else None,
        "topics": _TOPICS.dump_python(tg.topics, mode="json", exclude_defaults=True),
        # only what tags.yaml said; tag membership is rebuilt from the topics
        "tags": {
            slug: {"name": tag.name, "description": tag.description}
            for slug, tag in tg.tags.items()
        },
        "domains": _DOMAINS.dump_python(tg.domains, mode="json", exclude_none=True),
        "aliases": tg.aliases,
        "files": tg.sources,
        "warnings": [p.to_dict() for p in tg.warnings],
    }


class _FolderDocument(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    format: Literal[FOLDER_FORMAT]  # type: ignore[valid-type]
    version: str
    folder: str | None
    topics: dict[str, Topic]
    # (slug, a, b, pick, weight) per comparison, in slug order
    heads: list[tuple[str, str, str, str, float]]
    offsets: list[int]  # where each line starts, and the file's length last
    comparisons_sha256: str
    extras_sha256: str
    tags: dict[str, TagInfo]
    domains: dict[str, DomainInfo]
    aliases: dict[str, str]


class _Extras(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid")

    files: dict[str, str]
    warnings: list[dict[str, str | int]]


def write(folder: Path, tg: TopicGraph) -> None:
    """Write ``tg`` into ``folder`` (which exists) in the folder layout."""
    lines, offsets, heads = [], [0], []
    for slug in tg.comparisons:
        c = tg.comparisons[slug]
        line = c.model_dump_json(exclude_defaults=True).encode() + b"\n"
        lines.append(line)
        offsets.append(offsets[-1] + len(line))
        heads.append((slug, c.a.topic, c.b.topic, c.pick, c.weight))
    body = b"".join(lines)
    doc = _document(tg)
    extras = _dumps({"files": doc.pop("files"), "warnings": doc.pop("warnings")})
    doc.update(heads=heads, offsets=offsets, comparisons_sha256=_digest(body, heads, offsets))
    doc["extras_sha256"] = hashlib.sha256(extras).hexdigest()
    (folder / EXTRAS_FILE).write_bytes(extras)
    (folder / COMPARISONS_FILE).write_bytes(body)
    (folder / CONTENT_FILE).write_bytes(_dumps(doc))


def _dumps(doc) -> bytes:
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def read(folder: Path) -> TopicGraph:
    """The TopicGraph ``write`` put in ``folder``, its comparisons' texts parsed and
    validated on first use from the memory-mapped lines file; SnapshotError if the
    folder does not hold such a snapshot intact (the lines file is checked against
    the digest written with it, every head against the topics)."""
    try:
        doc = _FolderDocument.model_validate_json((folder / CONTENT_FILE).read_bytes())
    except ValidationError as exc:
        raise SnapshotError(f"damaged content snapshot ({type(exc).__name__})") from None
    extras_path = folder / EXTRAS_FILE
    lines = _map(folder / COMPARISONS_FILE)
    # the two files' digests are taken in another thread (hashlib lets go of the
    # interpreter lock over large buffers) while this one checks the heads
    hashing = ThreadPoolExecutor(1, thread_name_prefix="pickgraph-digest")
    try:
        lines_sha = hashing.submit(hashlib.sha256, lines)
        extras_sha = hashing.submit(lambda: hashlib.sha256(extras_path.read_bytes()).hexdigest())
        try:
            heads, row = _checked_heads(doc, lines)
        except SnapshotError as exc:
            damaged: SnapshotError | None = exc  # said after the digests, as they come first
        else:
            damaged = None
        if extras_sha.result() != doc.extras_sha256:
            raise SnapshotError("damaged content snapshot (its extras do not match)")
        digest = lines_sha.result()
        digest.update(_index_json(doc.heads, doc.offsets))
        if digest.hexdigest() != doc.comparisons_sha256:
            raise SnapshotError("damaged content snapshot (its comparisons do not match)")
        if damaged is not None:
            raise damaged
    finally:
        hashing.shutdown(wait=True, cancel_futures=True)

    def extras() -> tuple[dict[str, str], list[Problem]]:
        raw = extras_path.read_bytes()
        try:
            if hashlib.sha256(raw).hexdigest() != doc.extras_sha256:
                raise ValueError("changed since it was read")
            found = _Extras.model_validate_json(raw)
            return found.files, [Problem(**p) for p in found.warnings]  # type: ignore[arg-type]
        except (ValueError, TypeError) as exc:  # ValidationError is a ValueError
            raise SnapshotError(f"damaged content snapshot extras ({exc})") from None

    topics, offsets = doc.topics, doc.offsets
    for alias, slug in doc.aliases.items():
        if slug not in topics:
            raise SnapshotError(f"damaged content snapshot (alias {alias!r})")

    def fetch(slug: str) -> Comparison:
        i = row[slug]
        return Comparison.model_validate_json(lines[offsets[i] : offsets[i + 1]])

    return TopicGraph(
        topics=topics,
        comparisons=LazyComparisons(heads, fetch),
        tag_info=doc.tags,
        domains=doc.domains,
        aliases=doc.aliases,
        folder=Path(doc.folder) if doc.folder is not None else None,
        version=doc.version,
        extras=extras,
    )


def _checked_heads(doc: _FolderDocument, lines) -> tuple[dict[str, ComparisonHead], dict[str, int]]:
    """Each comparison's head and its line's number, every head checked against the
    topics and the line offsets; SnapshotError at the first that does not hold."""
    offsets, topics = doc.offsets, doc.topics
    if len(offsets) != len(doc.heads) + 1 or offsets[0] != 0 or offsets[-1] != len(lines):
        raise SnapshotError("damaged content snapshot (line offsets)")
    heads: dict[str, ComparisonHead] = {}
    row: dict[str, int] = {}
    previous, end = "", len(lines)
    for i, (slug, a, b, pick, weight) in enumerate(doc.heads):
        if (
            slug <= previous
            or a == b
            or slug != canonical_slug(a, b)
            or a not in topics
            or b not in topics
            or pick not in (a, b, NO_PICK)
            or not 0 < weight <= 1
            or not offsets[i] < offsets[i + 1] <= end
            or lines[offsets[i + 1] - 1] != 10  # each line ends where the next begins
        ):
            raise SnapshotError(f"damaged content snapshot (comparison {slug!r})")
        heads[slug] = ComparisonHead(a, b, pick, weight)
        row[slug] = i
        previous = slug
    return heads, row


def _index_json(heads, offsets) -> bytes:
    return json.dumps([heads, offsets], separators=(",", ":")).encode()


def _digest(lines, heads, offsets) -> str:
    """One SHA-256 over the lines file and the heads and offsets that index it."""
    digest = hashlib.sha256(lines)
    digest.update(_index_json(heads, offsets))
    return digest.hexdigest()


def _map(path: Path):
    """The file's bytes, memory-mapped read-only (shared by every process that maps
    it), or empty bytes for an empty file (which cannot be mapped)."""
    with open(path, "rb") as f:
        if f.seek(0, 2) == 0:
            return b""
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
