"""Small HTML helpers for tests: links, head tags and text, with the stdlib parser."""

from __future__ import annotations

from html.parser import HTMLParser


class Page(HTMLParser):
    def __init__(self, html: str):
        super().__init__(convert_charrefs=True)
        self.links: list[str] = []
        self.assets: list[str] = []
        self.meta: dict[str, str] = {}
        self.link_rel: dict[str, dict] = {}
        self.scripts: list[tuple[dict, str]] = []
        self.title = ""
        self._in_title = False
        self._script: dict | None = None
        self._script_text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "a" and "href" in a:
            self.links.append(a["href"])
        if tag in ("script", "img") and "src" in a:
            self.assets.append(a["src"])
        if tag == "link" and "href" in a:
            rels = (a.get("rel") or "").split()
            if {"stylesheet", "icon", "preload", "modulepreload"} & set(rels):
                self.assets.append(a["href"])
            for rel in rels:
                self.link_rel[rel] = a
        if tag == "meta":
            key = a.get("name") or a.get("property")
            if key:
                self.meta[key] = a.get("content", "")
        if tag == "title":
            self._in_title = True
        if tag == "script":
            self._script, self._script_text = a, []

    def handle_endtag(self, tag):
        if tag == "title":
            self._in_title = False
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script, "".join(self._script_text)))
            self._script = None

    def handle_data(self, data):
        if self._in_title:
            self.title += data
        if self._script is not None:
            self._script_text.append(data)
