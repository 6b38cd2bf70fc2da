"""A page's ranked candidates before a list is cut from them: what the index stores."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["CANDIDATES", "DEFAULT_LIMIT", "MAX_LIMIT", "PageCandidates"]

DEFAULT_LIMIT = 6
MAX_LIMIT = 50
# Candidates kept per page before diversity is applied: enough that a diverse list
# of MAX_LIMIT can almost always be filled.
CANDIDATES = 3 * MAX_LIMIT


@dataclass
class PageCandidates:
    """Comparison and topic ids, best first, with their scores (for the default
    method, the probability that the page's reader wants each one)."""

    comparisons: np.ndarray
    comparison_scores: np.ndarray
    topics: np.ndarray
    topic_scores: np.ndarray
