"""Who may do what: the one place that decides grader versus admin.

Every logged-in account may use the graders' pages (queue, submissions, grade book); only an
admin may use the admin pages and actions (reports, extensions, choose, relink, roster,
publish). A route asks ``signed_in`` or ``admin`` first and gets the caller, or the answer to
send instead: for a browser the login page or a 403 page saying what is refused, under
``/api/`` a 401 or 403 with ``{"error": ...}``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from tdl_inbox.services.operations.accounts import Account
from tdl_inbox.web import csrf
from tdl_inbox.web.api_errors import LOGIN_REQUIRED
from tdl_inbox.web.auth import Caller, caller
from tdl_inbox.web.pages import api_error, csrf_of, forbidden_csrf, render, templates, to_login

ADMIN_ONLY = "this is for admins only: ask an admin to do it, or to make you one"


def is_admin(account: Account | None) -> bool:
    return account is not None and account.role == "admin"


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def signed_in(request: Request) -> Caller | Response:
    """The caller, or the answer for a request without valid credentials."""
    who = caller(request)
    if who is not None:
        return who
    if is_api(request):
        return api_error(LOGIN_REQUIRED, 401)
    # Back to a page after logging in; a form's POST is not repeated (its GET may not exist).
    return to_login(request if request.method == "GET" else None)


def admin(request: Request) -> Caller | Response:
    """The caller if an admin; else the answer (401 or login, 403 for a grader)."""
    who = signed_in(request)
    if isinstance(who, Response) or is_admin(who.account):
        return who
    if is_api(request):
        return api_error(ADMIN_ONLY, 403)
    context = {"user": who.account, "csrf_token": csrf_of(who.session), "message": ADMIN_ONLY}
    return render(request, "forbidden.html", context, status_code=403)


def form_sender(
    request: Request, sent_token: str, *, admin_only: bool = False
) -> Caller | Response:
    """Who sent a state-changing form, if its CSRF token is the session's; else the refusal
    (the login, 403 for a grader on an admin form, 403 for a missing or wrong token)."""
    who = admin(request) if admin_only else signed_in(request)
    if isinstance(who, Response):
        return who
    if not csrf.valid(who.session, sent_token):
        return forbidden_csrf()
    return who


# The navigation bar in base.html shows the admin pages to admins only, by the same rule.
templates.env.globals["is_admin"] = is_admin
