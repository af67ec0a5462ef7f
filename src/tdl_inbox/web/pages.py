"""Templates (autoescaped: everything from mail is hostile) and the answers every route shares."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from tdl_inbox.web.auth import WebSession
from tdl_inbox.web.urls import login_url, submission_url_of_ref

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


PAGE_SIZE = 100
"""A page never renders more rows than this (the queue, the late and missing reports)."""


def page_number(request: Request) -> int:
    """The ``page`` query parameter: 1 when absent or not a positive number."""
    try:
        return max(1, int(request.query_params.get("page", "1")))
    except ValueError:
        return 1


def page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))


def to_login(request: Request | None = None) -> Response:
    """To the login page; given the request, back to the page it asked for afterwards."""
    if request is None:
        return RedirectResponse(login_url(), status_code=303)
    query = request.url.query
    return RedirectResponse(
        login_url(request.url.path + (f"?{query}" if query else "")), status_code=303
    )


def api_error(message: str, status_code: int) -> Response:
    return JSONResponse({"error": message}, status_code=status_code)


def forbidden_csrf() -> Response:
    return Response("missing or wrong CSRF token", status_code=403, media_type="text/plain")


def csrf_of(session: WebSession | None) -> str:
    return "" if session is None else session.csrf
