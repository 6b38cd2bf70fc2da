"""The content lint: text that validates but a reader should never see.

Published comparison pages of the kind pickgraph replaces carry placeholder cons
("Specific tradeoffs depend on your use case"), fragments left by a sentence splitter
that broke "e.g." (a pro reading "g"), and the same sentence on both sides. These
checks find them. They are warnings; ``pickgraph validate --strict`` makes them errors.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from .model import Comparison

__all__ = ["PLACEHOLDERS", "text_problems", "comparison_text_issues", "BOTTOM_LINE_MAX"]

# Phrases that stand in for content nobody wrote.
PLACEHOLDERS = (
    (re.compile(r"specific trade-?offs? depend", re.I), "a placeholder"),
    (re.compile(r"depends? on your (?:specific )?use[- ]case", re.I), "a placeholder"),
    (re.compile(r"\bTBD\b|\bTBC\b"), "a placeholder (TBD)"),
    (re.compile(r"\bTODO\b|\bFIXME\b|\bXXX\b"), "a to-do marker"),
    (re.compile(r"\blorem\b|\bipsum\b", re.I), "placeholder text (lorem ipsum)"),
    (re.compile(r"\bplaceholder\b", re.I), "the word placeholder"),
    (re.compile(r"\bcoming soon\b", re.I), "a placeholder (coming soon)"),
    (re.compile(r"\b(?:insert|add) (?:\w+ ){0,3}here\b", re.I), "a placeholder (insert ... here)"),
)
# Fewer words than this is a fragment, not a pro, con or verdict.
MIN_WORDS = 3
# A bottom line is one line on a page; past this it wraps into a paragraph.
BOTTOM_LINE_MAX = 200
# A lone lower-case letter at either end is what a split "e.g." or "i.e." leaves.
_LONE_LETTER = re.compile(r"(?:^|\s)([b-hj-z])(?:[.,;:]?\s*$)|^\W*([b-hj-z])(?:[\s.,;:]|$)")
_ABBREVIATION_SPLIT = re.compile(r"\b(?:e\.g|i\.e)\b(?!\.)|(?:^|\s)(?:g|e)\.\s*$", re.I)


def _words(text: str) -> list[str]:
    return re.findall(r"[\w'+#.-]+", text)


def text_problems(text: str) -> Iterator[tuple[str, str]]:
    """(code, message) for every lint finding in one piece of text.

    >>> list(text_problems("Specific tradeoffs depend on your use case"))
    [('placeholder', 'text is a placeholder')]
    >>> list(text_problems("+g"))
    [('fragment', "text is a fragment ('+g'): fewer than 3 words")]
    >>> list(text_problems("Richer SQL and more index types"))
    []
    """
    for pattern, what in PLACEHOLDERS:
        if pattern.search(text):
            yield "placeholder", f"text is {what}"
            return
    stripped = text.strip().lstrip("+-•* ").strip()
    if len(_words(stripped)) < MIN_WORDS:
        yield "fragment", f"text is a fragment ({text.strip()!r}): fewer than {MIN_WORDS} words"
        return
    if _LONE_LETTER.search(stripped) or _ABBREVIATION_SPLIT.search(stripped):
        yield "fragment", "text ends or starts with a lone letter, as a broken 'e.g.' leaves it"


def _norm(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.lower()))


def comparison_text_issues(c: Comparison) -> Iterator[tuple[tuple, str, str]]:
    """(path, code, message) for every lint finding in one comparison."""
    fields: list[tuple[tuple, str]] = []
    for side in ("a", "b"):
        s = getattr(c, side)
        fields += [((side, "pros", i), t) for i, t in enumerate(s.pros)]
        fields += [((side, "cons", i), t) for i, t in enumerate(s.cons)]
        fields.append(((side, "choose_if"), s.choose_if))
        if s.summary:
            fields.append(((side, "summary"), s.summary))
    fields += [(("verdict",), c.verdict), (("bottom_line",), c.bottom_line)]
    if c.no_pick_reason:
        fields.append((("no_pick_reason",), c.no_pick_reason))
    for path, text in fields:
        for code, message in text_problems(text):
            yield path, code, message
    if len(c.bottom_line) > BOTTOM_LINE_MAX:
        yield (
            ("bottom_line",),
            "long-bottom-line",
            f"bottom_line is {len(c.bottom_line)} characters; keep it to one line "
            f"({BOTTOM_LINE_MAX} at most)",
        )
    seen: dict[str, tuple] = {}
    for path, text in fields:
        key = _norm(text)
        if not key or path[-1] in ("verdict", "bottom_line"):
            continue
        if key in seen:
            first = seen[key]
            where = "both sides" if first[0] != path[0] else f"side {path[0]!r} twice"
            yield (
                path,
                "duplicate-text",
                f"the same text appears on {where} (first at {_dotted(first)})",
            )
        else:
            seen[key] = path


def _dotted(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out
