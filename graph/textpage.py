"""Comparison pages in their published plain-text form: parse them, render them.

Published comparison pages (see ../shared/seed/) come in two layouts: bullets written
"  • +text" under a "Dynamic" badge with a "The Bottom Line" heading, and a flattened
one with "- +text" bullets, no badge and no bottom-line heading. The verdict is either
"Use A if: … Use B if: …" or "These tools serve different purposes. A is a <kind>
while B is a <kind>. We picked A …". ``parse_page`` reads either, keeps the facts
exactly, and reports what it could not read with line numbers; it never raises on odd
input. ``render_page`` writes a comparison back in the same form.

Text extracted from a page's HTML often joins inline elements with no space between
them ("Nice PickDevelopers should learn …"), and a saved page may start with its URL.
``parse_page`` splits a badge or heading off the text it is fused to and keeps the URL.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

__all__ = ["ParsedPage", "ParsedSide", "first_sentence", "parse_page", "render_page", "slugify"]

_TITLE = re.compile(r"^(?P<a>.+?)\s+(?:vs\.?|versus)\s+(?P<b>.+?)$", re.I)
_BULLET = re.compile(r"^(?:[•·*▪‣◦]|-(?=\s*[+\-−–]))?\s*(?P<sign>[+\-−–])\s*(?P<text>.*)$")
_RELATED = re.compile(r"^related to\s*:\s*(?P<tags>.*)$", re.I)
_PICK_MARK = re.compile(r"^\W*nice pick\W*$", re.I)
_NO_PICK_MARK = re.compile(r"^\W*no pick\W*$", re.I)
_USE_IF = re.compile(r"^use (?P<name>.+?) if\s*:\s*(?P<text>.*)$", re.I)
_DIFFERENT = re.compile(
    r"(?P<a>[^.]+?) is an? (?P<ka>[\w /-]+?) while (?P<b>[^.]+?) is an? (?P<kb>[\w /-]+?)\.", re.I
)
_PICKED = re.compile(r"we picked (?P<name>.+?)(?: based on| because|[.,;]|$)", re.I)
_WINS = re.compile(r"^(?P<name>.+?) wins\W*$", re.I)
_FOOTER = re.compile(r"^disagree with our pick", re.I)
_ICE = "🧊"
_URL_LINE = re.compile(r"^(?:https?://|www\.)\S+$", re.I)

# Badges and headings that HTML-to-text extraction fuses to their neighbours. A
# marker is split off the start of a line when the next element follows with no
# space (an upper-case letter, a digit, a bullet or a quote), and off the text before
# it when that text runs into it; the ice cube only ever starts a badge. Case
# matters: "nice pick" in a sentence is prose.
_MARKER = r"(?:🧊\s*)?(?:Nice Pick|No Pick|The Bottom Line)|Pros|Cons|The Verdict|It depends"
_NEXT = r"[A-Z0-9•+\-−–\"“'(]"
_FUSED_START = re.compile(rf"^(?:{_MARKER})(?={_NEXT})")
_FUSED_BEFORE = re.compile(rf"(?<=[^\s{_ICE}])(?:(?:{_MARKER})(?=$|{_NEXT})|{_ICE})")
_FUSED_BULLET = re.compile(r"(?<=\S)\s*(?=•\s*[+\-−–])")


def slugify(name: str) -> str:
    """A valid slug for a display name.

    >>> slugify("C++"), slugify("Node.js"), slugify("Café Society"), slugify("Rust vs Go")
    ('c-plus-plus', 'node-js', 'cafe-society', 'rust-versus-go')
    """
    text = name.replace("++", " plus plus ").replace("+", " plus ").replace("#", " sharp ")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    slug = "-".join("versus" if w == "vs" else w for w in slug.split("-")) if slug else ""
    if slug in ("", "none"):
        slug = (slug or "topic") + "-topic"
    return slug[:60].strip("-")


@dataclass
class ParsedSide:
    name: str
    summary: str = ""
    pros: list[str] = field(default_factory=list)
    cons: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    choose_if: str = ""
    kind: str | None = None


@dataclass
class ParsedPage:
    """What one page says, and what could not be read (line, message)."""

    source: str
    url: str = ""  # the page's address, when its first line gives it
    a: ParsedSide | None = None
    b: ParsedSide | None = None
    pick: str | None = None  # a side's name, or None
    no_pick: bool = False
    intro: str = ""
    verdict: str = ""
    bottom_line: str = ""
    pick_reason: str = ""
    problems: list[tuple[int, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.a is not None and self.b is not None

    def side(self, name: str) -> ParsedSide | None:
        for s in (self.a, self.b):
            if s is not None and s.name.lower() == name.lower():
                return s
        return None


def _para(lines: list[str]) -> str:
    return " ".join(" ".join(lines).split())


def parse_page(text: str, source: str = "<page>") -> ParsedPage:
    """Parse one page; never raises for any text.

    >>> p = parse_page("A vs B\\n\\nA\\n\\nPros\\n\\n  • +Fast enough for most work\\n")
    >>> p.a.name, p.b.name, p.a.pros
    ('A', 'B', ['Fast enough for most work'])
    """
    page = ParsedPage(source)
    try:
        _parse(text, page)
    except Exception as exc:  # a bug in the parser must not stop an import
        page.problems.append((0, f"could not parse the page ({type(exc).__name__}: {exc})"))
    return page


def _parse(text: str, page: ParsedPage) -> None:
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\ufeff", "")
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.split("\n"))]
    lines = [(n, "".join(ch for ch in s if ch == "\t" or ch >= " ")) for n, s in lines]
    body = [(n, s) for n, s in lines if s]
    i = 0
    while i < len(body) and (
        body[i][1].lower() in ("dynamic", _ICE) or _URL_LINE.match(body[i][1])
    ):
        if _URL_LINE.match(body[i][1]) and not page.url:
            page.url = body[i][1]
        i += 1
    if i == len(body):
        page.problems.append((1, "the page is empty"))
        return
    n, title = body[i]
    match = _TITLE.match(title)
    if not match:
        page.problems.append((n, f"expected a title 'A vs B', found {title[:60]!r}"))
        return
    page.a, page.b = ParsedSide(match["a"].strip()), ParsedSide(match["b"].strip())
    if page.a.name.lower() == page.b.name.lower():
        page.problems.append((n, "both sides of the title have the same name"))
    names = {page.a.name.lower(): page.a, page.b.name.lower(): page.b}
    body = body[: i + 1] + _unfuse(body[i + 1 :], (page.a.name, page.b.name))
    i += 1

    state, side, buffer = "intro", None, []
    seen_sides: set[str] = set()

    def flush() -> None:
        nonlocal buffer
        if not buffer:
            return
        para = _para(buffer)
        if state == "intro":
            page.intro = (page.intro + " " + para).strip()
        elif state == "pick":
            page.pick_reason = (page.pick_reason + " " + para).strip()
        elif state == "summary" and side is not None:
            side.summary = (side.summary + " " + para).strip()
        elif state == "bottom":
            page.bottom_line = (page.bottom_line + " " + para).strip()
        elif state == "verdict":
            page.verdict = (page.verdict + " " + para).strip()
        buffer = []

    while i < len(body):
        n, line = body[i]
        i += 1
        low = line.lower()
        if _FOOTER.match(line):
            flush()
            break
        if state == "intro" and (_PICK_MARK.match(line) or _NO_PICK_MARK.match(line)):
            flush()
            if _NO_PICK_MARK.match(line):
                page.no_pick = True
                state = "pick"
                continue
            # the next line names the pick
            if i < len(body):
                pn, name = body[i]
                fused = _fused_name(name, (page.a.name, page.b.name))
                if name.lower() in names:
                    page.pick = names[name.lower()].name
                    i += 1
                elif fused:
                    # "GitflowGitflow suits teams …": the name, then the reason
                    page.pick = fused
                    body[i] = (pn, name[len(fused) :])
                else:
                    page.problems.append((pn, f"the pick {name[:60]!r} is neither side"))
            state = "pick"
            continue
        if low in names and state in ("intro", "pick", "summary", "pros", "cons"):
            flush()
            if low in seen_sides:
                page.problems.append((n, f"{line!r} appears as a side twice"))
            seen_sides.add(low)
            side = names[low]
            state = "summary"
            continue
        if side is not None and state == "summary" and _PICK_MARK.match(line):
            if page.pick is None and not page.no_pick:
                page.pick = side.name
            elif page.pick and page.pick != side.name:
                page.problems.append(
                    (n, f"the pick badge is on {side.name} but the pick is {page.pick}")
                )
            continue
        if low in ("pros", "cons") and side is not None and state in ("summary", "pros", "cons"):
            flush()
            state = low
            continue
        if low == "the verdict":
            flush()
            state = "verdict"
            continue
        if low in (_ICE, "the bottom line", _ICE + "the bottom line", _ICE + " the bottom line"):
            flush()
            state = "bottom"
            continue
        wins = _WINS.match(line)
        if wins and state in ("verdict", "bottom", "cons", "pros"):
            flush()
            name = wins["name"].lstrip(_ICE + " ").strip()
            if name.lower() in names:
                winner = names[name.lower()].name
                if page.pick and page.pick != winner:
                    page.problems.append(
                        (n, f"the bottom line says {winner} wins but the pick is {page.pick}")
                    )
                page.pick = page.pick or winner
            else:
                page.problems.append((n, f"{name[:60]!r} wins, but it is neither side"))
            state = "bottom"
            continue
        if low in ("it depends", "it depends.") and state in ("verdict", "bottom"):
            flush()
            page.no_pick = True
            state = "bottom"
            continue
        if state in ("pros", "cons"):
            bullet = _BULLET.match(line)
            if not bullet:
                page.problems.append(
                    (n, f"expected a '+' or '-' bullet under {state.title()}, found {line[:60]!r}")
                )
                continue
            item = bullet["text"].strip()
            related = _RELATED.match(item)
            if related:
                tags = [slugify(t) for t in related["tags"].split(",") if t.strip()]
                side.tags += [t for t in tags if t not in side.tags]
            elif item:
                (side.pros if state == "pros" else side.cons).append(item)
            continue
        if state == "verdict":
            use = _USE_IF.match(line)
            if use and use["name"].lower() in names:
                flush()
                target = names[use["name"].lower()]
                target.choose_if = use["text"].strip()
                if target.choose_if:
                    target.choose_if = target.choose_if[0].upper() + target.choose_if[1:]
                continue
        buffer.append(line)
    flush()
    _read_verdict(page)
    for s in (page.a, page.b):
        if s.name.lower() not in seen_sides:
            page.problems.append((0, f"no section for {s.name}: its pros and cons are missing"))


def _split_line(line: str, names: tuple[str, str]) -> tuple[str, str] | None:
    """A line cut in two where extraction fused two elements, or None."""
    m = _FUSED_START.search(line)
    if m:
        return line[: m.end()], line[m.end() :]
    m = _FUSED_BEFORE.search(line) or _FUSED_BULLET.search(line)
    if m:
        return line[: m.start()], line[m.start() :]
    for name in names:
        wins = re.match(rf"(?:{_ICE}\s*)?{re.escape(name)} wins(?=[A-Z])", line)
        if wins:
            return line[: wins.end()], line[wins.end() :]
        use = re.search(rf"(?<=\S)Use {re.escape(name)} if\s*:", line)
        if use:
            return line[: use.start()], line[use.start() :]
    return None


def _unfuse(body: list[tuple[int, str]], names: tuple[str, str]) -> list[tuple[int, str]]:
    """The lines of a page with fused badges, headings, bullets, "X wins" and "Use X
    if:" put back on lines of their own (each keeps its line number).

    >>> _unfuse([(3, "Here's our take.🧊Nice PickGit")], ("Git", "SVN"))
    [(3, "Here's our take."), (3, '🧊Nice Pick'), (3, 'Git')]
    """
    out: list[tuple[int, str]] = []
    todo = list(reversed(body))
    while todo:
        n, line = todo.pop()
        parts = _split_line(line, names)
        if parts is None:
            out.append((n, line))
        else:
            todo += [(n, parts[1].strip()), (n, parts[0].strip())]
    return out


def _fused_name(line: str, names: tuple[str, str]) -> str | None:
    """The side whose name starts ``line`` with the next word fused to it, if any."""
    for name in sorted(names, key=len, reverse=True):
        if line.startswith(name):
            # "JavaScript is …" with sides Java and JavaScript names JavaScript, unfused
            return name if line[len(name) : len(name) + 1].isupper() else None
    return None


def _read_verdict(page: ParsedPage) -> None:
    """The 'These tools serve different purposes' form names kinds and the pick."""
    text = page.verdict
    if not text:
        return
    names = {page.a.name.lower(): page.a, page.b.name.lower(): page.b}
    for m in _DIFFERENT.finditer(text):
        for name, kind in ((m["a"], m["ka"]), (m["b"], m["kb"])):
            key = name.strip().lower()
            for candidate, side in names.items():
                if key.endswith(candidate):
                    side.kind = kind.strip().lower()
    picked = _PICKED.search(text)
    if picked:
        name = picked["name"].strip().lower()
        if name in names:
            if page.pick and page.pick != names[name].name:
                page.problems.append(
                    (0, f"the verdict picks {names[name].name} but the page picks {page.pick}")
                )
            page.pick = page.pick or names[name].name


# ---------------------------------------------------------------- rendering


def first_sentence(text: str) -> str:
    """The first sentence of a paragraph.

    >>> first_sentence("Redis is fast. It keeps data in memory.")
    'Redis is fast.'
    """
    m = re.search(r"(?<=[a-z0-9)][.!?])\s+(?=[A-Z])", text)
    return text[: m.start()] if m else text


def render_page(tg, slug: str) -> str:
    """A comparison in the published plain-text form (the seed's first layout)."""
    c = tg.comparison(slug)
    topics = tg.topics
    a, b = topics[c.a.topic], topics[c.b.topic]
    out = ["Dynamic", "", f"{a.name} vs {b.name}", "", c.bottom_line, ""]
    if c.winner:
        out += [f"{_ICE}Nice Pick", "", topics[c.winner].name, "", c.verdict, ""]
    else:
        out += [f"{_ICE}No Pick", "", c.verdict, ""]
    for side, topic in ((c.a, a), (c.b, b)):
        out += [topic.name, ""]
        if c.winner == side.topic:
            out += ["Nice Pick", ""]
        out += [side.summary or first_sentence(topic.summary), "", "Pros", ""]
        out += [f"  • +{p}" for p in side.pros]
        out += [f"  • +Related to: {', '.join(topic.related)}", "", "Cons", ""]
        out += [f"  • -{x}" for x in side.cons]
        out += [""]
    out += [
        "The Verdict",
        "",
        f"Use {a.name} if: {c.a.choose_if}",
        "",
        f"Use {b.name} if: {c.b.choose_if}",
        "",
        _ICE,
        "The Bottom Line",
    ]
    if c.winner:
        out += [f"{topics[c.winner].name} wins", "", c.bottom_line, ""]
    else:
        out += ["It depends", "", c.no_pick_reason or "", ""]
    return "\n".join(out)
