"""pickgraph's recommendation engine: suggestions with evidence, baselines, evaluation
against reader judgments and by link prediction, the precomputed index, rankings from
picks and missing comparisons.

>>> from pickgraph import engine, graph
>>> rec = engine.Recommender(graph.load())
>>> first = rec.for_topic("kafka", limit=3).comparisons[0]
>>> first.title, first.reasons[0]
('Apache Pulsar vs Redpanda', 'Apache Pulsar is also compared with Apache Kafka')
"""

from __future__ import annotations

from .core import Engine
from .evaluate import evaluate, split
from .gaps import gaps
from .index import SuggestionIndex, build_index
from .judged import evaluate_judged
from .judgments import load_judgments
from .methods import DEFAULT_METHOD, METHODS
from .rank import rankings
from .suggest import Recommender, Suggestion, Suggestions

__all__ = [
    "DEFAULT_METHOD",
    "METHODS",
    "Engine",
    "Recommender",
    "Suggestion",
    "SuggestionIndex",
    "Suggestions",
    "build_index",
    "evaluate",
    "evaluate_judged",
    "gaps",
    "load_judgments",
    "rankings",
    "split",
]
