"""Exceptions and problem reports shared by every layer of pickgraph.

Domain errors are raised deep and translated once at the edge: the command line
prints ``path:line:column: message`` and exits 2, the web layer answers 400 or 404.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

__all__ = [
    "PickgraphError",
    "ContentError",
    "NotFound",
    "BadRequest",
    "Problem",
]

Severity = Literal["error", "warning"]


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with a content folder, at an exact place in one file.

    ``line`` and ``column`` are 1-based; 0 means the whole file.
    """

    path: str
    line: int
    column: int
    message: str
    severity: Severity = "error"
    code: str = "invalid"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}:{self.column}: {self.severity}: {self.message}"

    def to_dict(self) -> dict:
        return asdict(self)


class PickgraphError(Exception):
    """Base class of every error pickgraph raises on purpose."""


class ContentError(PickgraphError):
    """A content folder (or one file of it) cannot be loaded.

    ``problems`` lists every error found, not only the first, so an editor fixes
    them all in one pass.
    """

    def __init__(self, problems: list[Problem], message: str | None = None):
        self.problems = sorted(problems)
        if message is None:
            errors = [p for p in self.problems if p.severity == "error"]
            count = len(errors)
            first = f": {errors[0]}" if errors else ""
            message = f"{count} error{'s' if count != 1 else ''} in content{first}"
        super().__init__(message)


class NotFound(PickgraphError, LookupError):
    """A slug names no topic, comparison or tag. ``candidates`` are close matches."""

    def __init__(
        self, what: str, slug: str, candidates: list[str] | None = None, reason: str | None = None
    ):
        self.what = what
        self.slug = slug
        self.candidates = candidates or []
        self.reason = reason
        why = f": {reason}" if reason else ""
        hint = f"; did you mean {', '.join(self.candidates)}?" if self.candidates else ""
        super().__init__(f"unknown {what} {slug[:200]!r}{why}{hint}")


class BadRequest(PickgraphError, ValueError):
    """A query is malformed: a parameter out of range, too many topics, ..."""

    def __init__(self, message: str, parameter: str | None = None):
        self.parameter = parameter
        super().__init__(message)
