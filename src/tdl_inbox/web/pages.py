"""Templates (autoescaped: everything from mail is hostile) and the answers every route shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from tdl_inbox.web.auth import WebSession
from tdl_inbox.web.urls import submission_url_of_ref

# Autoescape always on (not only for .html names): everything from mail is hostile.
templates = Jinja2Templates(
    env=Environment(loader=FileSystemLoader(Path(__file__).with_name("templates")), autoescape=True)
)

templates.env.globals["submission_url_of_ref"] = submission_url_of_ref

NOTICES = {
    "saved": "Grade saved.",
    "claimed": "Claimed: it is yours until the claim runs out or you grade it.",
    "released": "Released: it is back in the queue.",
    "nothing-left": "Grade saved. Nothing is left to grade in that assignment.",
    "queue-empty": "Nothing is left to grade.",
}
"""What a redirect after a form may say (``?notice=saved``): a fixed text per key, so a link
cannot make the page say anything else."""


def render(
    request: Request, name: str, context: dict[str, Any], status_code: int = 200
) -> Response:
    notice = NOTICES.get(request.query_params.get("notice", ""))
    return templates.TemplateResponse(
        request, name, {"notice": notice, **context}, status_code=status_code
    )


def to_login() -> Response:
    return RedirectResponse("/login", status_code=303)


def api_error(message: str, status_code: int) -> Response:
    return JSONResponse({"error": message}, status_code=status_code)


def forbidden_csrf() -> Response:
    return Response("missing or wrong CSRF token", status_code=403, media_type="text/plain")


def csrf_of(session: WebSession | None) -> str:
    return "" if session is None else session.csrf
