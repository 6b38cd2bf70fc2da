"""The plain reader must build exactly what the full YAML path builds, or step aside."""

from __future__ import annotations

import datetime
import random
from pathlib import Path

import pytest
import yaml

from pickgraph.graph import yamlsource
from pickgraph.graph.plainyaml import quick_data

CONTENT = Path(__file__).resolve().parents[1] / "content"


def full_data(text: str):
    """What parse_yaml's full path builds through PyYAML (None for invalid YAML or an
    empty file), and the problems it reports."""
    parsed = yamlsource._parse_text(text, "f.yaml")
    return parsed.data, parsed.problems


def agrees(text: str):
    """The plain reader's data (None when it steps aside), after checking it matches."""
    quick = quick_data(text)
    if quick is not None:
        data, problems = full_data(text)
        assert problems == []
        assert quick == data and type(quick) is type(data), text
        assert repr(quick) == repr(data), text  # same types inside too (1 against 1.0)
    return quick


def test_every_bundled_file_reads_the_same_and_nearly_all_take_the_fast_path():
    files = sorted(CONTENT.glob("*/*.yaml"))
    fast = sum(agrees(f.read_text(encoding="utf-8")) is not None for f in files)
    assert len(files) > 1000
    assert fast >= 0.97 * len(files)  # the subset covers the way content is written


SAME = [
    "a: 1\nb: 1.5\nc: 2026-01-21\nd: yes\ne: No\nf: ~\ng: null\nh:\ni: 012\nj: .5\n",
    "a: 1e3\nb: -3\nc: +4\nd: 0x1F\ne: 2026-02-30\nf: 1_000\ng: .inf\nh: 2026-01-01 10:00:00\n",
    "a: on\nb: OFF\nc: True\nd: y\ne: n\nf: Nope\ng: nULL\n",
    "text: first line\n  second line\n  third, with [brackets] and {braces}\nnext: x\n",
    "when: 2026-01-01\n  10:00:00\n",
    "a: 'it''s quoted: here'\nb: \"double: quoted\"\nc: 'x'\nd: \"\"\n",
    "a: 'not closed\n",
    'a: "with \\"escape\\""\n',
    "a: >-\n  one two\n  three\n\n  new paragraph\nb: >\n  kept newline\nc: x\n",
    "a: >-\n  one\n    more indented\n  back\n",
    "a: >-\n\n  leading blank\n",
    "a: >-\n  one\n\n\n  two blanks\n",
    "a: |\n  literal\n  block\n",
    "a: [x, y, 'z', \"w\", 2019, yes]\nb: []\nc: [ spaced , items ]\n",
    "a: [x, [nested]]\n",
    "a: ['a, b', c]\n",
    "a: {x: 1}\n",
    "a:\n- one\n- two\n  continued\n-\n- three\nb: x\n",
    "a:\n  - one\n  - two\nb:\n    deep: 1\n    deeper:\n      - x: 1\n        y: 2\n      - x: 3\n",
    "sources:\n  - url: https://example.org/a\n    title: A: the first\n",
    "sources:\n  - url: https://example.org/a\n    title: A page\n  -   url: https://x.org\n      title: spaced dash\n",
    "a:\n- - nested\n  - list\n",
    "a: 1\na: 2\n",
    "a: x # comment\n",
    "# leading comment\na: 1\n",
    "a: C# and F#\n",
    "a: &anchor x\nb: *anchor\n",
    "a: !!str 1\n",
    "a:\tx\n",
    "a: x\r\nb: y\r\n",
    "---\na: 1\n",
    "a: 1\n...\n",
    "- root\n- list\n",
    "just text\n",
    "",
    "  a: indented root\n",
    "a: b: c\n",
    "a:value\n",
    "a: x\n  - not a list\n",
    "a: x\n\n  after a blank\n",
    "a: ends with colon:\n",
    "Note: a key with a capital\nwith-dash: 1\nwith_underscore: 2\n",
    "a:\n  b: 1\n c: 2\n",
    "a: 'two  spaces'\nb: plain  two  spaces\nc: >-\n  folded  spaces\n",
    "a: -dash start\nb: ?question\nc: :colon\nd: ,comma\ne: '%percent'\n",
    "a: x\n---\nb: y\n",
    "a: [Python, C#, F#]\nb: C#\n",
    "a: one\u2028two\nb: x\x85y\n",
    # found by a review: forms PyYAML refuses or reads differently
    "a: [- x]\n",
    "a: [x, - y]\n",
    "k" * 1030 + ": 1\n",
    "a: >-\n  x \n",
    "a: >\n  x \n\n  y\n",
    "a: >\n  x\n     \n  y\n",
    "a: >\n  x",
    "a:\n- >\n  x",
    "a: [x, -y, -]\n",
]


@pytest.mark.parametrize("text", SAME)
def test_reads_each_form_as_pyyaml_does_or_steps_aside(text):
    data, problems = full_data(text)
    if data is None:
        assert quick_data(text) is None  # invalid YAML is never read here
        return
    agrees(text)


def test_the_common_forms_take_the_fast_path():
    assert quick_data(SAME[0]) == {
        "a": 1,
        "b": 1.5,
        "c": datetime.date(2026, 1, 21),
        "d": True,
        "e": False,
        "f": None,
        "g": None,
        "h": None,
        "i": 10,
        "j": 0.5,
    }
    for i in (1, 2, 3, 4, 5, 8, 13, 17, 18, 20, 25, 41, 43, 46):
        assert agrees(SAME[i]) is not None, SAME[i]
    # what it must leave to the full path: problems with positions, and forms outside it
    for i in (
        6,
        7,
        9,
        10,
        11,
        12,
        14,
        15,
        16,
        21,
        22,
        23,
        24,
        26,
        27,
        28,
        29,
        30,
        31,
        32,
        34,
        47,
        48,
        49,
        50,
        51,
        52,
        53,
        54,
        55,
        56,
    ):
        assert quick_data(SAME[i]) is None, SAME[i]


def test_a_clip_block_ending_the_file_without_a_newline_and_with_one():
    assert agrees("a: >\n  x") is None  # PyYAML gives 'x': no line break to keep
    assert agrees("a: >\n  x\n") == {"a": "x\n"}
    assert agrees("a: >-\n  x") == {"a": "x"}


def test_a_tree_the_full_parser_refuses_costs_a_position_not_a_crash(monkeypatch):
    """Were the plain reader ever to take a text PyYAML refuses, a check asking for a
    position gets none (1:1 from locate) instead of an exception."""
    monkeypatch.setattr(yamlsource, "quick_data", lambda text, depth: {"a": ["- x"]})
    parsed = yamlsource.parse_yaml(b"a: [- x]\n", "f.yaml")
    assert parsed.data == {"a": ["- x"]} and parsed.root is None
    assert yamlsource.locate(parsed.root, ("a", 0)) == (1, 1)


def test_nesting_past_the_limit_steps_aside():
    deep = "".join("  " * i + f"k{i}:\n" for i in range(70)) + "  " * 70 + "v: 1\n"
    assert quick_data(deep, max_depth=64) is None
    shallow = "".join("  " * i + f"k{i}:\n" for i in range(5)) + "  " * 5 + "v: 1\n"
    assert agrees(shallow) is not None


PLAIN = ["go", "rust", "python", "the", "with", "Kubernetes", "2x", "-n", "v1.2", "a,b", "(x)"]
WORDS = ["go", "rust", "C#", "yes", "on", "null", "1.5", "2026-01-02", "a: b", "x #y", "-", "'q'"]
WORDS += ['"d"', "[l]", "{m}", "&a", "*b", "!t", "|", ">", "%", "@", "`", "?", ":", "~", ""]
WORDS += ["plain words", "two  spaces", "tab\there", "ünïcode", "C++", "node.js", "3", "0o17"]


def _value(rng: random.Random, depth: int):
    roll = rng.random()
    if depth < 3 and roll < 0.2:
        return {f"k{i}": _value(rng, depth + 1) for i in range(rng.randint(0, 4))}
    if depth < 3 and roll < 0.35:
        return [_value(rng, depth + 1) for _ in range(rng.randint(0, 4))]
    if roll < 0.45:
        return rng.choice([1, 2.5, True, None, datetime.date(2026, 1, 2)])
    pool = WORDS if rng.random() < 0.3 else PLAIN
    return " ".join(rng.choice(pool) for _ in range(rng.randint(1, 30)))


def test_random_documents_dumped_by_pyyaml_read_the_same():
    rng = random.Random(20261129)
    taken = 0
    for _ in range(1500):
        doc = {f"key{i}": _value(rng, 1) for i in range(rng.randint(1, 6))}
        text = yaml.safe_dump(
            doc,
            allow_unicode=rng.random() < 0.5,
            default_flow_style=rng.choice([False, None]),
            width=rng.choice([40, 80, 1000]),
            indent=rng.choice([2, 4]),
            sort_keys=False,
        )
        taken += agrees(text) is not None
    assert taken > 250  # the dumps exercise the fast path, not only the fallback
