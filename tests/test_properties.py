"""Property tests: whatever bytes or YAML an editor writes, the loader only ever
reports problems (ContentError), never crashes."""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pickgraph import graph
from pickgraph.graph.errors import ContentError
from pickgraph.graph.yamlsource import YAML11_BOOLEANS, parse_yaml

MINI = Path(__file__).parent / "fixtures" / "mini"
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def load_with(files: dict[str, bytes]):
    """Copy the mini fixture, write ``files`` over it, load; return graph or problems."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "content"
        shutil.copytree(MINI, root)
        for rel, data in files.items():
            (root / rel).write_bytes(data)
        report = graph.check(root)  # must never raise
        for p in report.problems:
            assert p.line >= 0 and p.column >= 0 and p.message
        try:
            return graph.load(root)
        except ContentError as exc:
            assert exc.problems
            return exc


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_topic(data):
    load_with({"topics/redis.yaml": data})


@SETTINGS
@given(st.binary(max_size=400))
def test_arbitrary_bytes_as_comparison(data):
    load_with({"comparisons/redis-vs-memcached.yaml": data})


@SETTINGS
@given(st.text(max_size=300))
def test_arbitrary_text_parses_or_reports(text):
    parsed = parse_yaml(text.encode("utf-8", "surrogatepass"), "f.yaml")
    assert parsed.data is not None or parsed.problems or text.strip() == "" or parsed.root


scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=40),
    st.dates(min_value=dt.date(1900, 1, 1)),
    st.sampled_from(["redis", "memcached", "none", "no", "yes", "caching", "databases"]),
)
documents = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(
            st.one_of(
                st.sampled_from(
                    [
                        "slug",
                        "name",
                        "kind",
                        "summary",
                        "related",
                        "a",
                        "b",
                        "topic",
                        "pros",
                        "cons",
                        "pick",
                        "weight",
                        "reviewed",
                    ]
                ),
                st.text(max_size=8),
            ),
            inner,
            max_size=6,
        ),
    ),
    max_leaves=20,
)


@SETTINGS
@given(documents)
def test_arbitrary_yaml_documents(doc):
    data = yaml.safe_dump(doc, allow_unicode=True).encode()
    load_with({"topics/redis.yaml": data, "comparisons/redis-vs-memcached.yaml": data})


@SETTINGS
@given(
    st.dictionaries(
        st.sampled_from(
            ["slug", "name", "kind", "domain", "summary", "related", "aliases", "homepage"]
        ),
        documents,
    )
)
def test_topic_with_arbitrary_field_values(overrides):
    base = yaml.safe_load((MINI / "topics/redis.yaml").read_text())
    base.update(overrides)
    load_with({"topics/redis.yaml": yaml.safe_dump(base, allow_unicode=True).encode()})


plain_words = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=["Cs", "Cc"]), min_size=1, max_size=12
)


@SETTINGS
@given(
    st.lists(
        st.one_of(
            plain_words,
            st.sampled_from(sorted(YAML11_BOOLEANS)),
            st.sampled_from(
                [
                    "null",
                    "~",
                    "1.5",
                    "0x1F",
                    ".inf",
                    "2026-01-01",
                    "1_000",
                    "+12",
                    "-3e4",
                    "Nope",
                    "n",
                    "y",
                ]
            ),
        ),
        min_size=1,
        max_size=6,
    )
)
def test_fast_resolver_agrees_with_pyyaml(words):
    """The loader's shortcut resolver reads every plain scalar as PyYAML does."""
    text = "".join(f"k{i}: {w}\n" for i, w in enumerate(words))
    try:
        expected = yaml.load(text, Loader=yaml.CSafeLoader)
    except yaml.YAMLError:
        return
    parsed = parse_yaml(text.encode(), "f.yaml")
    if parsed.problems:  # control characters and the like: reported, not read
        return
    assert parsed.data == expected
