"""The editor's view of reader feedback: /editor.

Off (404, as if it did not exist) unless EDITOR_TOKEN is set. The token comes in an
``Authorization: Bearer`` header or through the login form, never in a URL (URLs end
up in logs and histories), and no cookie is set: the form's answer is the report
itself, never cached.
"""

from __future__ import annotations

import hmac

from flask import Blueprint, Response, abort, render_template, request

from .feedback import feedback, same_origin
from .report import build_report
from .site import current_state, settings

bp = Blueprint("editor", __name__)

__all__ = ["bp"]


def _token_matches(given: str | None) -> bool:
    expected = settings().editor_token
    return bool(given) and hmac.compare_digest(given.encode(), expected.encode())


def _private(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/editor", methods=["GET", "POST"])
def editor():
    if not settings().editor_token:
        abort(404)
    if request.method == "POST":
        same_origin()
        given = request.form.get("token")
    else:
        header = request.headers.get("Authorization", "")
        given = header[7:] if header.startswith("Bearer ") else None
    page = {"title": "Editor", "description": "What readers told us.", "url": "/editor"}
    if not _token_matches(given):
        status = 403 if given else 200
        html = render_template("editor_login.html", page=page, refused=bool(given))
        return _private(Response(html, status=status, mimetype="text/html"))
    state = current_state()
    fb = feedback()
    fb.flush()
    report = build_report(fb.store(), state.recommender.engine, settings().interleave)
    html = render_template("editor.html", page=page, report=report)
    return _private(Response(html, mimetype="text/html"))
