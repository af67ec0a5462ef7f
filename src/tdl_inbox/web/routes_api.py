"""The workspace's JSON API for graders: the same services, and the same JSON, as the CLI's
``next``, ``show``, ``claim``, ``release``, ``grade`` and ``grades``.

Every route goes through ``_endpoint``: it reads the body, then, in Starlette's thread pool
(the database calls are synchronous), checks the caller (401) and turns a refusal into its
status code (``api_errors``). The CSRF token of cookie-authenticated changes is checked
before any route, by ``csrf.ApiCsrf``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tdl_inbox.app import App, utc_now
from tdl_inbox.domain.ids import parse_ref, submission_ref
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.details import grade_entry
from tdl_inbox.services.grading.gradebook import gradebook, gradebook_json
from tdl_inbox.services.grading.grades import Seen, record_grade
from tdl_inbox.services.grading.refs import submission_id_of
from tdl_inbox.services.grading.shown import shown_json, shown_submission
from tdl_inbox.services.grading.work_list import item_json
from tdl_inbox.services.reporting.formatting import iso, to_jsonable
from tdl_inbox.web import roles, urls
from tdl_inbox.web.api_body import BadBody, Body, parse_body
from tdl_inbox.web.api_errors import ANSWERED, error_response
from tdl_inbox.web.auth import Caller

Handler = Callable[[App, Request, Caller, Body], Any]
"""A route's work: returns what becomes the JSON answer (``None`` is ``null``)."""


def _answer(handler: Handler, request: Request, raw: bytes) -> Response:
    app: App = request.app.state.app
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    try:
        body = Body({}) if request.method == "GET" else parse_body(raw)
        return JSONResponse(handler(app, request, who, body))
    except ANSWERED as refused:
        return error_response(refused, app.settings.course.zone)


def _endpoint(handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        return await run_in_threadpool(_answer, handler, request, raw)

    return endpoint


def _submission_id(app: App, request: Request) -> int:
    """The submission the path names (``s18`` or ``18``), as the CLI reads an ID."""
    ref = parse_ref(request.path_params["ref"])
    with app.sessions.begin() as db:
        return submission_id_of(db, ref)


def next_item(app: App, request: Request, who: Caller, body: Body) -> Any:
    assignment = request.query_params.get("assignment") or None
    if assignment is not None and assignment not in app.ctx.assignments:
        raise BadBody(f"unknown assignment {assignment}")
    with app.sessions.begin() as db:
        item = work.claim_next(
            db,
            app.store,
            app.settings.grading.counting,
            who.account.name,
            utc_now(),
            app.claim_ttl(),
            assignment,
        )
    return None if item is None else item_json(item, app.settings.course.zone)


def show(app: App, request: Request, who: Caller, body: Body) -> Any:
    submission_id = _submission_id(app, request)
    with app.sessions.begin() as db:
        shown = shown_submission(
            db, app.store, app.ctx.assignments, app.settings.grading.counting, submission_id
        )
    data = shown_json(shown, app.settings.course.zone)
    for file, entry in zip(shown.details.attachments, data["attachments"], strict=True):
        entry["url"] = urls.attachment_url(submission_id, file.sha256)
    data["raw_url"] = urls.raw_message_url(submission_id)
    return data


def claim(app: App, request: Request, who: Caller, body: Body) -> Any:
    submission_id = _submission_id(app, request)
    now = utc_now()
    with app.sessions.begin() as db:
        work.claim(db, submission_id, who.account.name, now, app.claim_ttl())
        held = work.live_claim(db, submission_id, now)
        until = None if held is None else iso(held.expires_at, app.settings.course.zone)
    return {
        "id": submission_id,
        "ref": submission_ref(submission_id),
        "claimed_by": who.account.name,
        "until": until,
    }


def release(app: App, request: Request, who: Caller, body: Body) -> Any:
    submission_id = _submission_id(app, request)
    force = body.flag("force")
    with app.sessions.begin() as db:
        released = work.release(db, submission_id, who.account.name, utc_now(), force)
    return {
        "id": submission_id,
        "ref": submission_ref(submission_id),
        "released": released is not None,
        "holder": None if released is None else released.holder,
        "forced": released is not None and released.forced,
    }


def grade(app: App, request: Request, who: Caller, body: Body) -> Any:
    submission_id = _submission_id(app, request)
    points, extra = body.number("points"), body.number("extra", 0.0)
    comment, force = body.text("comment"), body.flag("force")
    seen = Seen(body.grade_id("seen_grade")) if body.has("seen_grade") else None
    zone = app.settings.course.zone
    with app.sessions.begin() as db:
        change = record_grade(
            db,
            app.ctx.assignments,
            app.settings.grading.counting,
            submission_id,
            points,
            extra,
            comment,
            who.account.name,
            utc_now(),
            force,
            seen,
        )
        current = to_jsonable(grade_entry(change.current), zone)
        previous = None if change.previous is None else grade_entry(change.previous)
    return {
        "id": submission_id,
        "ref": submission_ref(submission_id),
        "grade": current,
        "previous": to_jsonable(previous, zone),
    }


def grades(app: App, request: Request, who: Caller, body: Body) -> Any:
    with app.sessions.begin() as db:
        rows = gradebook(db, app.ctx.assignments, app.settings.grading.counting, app.coefficients())
    return gradebook_json(rows)


ROUTES = [
    Route("/api/next", _endpoint(next_item), methods=["POST"]),
    Route("/api/submissions/{ref}", _endpoint(show), methods=["GET"]),
    Route("/api/submissions/{ref}/claim", _endpoint(claim), methods=["POST"]),
    Route("/api/submissions/{ref}/release", _endpoint(release), methods=["POST"]),
    Route("/api/submissions/{ref}/grade", _endpoint(grade), methods=["POST"]),
    Route("/api/grades", _endpoint(grades), methods=["GET"]),
]
