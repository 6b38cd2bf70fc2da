"""A fast reader for the plain YAML that content files are written in.

Content files use a small part of YAML: block mappings with plain keys, block
sequences, plain scalars that may run over several lines, single-line quoted scalars,
folded blocks (``>``, ``>-``) and flow lists of words (``[go, rust]``). PyYAML's C
parser still builds every node in Python, so reading 100,000 such files costs more
than the checks that follow. :func:`quick_data` reads that subset line by line and
returns exactly the data :func:`yamlsource.parse_yaml` would build, or ``None`` for
anything outside the subset or anything it would report a problem about; the caller
then takes the full path, which also gives every problem its position.

A file read here has no node tree: ``ParsedFile.root`` composes it when a later check
needs a position, which only a file with a problem does.
"""

from __future__ import annotations

import re
from typing import Any

import yaml
import yaml.constructor
from yaml.nodes import ScalarNode

__all__ = ["YAML11_BOOLEANS", "known_tag", "one_space", "quick_data"]

_STR = "tag:yaml.org,2002:str"
_BOOL = "tag:yaml.org,2002:bool"
_NULL = "tag:yaml.org,2002:null"
_KEY = re.compile(r"([A-Za-z_][A-Za-z0-9_-]*):(?: +|$)")
_SPACES = re.compile(r"[ \t]{2,}|\t")
# A plain scalar may not start with these (YAML indicators); quotes are read apart.
_NOT_PLAIN_START = frozenset("-?:,[]{}#&*!|>%@`")
# Words a flow list may hold here: no flow indicators, quotes or comments.
_FLOW_ITEM = re.compile(r"[^\s,\[\]{}#&*!|>'\"%@`?:][^,\[\]{}\"':]*")
# YAML 1.1 line breaks besides LF and CR, and a byte order mark past the start
_OTHER_BREAKS = re.compile("[\x85\u2028\u2029\ufeff]")
_RESOLVER = yaml.resolver.Resolver()
# Plain scalars that YAML 1.1 (and so PyYAML) reads as booleans, and as null.
YAML11_BOOLEANS = frozenset(
    v
    for word in ("yes", "no", "true", "false", "on", "off")
    for v in (word, word.capitalize(), word.upper())
)
_NULLS = frozenset({"null", "Null", "NULL"})
# First characters of the plain scalars the resolver may read as other than text.
_RESOLVABLE = frozenset(k for k in _RESOLVER.yaml_implicit_resolvers if k)


def known_tag(value: str) -> str | None:
    """The tag of the plain scalar ``value`` when it can be told without the
    resolver's regular expressions, else None. Most scalars in content are prose, and
    only one whose first character can start a number, date, boolean or null needs
    them; a word can only be a boolean or null."""
    if value and value[0] not in _RESOLVABLE:
        return _STR
    if value[:1].isalpha():
        if value in YAML11_BOOLEANS:
            return _BOOL
        return _NULL if value in _NULLS else _STR
    return None


def one_space(value: str) -> str:
    """``value`` with each run of spaces or tabs read as one space, as content text is."""
    return _SPACES.sub(" ", value) if "  " in value or "\t" in value else value


# non-text plain scalars seen so far (dates, weights): the value depends on the text only
_TYPED: dict[str, Any] = {}
_MAX_TYPED = 4096
# libyaml refuses a key that runs past 1,024 characters; stay well inside that
_MAX_KEY = 1000


class _Outside(Exception):
    """The text leaves the subset: read it with the full parser."""


def quick_data(text: str, max_depth: int = 64) -> Any | None:
    """The data of ``text`` if it stays in the plain subset and has no problem the full
    parser would report (``max_depth``: collections nested deeper are one), else None.

    >>> quick_data("a:\\n  b: [x, y]\\n  c: 1.5\\nd:\\n- one\\n  two\\n")
    {'a': {'b': ['x', 'y'], 'c': 1.5}, 'd': ['one two']}
    >>> quick_data("a: 1\\na: 2\\n") is None  # a duplicate key: the full path reports it
    True
    """
    # characters and forms the subset never holds: comments, tabs, CR, documents,
    # anchors and tags at a line start, literal blocks
    if (
        "#" in text
        and ("\n#" in text or " #" in text or text.startswith("#"))
        or "\t" in text
        or "\r" in text
        or " \n" in text  # trailing spaces are text inside a folded block
        or text.endswith(" ")
        or _OTHER_BREAKS.search(text)
        or text.startswith(("---", "%"))
        or "\n---" in text
        or "\n..." in text
    ):
        return None
    lines = [(len(s) - len(s.lstrip(" ")), s.strip(" ")) for s in text.split("\n")]
    reader = _Reader(lines, max_depth, text.endswith("\n"))
    try:
        i = reader.skip_blank(0)
        if i == len(lines) or lines[i][0] != 0:
            return None
        data, i = reader.mapping(i, 0)
        if reader.skip_blank(i) != len(lines):
            return None
    except _Outside:
        return None
    return data


class _Reader:
    def __init__(self, lines: list[tuple[int, str]], max_depth: int, final_newline: bool):
        self.lines = lines
        self.n = len(lines)
        self.final_newline = final_newline
        # collections open (the root, and room for a flow list at the end), and the bound
        self.depth, self.max_depth = 2, max_depth

    def skip_blank(self, i: int) -> int:
        lines, n = self.lines, self.n
        while i < n and not lines[i][1]:
            i += 1
        return i

    def node(self, i: int, owner: int) -> tuple[Any, int]:
        """The block node starting at line ``i``, below a key or dash at ``owner``."""
        ind, s = self.lines[i]
        self.depth += 1
        if self.depth > self.max_depth:
            raise _Outside
        if s[:2] == "- " or s == "-":
            node, i = self.sequence(i, ind)
        elif ind <= owner:
            raise _Outside
        else:
            node, i = self.mapping(i, ind)
        self.depth -= 1
        return node, i

    def mapping(self, i: int, ind: int, first: str | None = None) -> tuple[dict, int]:
        """A block mapping whose keys sit at column ``ind``; ``first`` is its first line
        when it follows a dash on the same line."""
        out: dict[str, Any] = {}
        lines = self.lines
        while True:
            s = first if first is not None else lines[i][1]
            first = None
            m = _KEY.match(s)
            if m is None or m.end() > _MAX_KEY:
                raise _Outside
            key = m.group(1)
            if key in out:
                raise _Outside  # duplicate keys are a problem with a position
            rest = s[m.end() :]
            i += 1
            if rest:
                out[key], i = self.value(rest, i, ind)
            else:
                j = self.skip_blank(i)
                if j < self.n and (
                    lines[j][0] > ind or (lines[j][0] == ind and lines[j][1][:2] == "- ")
                ):
                    out[key], i = self.node(j, ind)
                else:
                    out[key] = None  # "key:" and nothing under it is null
            i = self.skip_blank(i)
            if i == self.n or lines[i][0] < ind:
                return out, i
            if lines[i][0] > ind:
                raise _Outside

    def sequence(self, i: int, ind: int) -> tuple[list, int]:
        out: list[Any] = []
        lines = self.lines
        while True:
            s = lines[i][1]
            if s == "-":
                j = self.skip_blank(i + 1)
                if j == self.n or lines[j][0] <= ind:
                    out.append(None)
                    i = j
                else:
                    item, i = self.node(j, ind)
                    out.append(item)
            else:
                rest = s[2:].lstrip(" ")
                col = ind + len(s) - len(rest)
                if rest[:2] == "- " or rest == "-":
                    raise _Outside
                if _KEY.match(rest):
                    self.depth += 1
                    if self.depth > self.max_depth:
                        raise _Outside
                    item, i = self.mapping(i, col, first=rest)
                    self.depth -= 1
                    out.append(item)
                else:
                    item, i = self.value(rest, i + 1, ind)
                    out.append(item)
            i = self.skip_blank(i)
            if i == self.n or lines[i][0] < ind:
                return out, i
            if lines[i][0] > ind or lines[i][1][:2] != "- " and lines[i][1] != "-":
                if lines[i][0] > ind:
                    raise _Outside
                return out, i

    def value(self, rest: str, i: int, owner: int) -> tuple[Any, int]:
        """The scalar (or flow list) starting with ``rest``, its continuation lines from
        ``i`` on, all more indented than ``owner``."""
        c = rest[0]
        if c in "'\"":
            if self._continues(i, owner):
                raise _Outside
            return _quoted(rest), i
        if c == "[":
            if self._continues(i, owner):
                raise _Outside
            return _flow_list(rest), i
        if c == ">":
            return self.folded(rest, i, owner)
        if c in _NOT_PLAIN_START and not (c == "-" and rest[1:2] not in ("", " ")):
            raise _Outside
        if ": " in rest or rest.endswith(":"):
            raise _Outside
        parts = [rest]
        lines, n = self.lines, self.n
        while i < n:
            ind, s = lines[i]
            if not s:
                j = self.skip_blank(i)
                if j < n and lines[j][0] > owner:
                    raise _Outside  # a blank line inside a plain scalar
                break
            if ind <= owner:
                break
            if ": " in s or s.endswith(":") or s[0] in "#-" and s[1:2] in (" ", ""):
                raise _Outside
            parts.append(s)
            i += 1
        return _plain(rest if len(parts) == 1 else " ".join(parts)), i

    def folded(self, rest: str, i: int, owner: int) -> tuple[str, int]:
        """A folded block (``>`` or ``>-``) whose lines all share one indentation."""
        if rest not in (">", ">-"):
            raise _Outside
        lines, n = self.lines, self.n
        start = self.skip_blank(i)
        if start == n or lines[start][0] <= owner:
            raise _Outside  # an empty block: rare, let the full parser read it
        ind = lines[start][0]
        if start != i:
            raise _Outside  # leading blank lines fold to line breaks
        paragraphs: list[list[str]] = [[]]
        while i < n:
            k, s = lines[i]
            if not s:
                j = self.skip_blank(i)
                if j < n and lines[j][0] >= ind:
                    if j - i > 1:
                        raise _Outside
                    paragraphs.append([])
                    i = j
                    continue
                break
            if k != ind:
                if k < ind:
                    break
                raise _Outside  # a more indented line keeps its breaks
            paragraphs[-1].append(s)
            i += 1
        if rest == ">" and not self.final_newline and self.skip_blank(i) == n:
            raise _Outside  # a kept last line break the file does not have
        body = "\n".join(" ".join(p) for p in paragraphs)
        return one_space(body if rest == ">-" else body + "\n"), i

    def _continues(self, i: int, owner: int) -> bool:
        return i < self.n and bool(self.lines[i][1]) and self.lines[i][0] > owner


def _quoted(s: str) -> str:
    q = s[0]
    if len(s) < 2 or s[-1] != q:
        raise _Outside
    inner = s[1:-1]
    if q == "'":
        if "'" in inner.replace("''", ""):
            raise _Outside
        return one_space(inner.replace("''", "'"))
    if '"' in inner or "\\" in inner:
        raise _Outside
    return one_space(inner)


def _flow_list(s: str) -> list:
    if not s.endswith("]"):
        raise _Outside
    inner = s[1:-1].strip(" ")
    if not inner:
        return []
    out = []
    for item in inner.split(","):
        item = item.strip(" ")
        if item[:1] == "-" and item[1:2] in ("", " "):
            raise _Outside  # a block entry: not allowed inside brackets
        if item[:1] in ("'", '"'):
            out.append(_quoted(item))
        elif _FLOW_ITEM.fullmatch(item):
            out.append(_plain(item))
        else:
            raise _Outside
    return out


def _plain(value: str) -> Any:
    """A one-line plain scalar resolved as yamlsource's loader resolves it."""
    tag = known_tag(value) or _RESOLVER.resolve(ScalarNode, value, (True, False))
    if tag == _STR:
        return one_space(value)
    if value in _TYPED:
        return _TYPED[value]
    try:  # a constructor of its own: this is rare, and constructors keep state
        result = yaml.constructor.SafeConstructor().construct_object(ScalarNode(tag, value))
    except (ValueError, OverflowError):
        result = value  # what yamlsource keeps for a date or number that is not one
    except yaml.YAMLError:
        raise _Outside from None
    if isinstance(result, (list, dict)):
        raise _Outside
    if len(_TYPED) < _MAX_TYPED:
        _TYPED[value] = result
    return result
