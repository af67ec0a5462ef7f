"""Logging in and out."""

from __future__ import annotations

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tdl_inbox.app import App, utc_now
from tdl_inbox.services.operations import accounts
from tdl_inbox.services.operations.login_throttle import LoginThrottle
from tdl_inbox.web import csrf
from tdl_inbox.web.auth import Signer, web_session
from tdl_inbox.web.pages import forbidden_csrf, render
from tdl_inbox.web.urls import local_path

log = logging.getLogger(__name__)


def _address(request: Request) -> str:
    return request.client.host if request.client is not None else "unknown"


def login_page(request: Request) -> Response:
    signer: Signer = request.app.state.signer
    session = web_session(request) or signer.fresh(None, utc_now())
    context = {
        "csrf_token": session.csrf,
        "error": None,
        "next": local_path(request.query_params.get("next")) or "",
    }
    response = render(request, "login.html", context)
    signer.set_cookie(response, session)
    return response


async def login(request: Request) -> Response:
    form = await request.form()
    names = ("username", "password", "csrf_token", "next")
    fields = {k: str(form.get(k) or "") for k in names}
    # The form is read here (async); checking the password is database work: the thread pool.
    return await run_in_threadpool(_login, request, fields)


def _login(request: Request, fields: dict[str, str]) -> Response:
    signer: Signer = request.app.state.signer
    throttle: LoginThrottle = request.app.state.throttle
    app: App = request.app.state.app
    session = web_session(request)
    if not csrf.valid(session, fields["csrf_token"]):
        return forbidden_csrf()
    assert session is not None
    back = local_path(fields["next"]) or ""
    name, address, now = fields["username"].strip(), _address(request), utc_now()
    if throttle.blocked(name, address, now):
        log.warning("web login refused (too many failures): user %r from %s", name, address)
        return render(
            request,
            "login.html",
            {
                "csrf_token": session.csrf,
                "error": "Too many failed logins: wait a minute.",
                "next": back,
            },
            status_code=429,
        )
    with app.sessions.begin() as db:
        account = accounts.authenticate(db, name, fields["password"])
    if account is None:
        throttle.failed(name, address, now)
        log.warning("web login failed: user %r from %s", name, address)
        return render(
            request,
            "login.html",
            {"csrf_token": session.csrf, "error": "Wrong user name or password.", "next": back},
            status_code=401,
        )
    log.info("web login: %s from %s", account.name, address)
    # Only a local path: a link sent to a grader must not lead from the login to another site.
    response = RedirectResponse(back or "/", status_code=303)
    signer.set_cookie(response, signer.fresh(account.name, now))
    return response


async def logout(request: Request) -> Response:
    form = await request.form()
    if not csrf.valid(web_session(request), str(form.get("csrf_token") or "")):
        return forbidden_csrf()
    signer: Signer = request.app.state.signer
    response = RedirectResponse("/login", status_code=303)
    signer.set_cookie(response, signer.fresh(None, utc_now()))
    return response


ROUTES = [
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
]
