"""pickgraph's topic graph: the content model, loading with exact error locations,
the networkx graph, pandas tables and exports.

>>> from pickgraph import graph
>>> tg = graph.load()              # the bundled content (or $PICKGRAPH_CONTENT)
>>> tg.graph.nodes["postgresql"]["type"]
'topic'
>>> f = graph.frames(tg)           # topics, tags, comparisons, related
>>> len(f.comparisons) == len(tg.comparisons)
True
"""

from __future__ import annotations

from .errors import BadRequest, ContentError, NotFound, PickgraphError, Problem
from .loader import BUNDLED_CONTENT, LoadReport, check, load, resolve_folder
from .model import NO_PICK, Comparison, Side, Topic, canonical_slug
from .stats import stats
from .topicgraph import Tag, TopicGraph

__all__ = [
    "BUNDLED_CONTENT",
    "NO_PICK",
    "BadRequest",
    "Comparison",
    "ContentError",
    "LoadReport",
    "NotFound",
    "PickgraphError",
    "Problem",
    "Side",
    "Tag",
    "Topic",
    "TopicGraph",
    "canonical_slug",
    "check",
    "frames",
    "load",
    "resolve_folder",
    "stats",
]


def frames(tg: TopicGraph | None = None):
    """The topic graph as pandas DataFrames (topics, tags, comparisons, related).

    With no argument, loads the bundled content first.
    """
    from .tables import to_frames  # pandas is slow to import; only analysts need it

    return to_frames(tg if tg is not None else load())
