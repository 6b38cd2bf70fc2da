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

__all__ = [
    "BOTTOM_LINE_MAX",
    "MIN_SOURCES",
    "PLACEHOLDERS",
    "comparison_text_issues",
    "text_problems",
]

# Phrases that stand in for content nobody wrote, with what to call them.
PLACEHOLDERS = (
    (r"(?i:specific trade-?offs? depend)", "a placeholder"),
    (r"(?i:depends? on your (?:specific )?use[- ]case)", "a placeholder"),
    (r"\bTB[DC]\b", "a placeholder (TBD)"),
    (r"\bTODO\b|\bFIXME\b|\bXXX\b", "a to-do marker"),
    (r"(?i:\blorem\b|\bipsum\b)", "placeholder text (lorem ipsum)"),
    (r"(?i:\bplaceholder\b)", "the word placeholder"),
    (r"(?i:\bcoming soon\b)", "a placeholder (coming soon)"),
    (r"(?i:\b(?:insert|add) (?:\w+ ){0,3}here\b)", "a placeholder (insert ... here)"),
)
# One pass over the text finds any of them (lint runs on every line of content).
_PLACEHOLDER = re.compile("|".join(f"(?P<p{i}>{pat})" for i, (pat, _) in enumerate(PLACEHOLDERS)))
# Fewer words than this is a fragment, not a pro, con or verdict.
MIN_WORDS = 3
# A comparison's claims can be checked in at least this many sources.
MIN_SOURCES = 2
# A bottom line is one line on a page; past this it wraps into a paragraph.
BOTTOM_LINE_MAX = 200


# Lint runs on every line of content, so the regular expression only runs when one
# of these cheap substring tests says it could match.
def _may_hold_placeholder(lower: str) -> bool:
    return (
        "trade" in lower
        or "use case" in lower
        or "use-case" in lower
        or "tb" in lower
        or "todo" in lower
        or "fixme" in lower
        or "xxx" in lower
        or "lorem" in lower
        or "ipsum" in lower
        or "placeholder" in lower
        or "soon" in lower
        or "here" in lower
    )


# What a split "e.g." or "i.e." leaves: a lone lower-case letter (not "a" or "i") at
# either end of the text, or the abbreviation cut short.
_LONE_LETTERS = frozenset("bcdefghjklmnopqrstuvwxyz")
_CUT_ABBREVIATION = re.compile(r"(?i:\b(?:e\.g|i\.e)\b(?!\.))")


_BULLETS = "+-•* "


# A hyphenated word split at the end of a YAML line: folding the lines turns the break
# into a space ("set- theoretic"). A suspended hyphen ("semi- or unstructured") is fine.
_BROKEN_WORD = re.compile(
    r"\b[A-Za-z]+- (?!(?:and|or|nor|to|as|vs|versus|through|but|plus|rather|than)\b)[a-z]\w*"
)


def text_issue(text: str, lower: str | None = None) -> tuple[str, str] | None:
    """The first lint finding in one piece of text as (code, message), or None."""
    if lower is None:
        lower = text.lower()
    if _may_hold_placeholder(lower):
        match = _PLACEHOLDER.search(text)
        if match:
            return "placeholder", f"text is {PLACEHOLDERS[int(match.lastgroup[1:])][1]}"
    words = text.split()
    while words and words[0] in _BULLETS:
        words.pop(0)
    if words:
        words[0] = words[0].lstrip(_BULLETS)
    if len(words) < MIN_WORDS or not words[0]:
        return "fragment", f"text is a fragment ({text.strip()!r}): fewer than {MIN_WORDS} words"
    first = words[0].lstrip("\"'(").rstrip(".,;:")
    last = words[-1].rstrip(".,;:")
    if (
        first in _LONE_LETTERS
        or last in _LONE_LETTERS
        or (("e.g" in lower or "i.e" in lower) and _CUT_ABBREVIATION.search(text))
    ):
        return "fragment", "text ends or starts with a lone letter, as a broken 'e.g.' leaves it"
    return broken_word(text)


def broken_word(text: str) -> tuple[str, str] | None:
    """("broken-word", message) when ``text`` holds a hyphenated word split by a folded
    line ("set- theoretic"), else None. The one text check topic summaries get: an
    imported topic's stub summary ("Redis.") is short on purpose."""
    if "- " in text:
        match = _BROKEN_WORD.search(text)
        if match:
            return (
                "broken-word",
                f"{match.group(0)!r} reads as a word broken at a hyphen: a line that ends "
                "inside a hyphenated word folds into a space; keep the word on one line",
            )
    return None


def text_problems(text: str) -> Iterator[tuple[str, str]]:
    """(code, message) for every lint finding in one piece of text.

    >>> list(text_problems("Specific tradeoffs depend on your use case"))
    [('placeholder', 'text is a placeholder')]
    >>> list(text_problems("+g"))
    [('fragment', "text is a fragment ('+g'): fewer than 3 words")]
    >>> list(text_problems("Richer SQL and more index types"))
    []
    """
    issue = text_issue(text)
    if issue:
        yield issue


_PUNCTUATION = str.maketrans({c: " " for c in "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~"})
# Verdict and bottom line restate the pick, so they may echo a side's text.
_NOT_COMPARED = frozenset({"verdict", "bottom_line"})


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
    seen: dict[tuple, tuple] = {}
    for path, text in fields:
        lower = text.lower()
        issue = text_issue(text, lower)
        if issue:
            yield (path, *issue)
        if path[-1] in _NOT_COMPARED:
            continue
        key = tuple(lower.translate(_PUNCTUATION).split())
        if not key:
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
    if len(c.sources) < MIN_SOURCES:
        yield (
            ("sources",) if c.sources else ("verdict",),
            "few-sources",
            f"{len(c.sources)} source{'s' if len(c.sources) != 1 else ''}; list at least "
            f"{MIN_SOURCES} (documentation, specifications, release notes, pricing pages) "
            "where a reader can check the claims",
        )
    urls: dict[str, int] = {}
    for i, source in enumerate(c.sources):
        url = source.url.rstrip("/")
        if url in urls:
            yield (
                ("sources", i, "url"),
                "duplicate-source",
                f"the same source is listed twice (first at sources[{urls[url]}])",
            )
        urls.setdefault(url, i)
    if len(c.bottom_line) > BOTTOM_LINE_MAX:
        yield (
            ("bottom_line",),
            "long-bottom-line",
            f"bottom_line is {len(c.bottom_line)} characters; keep it to one line "
            f"({BOTTOM_LINE_MAX} at most)",
        )


def _dotted(path: tuple) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out
