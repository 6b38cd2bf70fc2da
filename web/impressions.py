"""Signed impression tokens: proof that a suggestion list was shown.

Every suggestion list the site serves (a page's or the API's) carries a token naming
the page, the list, the slugs shown in order, the experiment arm the list was drawn
under and the time window it was built in, signed with HMAC-SHA256 under the site's
key. A click is recorded only with a valid, unexpired token that names the clicked
slug, so a script cannot invent clicks for lists nobody was shown.

Time moves in windows of ``WINDOW`` seconds: a list is built once per page and window
(the response cache is keyed by the window), its token says which window, and the
arm a list is drawn under is a function of the key, the page and the window, so every
worker draws the same.

>>> key = b"k" * 32
>>> token = sign(key, Impression("comparison/a-vs-b", "comparisons", 100, "control", ("x", "y")))
>>> verify(key, token, now=100 * WINDOW + 5).slugs
('x', 'y')
>>> verify(key, token[:-2] + "AA", now=100 * WINDOW) is None
True
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from dataclasses import dataclass

__all__ = ["WINDOW", "Impression", "arm_for", "current_window", "sign", "verify"]

FORMAT = "1"
# A list is rebuilt (and re-signed) every WINDOW seconds.
WINDOW = 600
# A token stays valid this long after its window ends: a reader may click a page
# opened yesterday, not one a script saved last month.
TTL = 2 * 86400
# Longest token accepted (a list of 20 long slugs fits well within it).
MAX_TOKEN = 4096
_SEP = "|"


@dataclass(frozen=True)
class Impression:
    """One shown list: where, which, when, how it was drawn and what it showed.

    ``teams`` holds, for an interleaved list, the ranker ("a" the default, "b" the
    candidate) that contributed each slot; it is empty otherwise."""

    page: str
    list: str
    window: int
    arm: str
    slugs: tuple[str, ...]
    teams: str = ""
    # the token's MAC, hex (set by ``verify``): what a click is deduplicated on
    mac: str = ""

    def slot(self, slug: str) -> int | None:
        try:
            return self.slugs.index(slug)
        except ValueError:
            return None

    def default_rank(self, slot: int) -> int:
        """The slot's item's rank in the default order (-1 in an interleaved list,
        whose slots are the two rankers' picks in turn)."""
        if self.arm.startswith("swap-"):
            k = int(self.arm[5:])
            return {k: k + 1, k + 1: k}.get(slot, slot)
        if self.arm == "interleave":
            return -1
        return slot


def current_window(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // WINDOW)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _payload(imp: Impression) -> str:
    parts = [FORMAT, imp.page, imp.list, str(imp.window), imp.arm, imp.teams, ",".join(imp.slugs)]
    return _SEP.join(parts)


def sign(key: bytes, imp: Impression) -> str:
    payload = _payload(imp).encode("utf-8")
    mac = hmac.new(key, payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(mac)}"


def verify(key: bytes, token: object, now: float | None = None) -> Impression | None:
    """The impression a token names if its signature holds and it has not expired
    (nor comes from the future); None for anything else, whatever its shape."""
    if not isinstance(token, str) or len(token) > MAX_TOKEN or token.count(".") != 1:
        return None
    body, mac = token.split(".")
    try:
        payload = _unb64(body)
        given = _unb64(mac)
    except (ValueError, TypeError):
        return None
    if _b64(payload) != body or _b64(given) != mac:
        return None  # base64 that decodes but is not spelt as we spell it: a copy
    if not hmac.compare_digest(hmac.new(key, payload, hashlib.sha256).digest()[:16], given):
        return None
    try:
        fmt, page, name, window, arm, teams, slugs = payload.decode("utf-8").split(_SEP)
        window_n = int(window)
    except ValueError:
        return None
    if fmt != FORMAT:
        return None
    now = time.time() if now is None else now
    start = window_n * WINDOW
    if start > now + 60 or start + WINDOW + TTL < now:
        return None
    shown = tuple(slugs.split(",")) if slugs else ()
    return Impression(page, name, window_n, arm, shown, teams, given.hex())


def arm_for(
    key: bytes, page: str, window: int, size: int, swap_share: float, interleave_share: float
) -> str:
    """The arm a list of ``size`` items on ``page`` is drawn under in ``window``:
    "interleave" on ``interleave_share`` of lists, "swap-K" (ranks K and K+1
    exchanged, K uniform) on ``swap_share``, else "control". A function of the key,
    so the same in every worker and unguessable from outside."""
    digest = hmac.new(key, f"arm|{page}|{window}".encode(), hashlib.sha256).digest()
    u = int.from_bytes(digest[:8], "big") / 2**64
    if u < interleave_share:
        return "interleave"
    if size >= 2 and u < interleave_share + swap_share:
        return f"swap-{int.from_bytes(digest[8:12], 'big') % (size - 1)}"
    return "control"
