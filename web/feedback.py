"""Reader feedback in the running site: impression tokens on every suggestion list,
the events endpoint, the vote form, search misses, and what is learned from them.

Nothing here identifies a reader: no cookie is set, and a client is known only by a
hash of its address and user agent under a salt that changes every day and is deleted
when the day ends (``store.Store.client``). What is stored is listed in
docs/privacy.md.

Each worker keeps, per time window (``impressions.WINDOW``), what it learned from the
database: the co-click scores per page (``engine.feedback``), the examination
probability per slot, and the share of readers agreeing with each pick. Suggestions
change only for pages with enough evidence; without it they are exactly the engine's.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

from flask import current_app, g, has_request_context, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.exceptions import Forbidden

from pickgraph.engine import feedback as learn
from pickgraph.engine.methods import DEFAULT_METHOD, METHODS
from pickgraph.engine.suggest import DEFAULT_LIMIT, Evidence, Suggestions
from pickgraph.graph.errors import BadRequest

from . import impressions
from .impressions import Impression, arm_for, sign, verify
from .settings import Settings
from .store import Store, off_the_event_loop, open_store, today

__all__ = ["Feedback", "FeedbackUnavailable", "feedback", "is_bot", "page_id", "same_origin"]

log = logging.getLogger("pickgraph")

# The arm of a list drawn by a method a client asked for (no experiment; not learnt from).
OTHER_METHOD = "other"
# A vote's comment, at most (characters).
MAX_COMMENT = 500
# A public page shows the share of readers agreeing with its pick from this many votes.
MIN_VOTES_SHOWN = 20
# Shown-list counts are added to the database at least this often (seconds).
FLUSH_SECONDS = 10.0
# The co-click signal needs learn.MIN_IMPRESSIONS shown lists of a page and
# learn.MIN_CLICKS readers (distinct sources) clicking a target.
# User agents that are not readers (crawlers, link previews, monitors, headless tools).
BOTS = re.compile(
    r"bot|crawl|spider|slurp|preview|fetch|monitor|scan|headless|python-requests|"
    r"curl/|wget/|httpie|go-http-client|java/|okhttp|libwww|phantomjs|lighthouse",
    re.IGNORECASE,
)


class FeedbackUnavailable(Exception):
    """The feedback database could not be reached (the API answers 503)."""


def is_bot(agent: str | None) -> bool:
    """A request from a crawler or tool rather than a reader. An empty user agent
    counts as a tool too."""
    return not agent or bool(BOTS.search(agent))


def page_id(query: dict) -> str:
    """The page a suggestion list is on: "comparison/<slug>", "topic/<slug>" or
    "stack/<t1>,<t2>,..." (a set's page is the stack of its topics)."""
    if query.get("type") in ("comparison", "topic"):
        return f"{query['type']}/{query['slug']}"
    return "stack/" + ",".join(query.get("topics") or ())


@dataclass
class Learned:
    """What a worker knows from the database in one window."""

    window: int
    scores: dict[str, dict[str, float]] = field(default_factory=dict)
    agreement: dict[str, tuple[int, int]] = field(default_factory=dict)  # slug: (agree, disagree)


class Feedback:
    """The feedback side of one app: its store, key, counters and what it learned."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self._key: bytes | None = None
        self._store: Store | None = None
        self._lock = threading.Lock()
        self._shown: Counter = Counter()
        self._last_flush = time.monotonic()
        self._learned: Learned | None = None

    # ------------------------------------------------------------------ parts
    @property
    def key(self) -> bytes:
        if self._key is None:
            self._key = self.settings.key()
        return self._key

    def store(self) -> Store:
        """The database, its schema made on first use; FeedbackUnavailable if not."""
        if self._store is None:
            try:
                self._store = open_store(self.settings.database())
            except (BadRequest, SQLAlchemyError, OSError) as exc:
                raise FeedbackUnavailable(str(exc)) from None
        return self._store

    def client(self) -> tuple[str, str]:
        """This request's client hash (address and user agent) and source hash
        (address alone), both under today's salt."""
        agent = request.headers.get("User-Agent", "")
        address = request.remote_addr or ""
        store = self.store()
        try:
            return store.client(address, agent), store.source(address)
        except SQLAlchemyError as exc:  # today's salt could not be read or made
            raise FeedbackUnavailable(str(exc).splitlines()[0]) from None

    # ------------------------------------------------------------------ learning
    def learned(self) -> Learned:
        """This window's knowledge, read once per window and worker; empty when the
        database cannot be read (the site serves the engine's lists as they are)."""
        window = impressions.current_window()
        known = self._learned
        if known is not None and known.window == window:
            return known
        with self._lock:
            known = self._learned
            if known is not None and known.window == window:
                return known
            try:
                known = self._learn(window)
            except Exception as exc:  # noqa: BLE001 - pages are served whatever happens
                log.warning("pickgraph: feedback not read (%s); lists as the engine ranks", exc)
                known = Learned(window)
            self._learned = known
            return known

    def _learn(self, window: int) -> Learned:
        store = self.store()
        clicks = learned_clicks(store, sources=True)
        shown = lists_shown(store.impression_counts())
        scores = learn.co_click_scores(
            [c for c in clicks if c.arm != "interleave"],
            shown,
            learn.examination(clicks, shown),
            min_impressions=learn.MIN_IMPRESSIONS,
            min_clicks=learn.MIN_CLICKS,
        )
        return Learned(window, scores, vote_counts(store))

    def agreement(self, comparison: str) -> dict | None:
        """ "71% of 143 readers agree" for a comparison with enough votes, else None."""
        if not has_request_context() or current_app.config.get("STATIC_EXPORT"):
            return None
        agree, disagree = self.learned().agreement.get(comparison, (0, 0))
        n = agree + disagree
        if n < MIN_VOTES_SHOWN:
            return None
        return {"agree": agree, "votes": n, "share": round(agree / n, 3)}

    # ------------------------------------------------------------------ lists
    def shape(self, state, found: Suggestions) -> tuple[Suggestions, dict[str, str | None]]:
        """The lists as this page shows them in this window (co-click evidence
        applied, the window's experiment arm drawn), and each list's signed token.

        Only the default method's lists are shaped; a list asked for by method is
        served as that method ranks it (with a token all the same)."""
        if not has_request_context() or current_app.config.get("STATIC_EXPORT"):
            return found, {"comparisons": None, "topics": None}
        try:
            key = self.key
        except (OSError, BadRequest) as exc:  # no key to sign with: lists without tokens
            log.error("pickgraph: impression tokens off, no signing key (%s)", exc)
            return found, {"comparisons": None, "topics": None}
        window = impressions.current_window()
        page = page_id(found.query)
        comparisons = list(found.comparisons)
        arm = "control" if found.method == DEFAULT_METHOD else OTHER_METHOD
        teams = ""
        if found.method == DEFAULT_METHOD and comparisons:
            scores = self.learned().scores.get(page)
            if scores:
                comparisons = _with_co_clicks(comparisons, scores)
            s = self.settings
            arm = arm_for(key, page, window, len(comparisons), s.swap_share, s.interleave_share)
            if arm == "interleave":
                comparisons, teams = self._interleave(state, found, comparisons, page, window)
                if not teams:
                    arm = "control"
            elif arm.startswith("swap-"):
                k = int(arm[5:])
                comparisons[k], comparisons[k + 1] = comparisons[k + 1], comparisons[k]
        shaped = replace(found, comparisons=comparisons)
        tokens: dict[str, str | None] = {}
        shown = []
        for name, items, list_arm, list_teams in (
            ("comparisons", comparisons, arm, teams),
            ("topics", list(found.topics), arm if arm == OTHER_METHOD else "control", ""),
        ):
            if not items:
                tokens[name] = None
                continue
            imp = Impression(page, name, window, list_arm, tuple(x.slug for x in items), list_teams)
            tokens[name] = sign(key, imp)
            shown.append((page, name, list_arm))
        g.setdefault("pickgraph_shown", []).extend(shown)
        return shaped, tokens

    def _interleave(self, state, found: Suggestions, default, page: str, window: int):
        method = self.settings.interleave
        if method not in METHODS or method == DEFAULT_METHOD:
            return default, ""
        limit = max(len(default), DEFAULT_LIMIT)
        q = found.query
        if q["type"] == "topics":
            other = state.recommender.for_topics(list(q["topics"]), limit, method)
        else:
            other = state.recommender.for_page(q["type"], q["slug"], limit, method)
        by_slug = {x.slug: x for x in [*other.comparisons, *default]}
        slugs, teams = learn.team_draft(
            [x.slug for x in default],
            [x.slug for x in other.comparisons],
            len(default),
            page + f"|{window}",
        )
        return [by_slug[s] for s in slugs], "".join(teams)

    # ------------------------------------------------------------------ counting
    def count_shown(self, shown) -> None:
        """Count lists shown by this response (bots excepted); added to the
        database in batches."""
        # a HEAD shows nothing; a crawler is no reader
        if not shown or request.method != "GET" or is_bot(request.headers.get("User-Agent")):
            return
        day = today()
        with self._lock:
            for page, name, arm in shown:
                self._shown[(day, page, name, arm)] += 1
            due = time.monotonic() - self._last_flush >= FLUSH_SECONDS
        if due:
            self.flush()

    def flush(self) -> None:
        """Add the counted lists to the database (on failure they are kept)."""
        with self._lock:
            counts, self._shown = self._shown, Counter()
            self._last_flush = time.monotonic()
        if not counts:
            return
        try:
            store = self.store()
            off_the_event_loop(store.add_impressions, counts)
        except Exception as exc:  # noqa: BLE001 - a page view never fails on counting
            log.warning("pickgraph: shown-list counts not stored yet (%s)", exc)
            with self._lock:
                self._shown.update(counts)

    # ------------------------------------------------------------------ events
    def click(self, state, token: object, target: object) -> str:
        """Record a click on ``target`` in the list ``token`` proves was shown."""
        if not isinstance(target, str) or not target:
            raise BadRequest("to must be the slug of the suggestion clicked", "to")
        try:
            key = self.key
        except (OSError, BadRequest) as exc:
            raise FeedbackUnavailable(f"no signing key: {exc}") from None
        imp = verify(key, token)
        if imp is None:
            raise BadRequest(
                "impression is not a valid, unexpired token of a list this site showed",
                "impression",
            )
        slot = imp.slot(target)
        if slot is None:
            raise BadRequest(f"the list this impression names did not show {target!r}", "to")
        tg = state.tg
        known = tg.comparisons if imp.list == "comparisons" else tg.topics
        if target not in known:
            raise BadRequest(f"no {imp.list[:-1]} {target!r}", "to")
        client, source = self.client()
        fields = {
            "page": imp.page,
            "list": imp.list,
            "slot": slot,
            "rank": imp.default_rank(slot),
            "arm": imp.arm,
            "team": imp.teams[slot] if imp.teams else None,
            "target": target,
            "impression": imp.mac,
        }
        # what the token signs (its MAC), not how it is spelt
        dedupe = _dedupe("click", client, imp.mac, target)
        return self._record("click", client, source, dedupe, fields)

    def vote(self, state, comparison: object, agree: object, comment: object = None) -> str:
        if not isinstance(comparison, str) or not comparison:
            raise BadRequest("comparison must be the slug of a comparison", "comparison")
        comparison = state.tg.canonical("comparison", comparison)  # NotFound: 404
        if not isinstance(agree, bool):
            raise BadRequest("agree must be true or false", "agree")
        if comment is not None:
            comment = _text(comment, "comment", MAX_COMMENT)
        client, source = self.client()
        fields = {"comparison": comparison, "agree": agree, "comment": comment or None}
        # one vote per comparison, address and day: the first one counts
        dedupe = _dedupe("vote", source, today().isoformat(), comparison)
        return self._record("vote", client, source, dedupe, fields)

    def search_miss(self, state, query: str) -> None:
        """Record a search with no good result (once per client, query and day);
        never fails the search."""
        if is_bot(request.headers.get("User-Agent")):
            return
        missed = state.search.miss(query)
        if missed is None:
            return
        missed = "".join(c for c in missed if unicodedata.category(c)[0] != "C")
        if not missed.strip():
            return
        try:
            client, source = self.client()
            dedupe = _dedupe("search-miss", source, today().isoformat(), missed)
            self._record("search-miss", client, source, dedupe, {"query": missed})
        except (FeedbackUnavailable, SQLAlchemyError) as exc:
            log.warning("pickgraph: search miss not stored (%s)", exc)

    def _record(self, kind: str, client: str, source: str, dedupe: str, fields: dict) -> str:
        """Store a valid event: "stored", "duplicate", "limited", or "bot" (a crawler
        or tool: answered like anyone, never recorded)."""
        if is_bot(request.headers.get("User-Agent")):
            return "bot"
        try:
            rate = self.settings.event_rate
            return self.store().record(kind, client, dedupe, fields, rate, source)
        except (SQLAlchemyError, TimeoutError) as exc:
            raise FeedbackUnavailable(str(exc).splitlines()[0]) from None


def same_origin() -> None:
    """Refuse (403) a POST another site's page makes a browser send: an Origin header
    naming another origin, or Sec-Fetch-Site saying cross-site. Clients that are not
    browsers send neither and are judged by their body alone."""
    origin = request.headers.get("Origin")
    if origin is not None and not _ours(origin):
        raise Forbidden(f"a POST from {origin[:100]!r} is not accepted: same origin only")
    if request.headers.get("Sec-Fetch-Site") == "cross-site":
        raise Forbidden("a cross-site POST is not accepted: same origin only")


def _ours(origin: str) -> bool:
    """Whether ``origin`` is this site's: SITE_URL's scheme and host when it is set
    (its path does not matter), else the request's host (a proxy may have ended TLS,
    so the scheme the app sees is not the browser's)."""
    site = current_app.extensions["pickgraph"].settings.site_url
    given = urlsplit(origin)
    if site:
        mine = urlsplit(site)
        return (given.scheme, given.netloc.lower()) == (mine.scheme, mine.netloc.lower())
    return given.scheme in ("http", "https") and given.netloc.lower() == request.host.lower()


def _text(value: object, name: str, limit: int) -> str:
    """Free text a reader typed, spaces collapsed; BadRequest for anything that is
    not text a database can keep (control characters, lone surrogates) or too long."""
    if not isinstance(value, str):
        raise BadRequest(f"{name} must be text", name)
    text = " ".join(value.split())
    if len(text) > limit:
        raise BadRequest(f"{name} must be at most {limit} characters", name)
    if any(unicodedata.category(c) in ("Cc", "Cs") for c in text):
        raise BadRequest(f"{name} holds characters that are not text", name)
    return text


def lists_shown(rows: dict[tuple[str, str, str], int]) -> Counter:
    """Shown comparisons lists per (page, arm), from ``Store.impression_counts``
    (lists drawn by a method a client asked for are left out)."""
    shown: Counter = Counter()
    for (page, name, arm), n in rows.items():
        if name == "comparisons" and arm != OTHER_METHOD:
            shown[(page, arm)] += n
    return shown


def vote_counts(store: Store) -> dict[str, tuple[int, int]]:
    """Per comparison, how many readers agree and disagree with its pick."""
    out: dict[str, list[int]] = {}
    for r in store.grouped("vote", ("comparison", "agree")):
        out.setdefault(r["comparison"], [0, 0])[0 if r["agree"] else 1] += r["count"]
    return {slug: (a, d) for slug, (a, d) in out.items()}


def learned_clicks(store: Store, sources: bool = False) -> list:
    """The comparisons lists' clicks, grouped, as ``engine.feedback.Click`` records
    (lists drawn by a method a client asked for are left out: they are no arm)."""
    rows = store.grouped(
        "click", ("page", "list", "target", "slot", "rank", "arm", "team"), sources=sources
    )
    return [
        learn.Click(
            page=r["page"],
            target=r["target"],
            slot=r["slot"],
            rank=r["rank"],
            arm=r["arm"],
            team=r["team"] or "",
            count=r["count"],
        )
        for r in rows
        if r["list"] == "comparisons" and r["arm"] != OTHER_METHOD
    ]


def _dedupe(*parts: str) -> str:
    return hashlib.sha256("|".join(parts).encode("utf-8")).hexdigest()


def _with_co_clicks(items: list, scores: dict[str, float]) -> list:
    """The list reordered by the page's co-click scores, each target that readers
    often read next saying so."""
    order = learn.rerank([x.slug for x in items], scores)
    by_slug = {x.slug: x for x in items}
    out = []
    for slug in order:
        item = by_slug[slug]
        if slug in scores:
            note = Evidence("co-click", "Readers of this page often read this one next")
            item = replace(item, evidence=(*item.evidence, note))
        out.append(item)
    return out


def feedback() -> Feedback:
    return current_app.extensions["pickgraph"].feedback
