"""Read one YAML file into plain data, keeping exact positions for every problem.

PyYAML's C parser composes the node tree once; we build the data from the nodes
ourselves so that duplicate keys are refused (PyYAML silently keeps the last one) and
every value can be traced back to its line and column. Undecodable bytes and control
characters are caught before the parser, because PyYAML reports them with an offset
rather than a mark.

Building the data is also where a hostile file would cost the most: aliases share one
node, so a few hundred bytes of nested aliases expand to billions of values. The
builder bounds what one file can make it build (nesting depth, values reached through
aliases, aliases nested in aliases); each is a problem at a position, never an
exception. (The loader refuses a file over its size limit before reading it.)
"""

from __future__ import annotations

import re
from typing import Any

import yaml
import yaml.constructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from .errors import Problem
from .plainyaml import YAML11_BOOLEANS, known_tag, one_space, quick_data

__all__ = [
    "MAX_ALIAS_DEPTH",
    "MAX_ALIAS_VALUES",
    "MAX_DEPTH",
    "ParsedFile",
    "YAML11_BOOLEANS",
    "locate",
    "parse_yaml",
]

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser when libyaml is there
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Loader(_Base):
    """The safe loader with a faster resolver for the common case (``known_tag``)."""

    def resolve(self, kind, value, implicit):
        if kind is ScalarNode:
            if not implicit[0]:
                return _STR
            return known_tag(value) or _Base.resolve(self, kind, value, implicit)
        return _SEQ if kind is SequenceNode else _MAP


# Characters the YAML spec does not allow in a stream (tab, LF and CR are allowed).
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_LINE_BREAK = re.compile(r"(?<!\n)\n(?!\n)")
# Report at most this many bad characters per file: past a few, the file is binary.
_MAX_CHAR_PROBLEMS = 5

# Limits on what one file may make the builder build. Content files nest four levels
# and use no aliases; the bounds sit far above that and far below any harm.
# Lists and mappings inside each other (libyaml stops at 1,000, past the depth at
# which the recursive builder would exhaust Python's stack).
MAX_DEPTH = 64
# Values built through aliases, counted each time an alias is expanded: nine levels
# of nine aliases, a few hundred bytes, would otherwise build 9**9 values.
MAX_ALIAS_VALUES = 10_000
# Aliases met while expanding another alias (a recursive anchor never ends).
MAX_ALIAS_DEPTH = 3


class ParsedFile:
    """The data of one file, its node tree (for locating problems) and its problems.

    A file read by the plain reader (``plainyaml``) has no tree until a check asks for
    a position: ``root`` composes it then, from the text it keeps.
    """

    __slots__ = ("data", "_root", "problems", "_text")

    def __init__(self, data: Any, root: Node | None, problems: list[Problem], text=None):
        self.data, self._root, self.problems, self._text = data, root, problems, text

    @property
    def root(self) -> Node | None:
        if self._root is None and self._text is not None:
            text, self._text = self._text, None
            try:
                self._root = yaml.compose(text, Loader=_Loader)
            except yaml.YAMLError:  # the plain reader took a text PyYAML refuses: a bug
                self._root = None  # there, but a position is not worth a crash
        return self._root


def _line_col(text: str, offset: int) -> tuple[int, int]:
    line = text.count("\n", 0, offset) + 1
    col = offset - (text.rfind("\n", 0, offset) + 1) + 1
    return line, col


def _decode(raw: bytes, path: str) -> tuple[str | None, list[Problem]]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", errors="replace")
        line, col = _line_col(prefix, len(prefix))
        bad = raw[exc.start : exc.start + 1].hex()
        return None, [
            Problem(
                path,
                line,
                col,
                f"file is not valid UTF-8: byte 0x{bad} cannot be decoded",
                code="encoding",
            )
        ]
    problems = []
    for match in _FORBIDDEN.finditer(text):
        line, col = _line_col(text, match.start())
        problems.append(
            Problem(
                path,
                line,
                col,
                f"control character U+{ord(match.group()):04X} is not allowed in YAML",
                code="control-character",
            )
        )
        if len(problems) == _MAX_CHAR_PROBLEMS:
            break
    return text, problems


def _mark_problem(path: str, exc: yaml.MarkedYAMLError) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    line, col = (mark.line + 1, mark.column + 1) if mark else (0, 0)
    what = exc.problem or exc.context or "invalid YAML"
    if exc.context and exc.problem:
        what = f"{exc.problem} ({exc.context})"
    return Problem(path, line, col, f"YAML syntax error: {what}", code="yaml-syntax")


class _TooMuch(Exception):
    """A file asks the builder for more than the limits allow; stops the build."""

    def __init__(self, node: Node, message: str, code: str):
        super().__init__(message)
        self.node, self.message, self.code = node, message, code


class _Builder:
    """Turns a node tree into dicts, lists and scalars, collecting problems.

    An alias is the same node object met a second time, at another place than where it
    was first built. Only a text with an ``&`` can hold an anchor, so only then does the
    builder pay for remembering where it met each node.
    """

    def __init__(self, path: str, may_alias: bool = True, lines: list[str] | None = None):
        self.path = path
        # the file's lines when a "#" may end a value early (see scalar), else None
        self.lines = lines
        self.problems: list[Problem] = []
        self.constructor = yaml.constructor.SafeConstructor()
        self.may_alias = may_alias
        self.first_met: dict[int, tuple[int, int]] = {}
        self.alias_values = 0
        self.alias_at: Node | None = None  # where the alias being expanded is written

    def problem(self, node: Node, message: str, code: str) -> None:
        m = node.start_mark
        self.problems.append(Problem(self.path, m.line + 1, m.column + 1, message, code=code))

    def _comment_after(self, node: ScalarNode) -> None:
        """Warn when a comment follows unquoted text on its line: in YAML " #" starts
        a comment, so a pro written as "... since #![no_std] ..." silently ends at
        "since". Quoting the text keeps all of it."""
        end = node.end_mark
        if end.line >= len(self.lines):
            return
        rest = self.lines[end.line][end.column :]
        if rest.lstrip().startswith("#"):
            self.problems.append(
                Problem(
                    self.path,
                    end.line + 1,
                    end.column + 1 + len(rest) - len(rest.lstrip()),
                    f"the text stops at {node.value[-30:]!r}: what follows ' #' is a YAML "
                    "comment, not part of the value; put the text in quotes to keep it",
                    "warning",
                    "cut-by-comment",
                )
            )

    def _count_alias(self, node: Node, place: tuple[int, int], at: Node, aliases: int) -> int:
        """The alias depth of ``node`` met at ``place``; raises past a limit."""
        if self.first_met.setdefault(id(node), place) != place:
            if not aliases:
                self.alias_at = at
            aliases += 1
            if aliases > MAX_ALIAS_DEPTH:
                raise _TooMuch(
                    self.alias_at,
                    f"aliases nested more than {MAX_ALIAS_DEPTH} deep (an alias inside "
                    "what another alias repeats); content files need no aliases",
                    "alias-limit",
                )
        if aliases:
            self.alias_values += 1
            if self.alias_values > MAX_ALIAS_VALUES:
                raise _TooMuch(
                    self.alias_at,
                    f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (each alias "
                    "repeats all that its anchor holds); content files need no aliases",
                    "alias-limit",
                )
        return aliases

    def build(self, node: Node, place=(0, 0), at: Node | None = None, depth=0, aliases=0) -> Any:
        """The value of ``node``, met at ``place`` (its parent's id and its index there),
        written at ``at`` (its key, or its list), ``depth`` collections down."""
        if self.may_alias:
            aliases = self._count_alias(node, place, at or node, aliases)
        if isinstance(node, ScalarNode):
            return self.scalar(node)
        depth += 1
        if depth > MAX_DEPTH:
            raise _TooMuch(node, f"values nested more than {MAX_DEPTH} levels deep", "too-deep")
        if isinstance(node, SequenceNode):
            parent = id(node)
            return [
                self.build(item, (parent, i), node, depth, aliases)
                for i, item in enumerate(node.value)
            ]
        if isinstance(node, MappingNode):
            return self.mapping(node, depth, aliases)
        raise TypeError(f"unexpected YAML node {node!r}")  # pragma: no cover

    def mapping(self, node: MappingNode, depth: int, aliases: int) -> dict[str, Any]:
        out: dict[str, Any] = {}
        seen: dict[str, Node] = {}
        parent = id(node)
        for i, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, ScalarNode):
                self.problem(key_node, "mapping keys must be plain text", "bad-key")
                continue
            key = key_node.value
            if key in seen:
                first = seen[key].start_mark
                self.problem(
                    key_node,
                    f"duplicate key {key!r} (first at line {first.line + 1})",
                    "duplicate-key",
                )
                continue
            seen[key] = key_node
            out[key] = self.build(value_node, (parent, i), key_node, depth, aliases)
        return out

    def scalar(self, node: ScalarNode) -> Any:
        if node.tag == "tag:yaml.org,2002:str":
            value = node.value
            if self.lines is not None and not node.style:  # plain: None, or "" from libyaml
                self._comment_after(node)
            if node.style == "|":
                # A literal block keeps every line break; read it like a folded one
                # (single breaks join lines, a blank line is a paragraph break).
                value = _LINE_BREAK.sub(" ", value).replace("\n\n", "\n")
            return one_space(value)
        try:
            return self.constructor.construct_object(node, deep=True)
        except (ValueError, OverflowError):
            # Looks like a date or number but is not one (2026-02-30): keep the text
            # and let the model say what it expected.
            return node.value
        except yaml.YAMLError as exc:
            message = getattr(exc, "problem", None) or str(exc)
            self.problem(node, f"cannot read value {node.value!r}: {message}", "bad-value")
            return None


def parse_yaml(raw: bytes, path: str) -> ParsedFile:
    """Parse the bytes of one YAML file named ``path`` (used in problem reports).

    >>> parse_yaml(b"a: 1\\nb: [x, y]\\n", "f.yaml").data
    {'a': 1, 'b': ['x', 'y']}
    >>> print(parse_yaml(b"a: 1\\na: 2\\n", "f.yaml").problems[0])
    f.yaml:2:1: error: duplicate key 'a' (first at line 1)
    """
    text, problems = _decode(raw, path)
    if text is None or problems:
        return ParsedFile(None, None, problems)
    data = quick_data(text, MAX_DEPTH)
    if isinstance(data, dict):
        return ParsedFile(data, None, [], text)
    return _parse_text(text, path)


def _parse_text(text: str, path: str) -> ParsedFile:
    """The full path: PyYAML composes the node tree and ``_Builder`` builds the data."""
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        return ParsedFile(None, None, [_mark_problem(path, exc)])
    except yaml.YAMLError as exc:  # reader errors without a mark
        return ParsedFile(
            None, None, [Problem(path, 0, 0, f"YAML error: {exc}", code="yaml-syntax")]
        )
    if root is None:
        return ParsedFile(None, None, [Problem(path, 1, 1, "file is empty", code="empty-file")])
    lines = text.splitlines() if " #" in text or "\t#" in text else None
    builder = _Builder(path, may_alias="&" in text, lines=lines)
    try:
        data = builder.build(root)
    except _TooMuch as exc:
        m = exc.node.start_mark
        return ParsedFile(
            None, None, [Problem(path, m.line + 1, m.column + 1, exc.message, code=exc.code)]
        )
    return ParsedFile(data, root, builder.problems)


def _child(node: Node, step: str | int) -> tuple[Node | None, Node | None]:
    """The (key node, value node) one step below ``node``, or (None, None)."""
    if isinstance(node, MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, ScalarNode) and key_node.value == step:
                return key_node, value_node
    elif isinstance(node, SequenceNode) and isinstance(step, int) and 0 <= step < len(node.value):
        return None, node.value[step]
    return None, None


def locate(root: Node | None, loc: tuple[str | int, ...], at_key: bool = False) -> tuple[int, int]:
    """1-based (line, column) of the node at path ``loc`` below ``root``.

    A path that stops early (a missing field) points at the deepest node that exists.
    With ``at_key`` the position is that of the mapping key rather than its value.

    >>> root = parse_yaml(b"a:\\n  b: [1, 2]\\n", "f.yaml").root
    >>> locate(root, ("a", "b", 1))
    (2, 10)
    >>> locate(root, ("a", "b"), at_key=True)
    (2, 3)
    """
    if root is None:
        return (1, 1)
    node = root
    for i, step in enumerate(loc):
        key_node, value_node = _child(node, step)
        if value_node is None:
            break
        if at_key and i == len(loc) - 1 and key_node is not None:
            node = key_node
            break
        node = value_node
    mark = node.start_mark
    return mark.line + 1, mark.column + 1


def scalar_source(root: Node | None, loc: tuple[str | int, ...]) -> ScalarNode | None:
    """The scalar node at ``loc``, if the path leads to one (to quote what was written)."""
    node = root
    for step in loc:
        if node is None:
            return None
        node = _child(node, step)[1]
    return node if isinstance(node, ScalarNode) else None
