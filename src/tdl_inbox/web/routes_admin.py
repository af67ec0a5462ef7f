"""The admin pages and the admin API: reports, extensions, choose, relink, roster, publish.

Each route asks ``roles.admin`` first (a grader gets 403), then, for a form, the CSRF token.
The work is the services the CLI commands call, with the logged-in user as the actor; a
refusal (an unknown student, a bad date...) is shown on the page in one line.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from markupsafe import Markup
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tdl_inbox.app import App, utc_now
from tdl_inbox.domain.course_time import BadTime, assignment_key, typed_time
from tdl_inbox.domain.ids import BadId, parse_ref, submission_ref
from tdl_inbox.errors import NotFound, TdlInboxError
from tdl_inbox.services.grading.extensions import ExtensionRow, extension_rows, grant, revoke
from tdl_inbox.services.grading.grades import choose_version, relink
from tdl_inbox.services.grading.refs import submission_id_of
from tdl_inbox.services.grading.roster import has_roster, roster_entries, roster_names
from tdl_inbox.services.mail.feedback import publish
from tdl_inbox.services.reporting.documents import (
    NO_ROSTER,
    late_document,
    late_json,
    missing_document,
    summary_document,
    with_chart,
)
from tdl_inbox.services.reporting.formatting import short_time, to_jsonable
from tdl_inbox.services.reporting.render import Report, html_table, svg_chart
from tdl_inbox.services.reporting.reports import (
    late_page,
    late_report,
    missing_report,
    selected,
    summary_report,
)
from tdl_inbox.web import roles
from tdl_inbox.web.auth import Caller
from tdl_inbox.web.pages import (
    PAGE_SIZE,
    api_error,
    csrf_of,
    page_count,
    page_number,
    render,
)

Fields = dict[str, str]


def _app(request: Request) -> App:
    app: App = request.app.state.app
    return app


def _page(
    request: Request,
    who: Caller,
    name: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> Response:
    base = {"user": who.account, "csrf_token": csrf_of(who.session), "error": None, "notice": None}
    return render(request, name, {**base, **context}, status_code=status_code)


def _keys(app: App) -> list[str]:
    """The configured assignments in deadline order, as the reports list them."""
    return [a.key for a in selected(app.ctx.assignments, None)]


def _status(exc: Exception) -> int:
    """404 for what does not exist (a student, a submission), 422 for a value refused."""
    return 404 if isinstance(exc, NotFound) else 422


def _tables(doc: Report) -> list[dict[str, Any]]:
    # html_table escapes every cell (the same code lays out the e-mailed reports).
    return [{"title": t.title, "note": t.note, "html": Markup(html_table(t))} for t in doc.tables]


def _known(app: App, key: str) -> str:
    if key not in app.ctx.assignments:
        raise NotFound(f"unknown assignment {key} (see `tdl-inbox assignments`)")
    return key


def _assignment(request: Request) -> str | None:
    """The ``assignment`` query parameter (any case), or None; unknown ones are refused."""
    raw = request.query_params.get("assignment", "")
    return _known(_app(request), assignment_key(raw)) if raw.strip() else None


# ------------------------------------------------------------------------------------ reports


def summary_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    return _summary(request, who)


def _summary(request: Request, who: Caller, status_code: int = 200, **context: Any) -> Response:
    app, scope = _app(request), _app(request).report_scope()
    with app.sessions.begin() as db:
        rows = summary_report(db, app.ctx.assignments, app.settings.grading.counting, utc_now())
    doc = with_chart(summary_document(rows, scope), scope, None)
    charts = [Markup(svg_chart(entry, scope.zone)) for entry in doc.chart]
    return _page(
        request,
        who,
        "admin_summary.html",
        {
            "tables": _tables(doc),
            "charts": charts,
            "assignments": [row.assignment for row in rows],
            **context,
        },
        status_code,
    )


def late_report_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    app = _app(request)
    try:
        assignment = _assignment(request)
    except NotFound as exc:
        return _page(request, who, "admin_report.html", _report_context(request, error=exc), 404)
    page = page_number(request)
    with app.sessions.begin() as db:
        found = late_page(
            db, app.store, app.ctx.assignments, assignment, (page - 1) * PAGE_SIZE, PAGE_SIZE
        )
    doc = late_document(found.rows, app.report_scope(), assignment, found.total)
    context = _report_context(request, doc=doc, assignment=assignment, json_url="/api/reports/late")
    context.update(page=page, pages=page_count(found.total))
    return _page(request, who, "admin_report.html", context)


def missing_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    app = _app(request)
    try:
        assignment = _assignment(request)
    except NotFound as exc:
        return _page(request, who, "admin_report.html", _report_context(request, error=exc), 404)
    with app.sessions.begin() as db:
        roster = has_roster(db)
        rows = missing_report(db, app.ctx.assignments, utc_now(), assignment)
    page = page_number(request)
    shown = rows[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    doc = missing_document(shown, app.report_scope(), roster, len(rows))
    context = _report_context(request, doc=doc, assignment=assignment)
    context.update(page=page, pages=page_count(len(rows)))
    if not roster:
        context["error"] = NO_ROSTER
    return _page(request, who, "admin_report.html", context)


def _report_context(
    request: Request,
    *,
    doc: Report | None = None,
    assignment: str | None = None,
    json_url: str | None = None,
    error: Exception | None = None,
) -> dict[str, Any]:
    return {
        "title": doc.title if doc else "Report",
        "subtitle": doc.subtitle if doc else "",
        "tables": _tables(doc) if doc else [],
        "path": request.url.path,
        "assignments": _keys(_app(request)),
        "assignment": assignment or "",
        "json_url": json_url,
        "error": None if error is None else str(error),
    }


def late_api(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    app = _app(request)
    try:
        assignment = _assignment(request)
    except NotFound as exc:
        return api_error(str(exc), 400)
    with app.sessions.begin() as db:
        rows = late_report(db, app.store, app.ctx.assignments, assignment)
    return JSONResponse(late_json(rows, app.report_scope()))


# ------------------------------------------------------------------------------------- forms


async def _fields(request: Request, names: tuple[str, ...]) -> Fields:
    form = await request.form()
    return {name: str(form.get(name) or "") for name in ("csrf_token", *names)}


def _form_route(
    names: tuple[str, ...], handle: Callable[[Request, Caller, Fields], Response]
) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads the form (async), then does its database work in the thread
    pool as the admin who sent it."""

    def checked(request: Request, fields: Fields) -> Response:
        who = roles.form_sender(request, fields["csrf_token"], admin_only=True)
        return who if isinstance(who, Response) else handle(request, who, fields)

    async def endpoint(request: Request) -> Response:
        fields = await _fields(request, names)
        return await run_in_threadpool(checked, request, fields)

    return endpoint


# -------------------------------------------------------------------------------- extensions


def extensions_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    return _extensions(request, who)


def _extensions(
    request: Request,
    who: Caller,
    status_code: int = 200,
    *,
    form: Fields | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    app = _app(request)
    zone = app.settings.course.zone
    with app.sessions.begin() as db:
        rows = extension_rows(db)
        names = roster_names(db)
    shown = [
        {
            "student": r.student,
            "assignment": r.assignment,
            "until": short_time(r.until, zone),
            "reason": r.reason or "",
            "granted": short_time(r.granted_at, zone),
        }
        for r in rows
    ]
    context = {
        "rows": shown,
        "names": names,
        "assignments": _keys(app),
        "form": form or {},
        "zone": str(zone),
        "error": error,
        "notice": notice,
    }
    return _page(request, who, "admin_extensions.html", context, status_code)


def _extend(
    app: App, who: Caller, student: str, assignment: str, until: str, reason: str | None
) -> ExtensionRow:
    """``extend STUDENT ASSIGNMENT --until UNTIL --reason REASON`` as the logged-in admin;
    raises ``BadTime`` or the service's error."""
    moment = typed_time(until, app.settings.course.zone)
    with app.sessions.begin() as db:
        return grant(
            db,
            app.ctx.assignments,
            student,
            assignment_key(assignment),
            moment,
            (reason or "").strip() or None,
            utc_now(),
            actor=who.account.name,
        )


def _grant(request: Request, who: Caller, fields: Fields) -> Response:
    app = _app(request)
    try:
        row = _extend(
            app, who, fields["student"], fields["assignment"], fields["until"], fields["reason"]
        )
    except (BadTime, TdlInboxError) as exc:
        return _extensions(request, who, _status(exc), form=fields, error=str(exc))
    until = short_time(row.until, app.settings.course.zone)
    return _extensions(request, who, notice=f"{row.student}: {row.assignment} due {until}")


def _revoke(request: Request, who: Caller, fields: Fields) -> Response:
    app = _app(request)
    reason = fields["reason"].strip()
    if not reason:
        return _extensions(request, who, 422, error="say why the extension is revoked")
    try:
        with app.sessions.begin() as db:
            removed = revoke(
                db,
                app.ctx.assignments,
                fields["student"],
                assignment_key(fields["assignment"]),
                actor=who.account.name,
                now=utc_now(),
                reason=reason,
            )
    except TdlInboxError as exc:
        return _extensions(request, who, _status(exc), error=str(exc))
    if not removed:
        return _extensions(request, who, 404, error="there was no such extension")
    return _extensions(request, who, notice="extension removed")


async def extensions_api(request: Request) -> Response:
    body = await request.body()
    return await run_in_threadpool(_extension_api, request, body)


REQUIRED = ("student", "assignment", "until")


def _extension_api(request: Request, body: bytes) -> Response:
    """``extend STUDENT ASSIGNMENT --until UNTIL --reason REASON`` as JSON."""
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return api_error('send a JSON object: {"student", "assignment", "until", "reason"}', 422)
    for name in REQUIRED:
        if not isinstance(data.get(name), str) or not data[name].strip():
            return api_error(f"{name!r} is required and must be a string", 422)
    reason = data.get("reason")
    if reason is not None and not isinstance(reason, str):
        return api_error("'reason' must be a string or null", 422)
    app = _app(request)
    try:
        row = _extend(app, who, data["student"], data["assignment"], data["until"], reason)
    except (BadTime, TdlInboxError) as exc:
        return api_error(str(exc), _status(exc))
    return JSONResponse(to_jsonable(row, app.settings.course.zone))


# -------------------------------------------------------------------- choose, relink, roster


def submissions_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    return _submissions(request, who)


def _submissions(
    request: Request,
    who: Caller,
    status_code: int = 200,
    *,
    form: Fields | None = None,
    error: str | None = None,
    notice: str | None = None,
) -> Response:
    with _app(request).sessions.begin() as db:
        names = roster_names(db)
    context = {"names": names, "form": form or {}, "error": error, "notice": notice}
    return _page(request, who, "admin_submissions.html", context, status_code)


def _submission_id(db: Session, typed: str) -> int:
    try:
        return submission_id_of(db, parse_ref(typed.strip()))
    except BadId as exc:
        raise TdlInboxError(str(exc)) from None


def _choose(request: Request, who: Caller, fields: Fields) -> Response:
    try:
        with _app(request).sessions.begin() as db:
            submission_id = _submission_id(db, fields["submission"])
            sub = choose_version(db, submission_id, actor=who.account.name, now=utc_now())
            notice = (
                f"submission {submission_ref(submission_id)} now counts for "
                f"{sub.assignment} of {sub.student}"
            )
    except TdlInboxError as exc:
        return _submissions(request, who, _status(exc), form=fields, error=str(exc))
    return _submissions(request, who, notice=notice)


def _relink(request: Request, who: Caller, fields: Fields) -> Response:
    try:
        with _app(request).sessions.begin() as db:
            submission_id = _submission_id(db, fields["submission"])
            student = relink(
                db, submission_id, fields["student"], actor=who.account.name, now=utc_now()
            )
            notice = (
                f"submission {submission_ref(submission_id)} now belongs to "
                f"{student.name} (id {student.id})"
            )
    except TdlInboxError as exc:
        return _submissions(request, who, _status(exc), form=fields, error=str(exc))
    return _submissions(request, who, notice=notice)


def roster_page(request: Request) -> Response:
    who = roles.admin(request)
    if isinstance(who, Response):
        return who
    with _app(request).sessions.begin() as db:
        rows = roster_entries(db)
    return _page(request, who, "admin_roster.html", {"rows": rows})


# ---------------------------------------------------------------------------------- publish


def _publish(request: Request, who: Caller, fields: Fields) -> Response:
    app = _app(request)
    try:
        key = _known(app, assignment_key(fields["assignment"]))
        policy = app.feedback_policy()
        with app.sessions.begin() as db:
            results = publish(
                db, policy, app.ctx.assignments, key, utc_now(), who.account.name, dry_run=False
            )
    except TdlInboxError as exc:
        return _summary(request, who, _status(exc), error=str(exc))
    rows = [
        {
            "ref": submission_ref(r.submission_id),
            "student": r.student,
            "kind": r.kind,
            "to": r.to_addr or "",
            "points": f"{r.points:g}"
            + ("" if r.previous_points is None else f" (was {r.previous_points:g})"),
            "reason": r.reason or "",
        }
        for r in results
    ]
    queued = sum(r.kind != "skipped" for r in results)
    context = {"assignment": key, "rows": rows, "queued": queued}
    return _page(request, who, "admin_published.html", context)


ROUTES = [
    Route("/admin", summary_page, methods=["GET"]),
    Route("/admin/late", late_report_page, methods=["GET"]),
    Route("/admin/missing", missing_page, methods=["GET"]),
    Route("/admin/extensions", extensions_page, methods=["GET"]),
    Route(
        "/admin/extensions",
        _form_route(("student", "assignment", "until", "reason"), _grant),
        methods=["POST"],
    ),
    Route(
        "/admin/extensions/revoke",
        _form_route(("student", "assignment", "reason"), _revoke),
        methods=["POST"],
    ),
    Route("/admin/submissions", submissions_page, methods=["GET"]),
    Route("/admin/choose", _form_route(("submission",), _choose), methods=["POST"]),
    Route("/admin/relink", _form_route(("submission", "student"), _relink), methods=["POST"]),
    Route("/admin/roster", roster_page, methods=["GET"]),
    Route("/admin/publish", _form_route(("assignment",), _publish), methods=["POST"]),
    Route("/api/reports/late", late_api, methods=["GET"]),
    Route("/api/extensions", extensions_api, methods=["POST"]),
]
