"""A loaded TopicGraph as plain JSON, and back: data only, never code.

The site keeps a built content version on disk so that a restart on unchanged content
skips parsing. What is read back is validated by the same strict models as the YAML,
so a damaged or planted file can at worst be refused, never run.

>>> from pickgraph import graph
>>> tg = graph.load()
>>> again = from_json(to_json(tg))
>>> again.version == tg.version and again.comparisons == tg.comparisons
True
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from .errors import PickgraphError, Problem
from .model import Comparison, DomainInfo, TagInfo, Topic
from .topicgraph import TopicGraph

__all__ = ["SNAPSHOT_FORMAT", "SnapshotError", "from_json", "to_json"]

# Bump when the shape below changes: older snapshots are then refused, not misread.
SNAPSHOT_FORMAT = 1

_TOPICS = TypeAdapter(dict[str, Topic])
_COMPARISONS = TypeAdapter(dict[str, Comparison])
_DOMAINS = TypeAdapter(dict[str, DomainInfo])


class _Document(BaseModel):
    """A whole snapshot, validated in one pass by pydantic-core's own JSON parser
    (at 100k comparisons a third faster than ``json.loads`` and then validating)."""

    model_config = ConfigDict(strict=True, extra="forbid")

    format: Literal[SNAPSHOT_FORMAT]  # type: ignore[valid-type]
    version: str
    folder: str | None
    topics: dict[str, Topic]
    comparisons: dict[str, Comparison]
    tags: dict[str, TagInfo]
    domains: dict[str, DomainInfo]
    aliases: dict[str, str]
    files: dict[str, str]
    warnings: list[dict[str, str | int]]


class SnapshotError(PickgraphError):
    """A snapshot that is not one this version of pickgraph wrote."""


def _other_format(data: bytes) -> bool:
    """Whether ``data`` is a JSON document without this snapshot format's mark (rather
    than a damaged one)."""
    try:
        doc = json.loads(data)
    except ValueError:
        return False
    return not isinstance(doc, dict) or doc.get("format") != SNAPSHOT_FORMAT


def to_json(tg: TopicGraph) -> bytes:
    """Everything a TopicGraph was built from, as UTF-8 JSON."""
    doc = {
        "format": SNAPSHOT_FORMAT,
        "version": tg.version,
        "folder": str(tg.folder) if tg.folder is not None else None,
        "topics": _TOPICS.dump_python(tg.topics, mode="json", exclude_defaults=True),
        "comparisons": _COMPARISONS.dump_python(tg.comparisons, mode="json", exclude_defaults=True),
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
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()


def from_json(data: bytes) -> TopicGraph:
    """The TopicGraph ``to_json`` wrote; SnapshotError if it is not such a document."""
    try:
        doc = _Document.model_validate_json(data)
        warnings = [Problem(**p) for p in doc.warnings]  # type: ignore[arg-type]
    except (ValidationError, TypeError) as exc:
        if _other_format(data):
            raise SnapshotError("not a pickgraph content snapshot of this format") from None
        raise SnapshotError(f"damaged content snapshot ({type(exc).__name__})") from None
    topics, comparisons, aliases = doc.topics, doc.comparisons, doc.aliases
    for slug, comp in comparisons.items():
        if comp.slug != slug or comp.a.topic not in topics or comp.b.topic not in topics:
            raise SnapshotError(f"damaged content snapshot (comparison {slug!r})")
    for alias, slug in aliases.items():
        if slug not in topics:
            raise SnapshotError(f"damaged content snapshot (alias {alias!r})")
    return TopicGraph(
        topics=topics,
        comparisons=comparisons,
        tag_info=doc.tags,
        domains=doc.domains,
        aliases=aliases,
        folder=Path(doc.folder) if doc.folder is not None else None,
        version=doc.version,
        sources=doc.files,
        warnings=warnings,
    )
