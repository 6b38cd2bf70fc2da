"""pickgraph's website and JSON API: the Flask application factory.

>>> app = create_app({"TESTING": True})
>>> app.test_client().get("/healthz").json["ok"]
True
"""

from __future__ import annotations

from pathlib import Path

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from . import site
from .api import bp as api_bp
from .editor import bp as editor_bp
from .feedback import Feedback
from .pages import bp as pages_bp
from .settings import SETTINGS, Settings
from .state import SiteState

__all__ = ["SETTINGS", "Settings", "create_app"]

HERE = Path(__file__).resolve().parent


def create_app(
    config: dict | None = None, state: SiteState | None = None, settings: Settings | None = None
) -> Flask:
    """Build the app. Settings (``settings.SETTINGS``) come from ``config``, else the
    environment, read once here, unless ``settings`` is given; other keys of
    ``config`` are Flask's. ``state`` (a prebuilt SiteState) skips loading, as
    gunicorn workers forked from a loaded master do."""
    # Paths given, not searched for: pickgraph is a namespace package, which Flask's
    # search cannot always place (an editable install maps its folders elsewhere).
    config = dict(config or {})
    settings = settings or Settings.read(config)
    app = Flask(__name__, root_path=str(HERE), instance_path=str(settings.instance.resolve()))
    app.config.from_mapping({k: v for k, v in config.items() if k not in SETTINGS})
    # Werkzeug answers 400 to any other Host header before a view runs (None: any)
    app.config["TRUSTED_HOSTS"] = settings.allowed_hosts and list(settings.allowed_hosts)
    # One app serves one state: a content reload in the gunicorn master builds a new
    # app for the new workers, so a request never sees the state change under it.
    state = state or SiteState.from_settings(settings)
    app.extensions["pickgraph"] = site.AppState(settings, state, Feedback(settings))

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(editor_bp)
    site.install(app)
    if settings.proxy_count:  # the client's address as the proxies in front pass it on
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=settings.proxy_count)
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True
    return app
