"""pickgraph's website and JSON API: the Flask application factory.

>>> app = create_app({"TESTING": True})
>>> app.test_client().get("/healthz").json["ok"]
True
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

from flask import Flask

__all__ = ["create_app", "StateHolder"]

HERE = Path(__file__).resolve().parent
# Flask's own default for an installed application's instance folder.
INSTANCE_PATH = os.path.join(sys.prefix, "var", "pickgraph-instance")

# Settings: name, default and what it does. PICKGRAPH_<NAME> in the environment sets it.
SETTINGS = {
    "CONTENT": (None, "content folder to serve (default: the bundled content)"),
    "SITE_URL": (
        None,
        "public origin for canonical links and the sitemap (default: the request's)",
    ),
}


class StateHolder:
    """The app's current SiteState. Swapping it is one reference assignment, so a
    request sees the old content or the new, never a mix."""

    def __init__(self, state):
        self._state = state
        self._lock = threading.Lock()

    @property
    def state(self):
        return self._state

    def swap(self, state) -> None:
        with self._lock:
            self._state = state


def create_app(config: dict | None = None, state=None) -> Flask:
    """Build the app. Content comes from ``config["CONTENT"]``, else
    $PICKGRAPH_CONTENT, else the bundled folder; ``state`` (a prebuilt SiteState)
    skips loading, as gunicorn workers forked from a loaded master do."""
    # Paths given, not searched for: pickgraph is a namespace package, which Flask's
    # search cannot always place (an editable install maps its folders elsewhere).
    app = Flask(__name__, root_path=str(HERE), instance_path=INSTANCE_PATH)
    app.config.from_mapping({name: default for name, (default, _) in SETTINGS.items()})
    app.config["JSON_SORT_KEYS"] = False
    app.config.from_prefixed_env("PICKGRAPH")
    if config:
        app.config.from_mapping(config)
    if state is None:
        from .state import SiteState

        state = SiteState.from_folder(app.config["CONTENT"] or os.environ.get("PICKGRAPH_CONTENT"))
    app.extensions["pickgraph"] = StateHolder(state)

    from . import site
    from .api import bp as api_bp
    from .pages import bp as pages_bp

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    site.install(app)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app
