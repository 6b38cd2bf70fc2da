"""Synthetic content for benchmarks: N topics, M comparisons, T tags, realistic text.

The shape imitates the bundled content: topics fall into domains, most tags and most
comparisons stay inside a domain, a few cross it, and popular topics are compared more
often than others. Text has the lengths real content has (a summary of a few
sentences, pros and cons of one line), built from a fixed vocabulary so the lint has
nothing to object to. Everything is deterministic for a given seed.

Used by ``load.py`` (writes YAML files), ``engine.py``, ``push.py``, ``pages.py`` and
``web.py``; ``run_child`` runs the measuring scripts of the last three in a fresh process.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Spec", "generate_files", "generate_graph"]

_WORDS = [
    "cluster",
    "cache",
    "index",
    "schema",
    "query",
    "stream",
    "batch",
    "shard",
    "replica",
    "queue",
    "worker",
    "build",
    "deploy",
    "runtime",
    "compiler",
    "module",
    "plugin",
    "driver",
    "adapter",
    "gateway",
    "router",
    "handler",
    "session",
    "token",
    "policy",
    "secret",
    "metric",
    "trace",
    "span",
    "alert",
    "dashboard",
    "pipeline",
    "job",
    "task",
    "scheduler",
    "container",
    "image",
    "registry",
    "volume",
    "network",
    "service",
    "endpoint",
    "request",
    "response",
    "latency",
    "throughput",
    "memory",
    "storage",
    "column",
    "row",
    "table",
    "document",
    "graph",
    "node",
    "edge",
    "vector",
    "search",
    "ranking",
    "model",
    "feature",
    "dataset",
    "notebook",
    "frame",
    "partition",
    "commit",
    "branch",
    "review",
    "release",
    "version",
    "upgrade",
    "migration",
    "backup",
    "restore",
    "snapshot",
    "tenant",
    "region",
    "zone",
    "edge",
    "proxy",
    "mesh",
    "sidecar",
    "operator",
    "controller",
    "manifest",
    "template",
]
_VERBS = [
    "handles",
    "scales",
    "serves",
    "stores",
    "ships",
    "tunes",
    "caches",
    "routes",
    "checks",
    "streams",
]


@dataclass(frozen=True)
class Spec:
    topics: int = 10_000
    comparisons: int = 100_000
    tags: int = 1_000
    domains: int = 20
    seed: int = 7
    # Share of comparisons that close a triangle (A vs B where A and B were both
    # compared with some C), as alternatives in one niche are on real sites. The
    # default 0 keeps the graphs every other benchmark was measured on.
    closure: float = 0.0

    def label(self) -> str:
        text = f"{self.topics} topics / {self.comparisons} comparisons / {self.tags} tags"
        return text + (f" / closure {self.closure}" if self.closure else "")


def _sentence(rng: random.Random, words: int) -> str:
    picked = [rng.choice(_WORDS) for _ in range(words)]
    picked.insert(1, rng.choice(_VERBS))
    return (" ".join(picked)).capitalize()


def _plan(spec: Spec):
    """Topic slugs, their domain, their tags, and the comparison pairs."""
    if spec.comparisons > spec.topics * (spec.topics - 1) // 2:
        raise ValueError("more comparisons than topic pairs")
    rng = random.Random(spec.seed)
    topics = [f"topic-{i}" for i in range(spec.topics)]
    domain_of = [i % spec.domains for i in range(spec.topics)]
    tags = [f"tag-{i}" for i in range(spec.tags)]
    tag_domain = [i % spec.domains for i in range(spec.tags)]
    tags_by_domain: dict[int, list[str]] = {}
    for t, d in zip(tags, tag_domain, strict=True):
        tags_by_domain.setdefault(d, []).append(t)
    related = []
    for i in range(spec.topics):
        own = tags_by_domain.get(domain_of[i]) or tags
        chosen = set(rng.sample(own, min(len(own), rng.randint(2, 3))))
        if rng.random() < 0.3:
            chosen.add(rng.choice(tags))
        related.append(sorted(chosen))
    by_domain: dict[int, list[int]] = {}
    for i, d in enumerate(domain_of):
        by_domain.setdefault(d, []).append(i)
    # Popularity: a few topics are compared far more often (Zipf-like weights).
    cum, total = [], 0.0
    for i in range(spec.topics):
        total += 1.0 / (1 + (i // spec.domains)) ** 0.6
        cum.append(total)
    population = range(spec.topics)
    pairs: set[tuple[int, int]] = set()
    partners: list[list[int]] = [[] for _ in range(spec.topics)]
    while len(pairs) < spec.comparisons:
        if rng.random() < 0.5:
            a = rng.choices(population, cum_weights=cum)[0]
        else:
            a = rng.randrange(spec.topics)
        if spec.closure and partners[a] and rng.random() < spec.closure:
            b = rng.choice(partners[rng.choice(partners[a])])
        else:
            pool = by_domain[domain_of[a]] if rng.random() < 0.85 else None
            b = rng.choice(pool) if pool else rng.randrange(spec.topics)
        if a != b and (min(a, b), max(a, b)) not in pairs:
            pairs.add((min(a, b), max(a, b)))
            partners[a].append(b)
            partners[b].append(a)
    ordered = sorted(pairs)
    rng.shuffle(ordered)
    return rng, topics, domain_of, related, tags, ordered


def _side(rng: random.Random, slug: str) -> dict:
    return {
        "topic": slug,
        "pros": [_sentence(rng, rng.randint(8, 14)) for _ in range(rng.randint(2, 4))],
        "cons": [_sentence(rng, rng.randint(8, 14)) for _ in range(rng.randint(1, 3))],
        "choose_if": _sentence(rng, 16),
    }


def _comparison(rng: random.Random, a: str, b: str) -> dict:
    pick = rng.choice([a, b, a, b, "none"])
    data = {
        "a": _side(rng, a),
        "b": _side(rng, b),
        "pick": pick,
        "verdict": ". ".join(_sentence(rng, 12) for _ in range(3)) + ".",
        "bottom_line": _sentence(rng, 14),
        "reviewed": dt.date(2026, 1 + rng.randrange(11), 1 + rng.randrange(28)),
        "weight": round(rng.choice([1.0, 1.0, 0.8, 0.5]), 2),
    }
    if pick == "none":
        data["no_pick_reason"] = _sentence(rng, 12)
    return data


def _topic(rng: random.Random, slug: str, domain: int, related: list[str]) -> dict:
    return {
        "slug": slug,
        "name": slug.replace("-", " ").title(),
        "kind": rng.choice(["tool", "framework", "library", "database", "service"]),
        "domain": f"domain-{domain}",
        "summary": ". ".join(_sentence(rng, 14) for _ in range(3)) + ".",
        "related": related,
    }


def generate_files(spec: Spec, out: Path) -> Path:
    """Write a content folder for ``spec`` under ``out`` and return it."""
    import yaml

    rng, topics, domain_of, related, tags, pairs = _plan(spec)
    dump = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    (out / "topics").mkdir(parents=True, exist_ok=True)
    (out / "comparisons").mkdir(parents=True, exist_ok=True)
    domains = {f"domain-{d}": {"name": f"Domain {d}"} for d in range(spec.domains)}
    (out / "domains.yaml").write_text(yaml.dump(domains, Dumper=dump, sort_keys=False))
    tag_info = {
        t: {"name": t.replace("-", " ").capitalize(), "description": _sentence(rng, 10)}
        for t in tags
    }
    (out / "tags.yaml").write_text(yaml.dump(tag_info, Dumper=dump, sort_keys=False))
    for i, slug in enumerate(topics):
        data = _topic(rng, slug, domain_of[i], related[i])
        (out / "topics" / f"{slug}.yaml").write_text(
            yaml.dump(data, Dumper=dump, sort_keys=False, width=88)
        )
    for a, b in pairs:
        data = _comparison(rng, topics[a], topics[b])
        (out / "comparisons" / f"{topics[a]}-vs-{topics[b]}.yaml").write_text(
            yaml.dump(data, Dumper=dump, sort_keys=False, width=88)
        )
    return out


def generate_graph(spec: Spec):
    """Build a TopicGraph for ``spec`` in memory, without files (for engine benchmarks).

    Text is one short fixed sentence per field: the engine never reads it, and
    generating real-length text for a million comparisons would dominate the run.
    """
    from pickgraph.graph.model import Comparison, DomainInfo, Side, Topic
    from pickgraph.graph.topicgraph import TopicGraph

    rng, topics, domain_of, related, tags, pairs = _plan(spec)
    text = "Synthetic text for a benchmark run"
    topic_models = {
        slug: Topic.model_construct(
            slug=slug,
            name=slug,
            kind="tool",
            domain=f"domain-{domain_of[i]}",
            summary=text,
            related=related[i],
            aliases=[],
            homepage=None,
        )
        for i, slug in enumerate(topics)
    }
    reviewed = dt.date(2026, 1, 1)
    comparisons = {}
    for a, b in pairs:
        sa, sb = topics[a], topics[b]
        pick = rng.choice([sa, sb, sa, sb, "none"])
        model = Comparison.model_construct(
            a=Side.model_construct(
                topic=sa, pros=[text], cons=[text], choose_if=text, summary=None
            ),
            b=Side.model_construct(
                topic=sb, pros=[text], cons=[text], choose_if=text, summary=None
            ),
            pick=pick,
            no_pick_reason=text if pick == "none" else None,
            verdict=text,
            bottom_line=text,
            reviewed=reviewed,
            weight=rng.choice([1.0, 1.0, 0.8, 0.5]),
        )
        comparisons[model.slug] = model
    domains = {f"domain-{d}": DomainInfo(name=f"Domain {d}") for d in range(spec.domains)}
    return TopicGraph(
        topics=topic_models,
        comparisons=comparisons,
        tag_info={},
        domains=domains,
        aliases={},
        version=f"synthetic-{spec.seed}",
    )


def sample_pages(engine, pages: int, seed: int):
    """A sample of ``pages`` pages of ``engine``'s graph, half topic pages and half
    comparison pages, as (topic ids, comparison ids, the distinct topics they seed)."""
    import numpy as np

    n, m = engine.n_topics, len(engine.comparison_ends)
    rng = np.random.default_rng(seed)
    topic_pages = rng.choice(n, pages // 2, replace=False)
    comparison_pages = rng.choice(m, pages - pages // 2, replace=False)
    seeds = np.unique(np.r_[topic_pages, engine.comparison_ends[comparison_pages].ravel()])
    return topic_pages, comparison_pages, seeds


def run_child(template: str, args: tuple) -> dict:
    """Run a benchmark's measuring script in a fresh process (so that its peak memory
    is its own) and return the JSON object its last line prints. ``template`` is Python
    source with ``{root}``, ``{here}`` and ``{args}`` to fill in."""
    import json
    import subprocess
    import sys

    here = Path(__file__).resolve().parent
    code = template.format(root=str(here.parent), here=str(here), args=repr(args))
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(proc.stderr)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def parse_sizes(text: str) -> list[tuple[int, int]]:
    """``"10000x100000,100000x1000000"`` as [(topics, comparisons), ...]: an argparse
    ``type``, whose error names the part that is not TOPICSxCOMPARISONS with at least 2
    topics and 1 comparison."""
    from argparse import ArgumentTypeError

    sizes = []
    for part in text.split(","):
        try:
            topics, comparisons = (int(x) for x in part.lower().split("x"))
        except ValueError:
            msg = f"{part!r} is not TOPICSxCOMPARISONS, such as 10000x100000"
            raise ArgumentTypeError(msg) from None
        if topics < 2 or comparisons < 1:
            raise ArgumentTypeError(f"{part!r}: at least 2 topics and 1 comparison")
        sizes.append((topics, comparisons))
    return sizes
