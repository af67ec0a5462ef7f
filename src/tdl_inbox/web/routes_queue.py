"""The queue: the page at ``/`` and ``GET /api/queue`` (the JSON of ``queue --json``)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tdl_inbox.app import App, utc_now
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.services.grading.queue_view import QueueFilter, queue_view
from tdl_inbox.services.grading.work_list import item_json, work_list
from tdl_inbox.services.reporting.formatting import short_time, verdict_text
from tdl_inbox.web import roles
from tdl_inbox.web.pages import (
    PAGE_SIZE,
    api_error,
    csrf_of,
    page_count,
    page_number,
    render,
)

CLAIMED = {"yes": True, "no": False, "": None}


def _flag(request: Request, name: str) -> bool:
    return request.query_params.get(name, "") in {"1", "true", "yes", "on"}


def _filter(request: Request, grader: str) -> QueueFilter | str:
    """The filter the query asks for, or what is wrong with the query."""
    app: App = request.app.state.app
    assignment = request.query_params.get("assignment") or None
    if assignment is not None and assignment not in app.ctx.assignments:
        return f"unknown assignment {assignment}"
    claimed = request.query_params.get("claimed", "")
    if claimed not in CLAIMED:
        return f"claimed={claimed}: expected claimed=yes or claimed=no"
    return QueueFilter(
        assignment, _flag(request, "all"), grader, _flag(request, "mine"), CLAIMED[claimed]
    )


def queue_page(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    app: App = request.app.state.app
    wanted = _filter(request, who.account.name)
    if isinstance(wanted, str):
        return Response(wanted, status_code=400, media_type="text/plain")
    page = page_number(request)
    zone = app.settings.course.zone
    with app.sessions.begin() as db:
        view = queue_view(
            db,
            app.store,
            app.settings.grading.counting,
            utc_now(),
            zone,
            wanted,
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE,
        )
    rows = [
        {
            "ref": submission_ref(i.id),
            "assignment": i.assignment,
            "student": i.student,
            "arrived": short_time(i.arrived_at, zone),
            "verdict": verdict_text(i.late) + (", chosen" if i.late and i.chosen else ""),
            "status": i.status
            + (f" by {i.claimed_by}" if i.claimed_by else "")
            + (f": {i.flag}" if i.flag else ""),
            "files": len(i.attachments),
        }
        for i in view.items
    ]
    query = {k: v for k, v in request.query_params.items() if k != "page"}
    return render(
        request,
        "queue.html",
        {
            "user": who.account,
            "csrf_token": csrf_of(who.session),
            "rows": rows,
            "total": view.total,
            "page": page,
            "pages": page_count(view.total),
            "query": query,
            "assignments": sorted(app.ctx.assignments),
            "assignment": wanted.assignment or "",
            "mine": wanted.mine,
            "all": wanted.include_late,
            "claimed": request.query_params.get("claimed", ""),
            "by_assignment": view.by_assignment,
            "progress": view.progress,
        },
    )


def queue_api(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    wanted = _filter(request, who.account.name)
    if isinstance(wanted, str):
        return api_error(wanted, 400)
    app: App = request.app.state.app
    with app.sessions.begin() as db:
        found = work_list(
            db,
            app.store,
            app.settings.grading.counting,
            utc_now(),
            wanted.assignment,
            wanted.include_late,
            wanted.grader,
            wanted.mine,
            wanted.claimed,
        )
    zone = app.settings.course.zone
    return JSONResponse([item_json(item, zone) for item in found])


ROUTES = [
    Route("/", queue_page, methods=["GET"]),
    Route("/api/queue", queue_api, methods=["GET"]),
]
