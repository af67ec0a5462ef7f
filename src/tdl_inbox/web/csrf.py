"""CSRF tokens: every state-changing form and cookie-authenticated API call carries the
session's token (forms: the ``csrf_token`` field, checked by the route that reads the form;
API: the ``X-CSRF-Token`` header, checked here for every route under ``/api/``)."""

from __future__ import annotations

import hmac

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from tdl_inbox.web.auth import WebSession, bearer_token, web_session

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def valid(session: WebSession | None, sent: str | None) -> bool:
    if session is None or not sent:
        return False
    return hmac.compare_digest(session.csrf.encode(), sent.encode())


class ApiCsrf:
    """A state-changing API call authenticated by the session cookie needs ``X-CSRF-Token``,
    else 403.

    A bearer token is never sent by a browser on its own, so it needs no CSRF token; whether
    the token is valid is the route's business (401).
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and str(scope["path"]).startswith("/api/")
        ):
            request = Request(scope)
            session = None if bearer_token(request) is not None else web_session(request)
            # Only a call the cookie would authenticate needs the token; one with no
            # credentials at all is the route's 401, which says what is missing.
            if (
                session is not None
                and session.user is not None
                and not valid(session, request.headers.get("x-csrf-token"))
            ):
                refusal = JSONResponse({"error": "missing or wrong X-CSRF-Token"}, 403)
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
