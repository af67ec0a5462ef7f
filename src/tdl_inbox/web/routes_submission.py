"""The submission page (``/submissions/s18``) and its forms: claim, release, grade, save and
next; and ``POST /next``, the caller's next item.

Every form carries the session's ``csrf_token`` (403 without). A refusal (another grader's
live claim, a grade saved since the page was opened, invalid points) re-renders the page with
the reason and the grader's own values, never a traceback. A grade form carries
``seen_grade``, the newest grade the page showed: a grade saved by anyone since is a conflict
(``record_grade(..., seen=Seen(...))``), shown beside the form, whose re-rendered copy carries
the new ``seen_grade`` so that saving again is a decision made knowing the other grade.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tdl_inbox.app import App, utc_now
from tdl_inbox.domain.course_time import assignment_key
from tdl_inbox.domain.ids import BadId, parse_ref, submission_ref
from tdl_inbox.errors import AlreadyClaimed, InvalidGrade, NotFound, StaleGrade
from tdl_inbox.services.grading import queue as work
from tdl_inbox.services.grading.details import submission_details
from tdl_inbox.services.grading.files import FileView, file_view
from tdl_inbox.services.grading.grades import Seen, get_submission, record_grade
from tdl_inbox.services.grading.notebook import NOTEBOOK_CSS
from tdl_inbox.services.grading.refs import WrongKind, submission_id_of
from tdl_inbox.services.reporting.formatting import short_time, verdict_text
from tdl_inbox.web import roles
from tdl_inbox.web.auth import Caller
from tdl_inbox.web.pages import csrf_of, render
from tdl_inbox.web.urls import attachment_url, raw_message_url, submission_url

FORM_FIELDS = ("csrf_token", "points", "extra", "comment", "seen_grade", "action")


@dataclass(frozen=True)
class Refusal:
    """Why a form changed nothing, shown on the re-rendered page."""

    message: str
    status_code: int
    conflict: StaleGrade | None = None


def _app(request: Request) -> App:
    app: App = request.app.state.app
    return app


def submission_of(app: App, ref: str) -> int:
    """The submission ``ref`` names (``s18`` or ``18``); NotFound otherwise."""
    try:
        parsed = parse_ref(ref)
    except BadId as bad:
        raise NotFound(str(bad)) from None
    with app.sessions.begin() as db:
        try:
            return submission_id_of(db, parsed)
        except WrongKind as wrong:
            raise NotFound(str(wrong)) from None


def not_found(request: Request, who: Caller, message: str) -> Response:
    context = {"user": who.account, "csrf_token": csrf_of(who.session), "message": message}
    return render(request, "not_found.html", context, status_code=404)


def _view(view: FileView) -> dict[str, Any]:
    return {"kind": view.kind, "notebook": view.notebook_html}


def _page(
    request: Request,
    who: Caller,
    submission_id: int,
    refusal: Refusal | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    app = _app(request)
    now = utc_now()
    zone = app.settings.course.zone
    policy = app.settings.grading.counting
    with app.sessions.begin() as db:
        details = submission_details(db, app.store, app.ctx.assignments, policy, submission_id)
        held = work.shown_claim(db, submission_id, now)
        previous, following = work.neighbours(db, policy, now, get_submission(db, submission_id))
    assignment = app.ctx.assignments.get(details.assignment)
    latest = details.grades[-1] if details.grades else None
    # A refused form keeps the grader's values and the grade they had seen; only a conflict
    # moves ``seen_grade`` on, to the grade its box shows them.
    seen = str(latest.id) if latest is not None else ""
    if refusal is not None and refusal.conflict is not None:
        seen = str(refusal.conflict.grade_id)
    elif form is not None:
        seen = form.get("seen_grade", "")
    context = {
        "user": who.account,
        "csrf_token": csrf_of(who.session),
        "ref": submission_ref(details.id),
        "url": submission_url(details.id),
        "raw_url": raw_message_url(details.id),
        "d": details,
        "max_points": None if assignment is None else f"{assignment.max_points:g}",
        "arrived": short_time(details.arrived_at, zone),
        "sent": short_time(details.sent_at, zone),
        "deadline": short_time(details.deadline, zone),
        "verdict": verdict_text(
            details.late, details.late_by_seconds, details.delivery_delay_suspected
        ),
        "claim": None
        if held is None
        else {
            "grader": held.grader,
            "mine": held.grader == who.account.name,
            "until": short_time(held.expires_at, zone),
        },
        "versions": [
            {
                "url": submission_url(v.id),
                "ref": submission_ref(v.id),
                "this": v.id == details.id,
                "arrived": short_time(v.arrived_at, zone),
                "verdict": verdict_text(v.late, v.late_by_seconds),
                "counts": v.counts,
                "points": "" if v.points is None else f"{v.points:g}",
            }
            for v in details.versions
        ],
        "files": [
            {
                "name": a.filename,
                "size": a.size,
                "url": attachment_url(details.id, a.sha256),
                **_view(file_view(app.store, a.filename, a.sha256)),
            }
            for a in details.attachments
        ],
        "grades": [
            {
                "when": short_time(g.graded_at, zone),
                "grader": g.grader,
                "points": f"{g.points:g}",
                "extra": f"{g.extra:g}",
                "comment": g.comment or "",
                "forced": g.forced,
            }
            for g in details.grades
        ],
        "previous": None if previous is None else submission_url(previous),
        "next": None if following is None else submission_url(following),
        "refusal": refusal,
        "conflict": None
        if refusal is None or refusal.conflict is None
        else {
            "grader": refusal.conflict.grader,
            "when": short_time(refusal.conflict.graded_at, zone),
            "points": f"{refusal.conflict.points:g}",
            "extra": f"{refusal.conflict.extra:g}",
            "comment": refusal.conflict.comment or "",
        },
        "form": {
            "points": (form or {}).get("points", ""),
            "extra": (form or {}).get("extra", "") or "0",
            "comment": (form or {}).get("comment", ""),
            "seen_grade": seen,
        },
    }
    status = 200 if refusal is None else refusal.status_code
    return render(request, "submission.html", context, status_code=status)


def submission_page(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    try:
        submission_id = submission_of(_app(request), request.path_params["ref"])
    except NotFound as missing:
        return not_found(request, who, str(missing))
    return _page(request, who, submission_id)


def _redirect(url: str, notice: str | None = None, **query: str) -> Response:
    params = {**query, **({"notice": notice} if notice else {})}
    return RedirectResponse(url + ("?" + urlencode(params) if params else ""), status_code=303)


def _held(app: App, held: AlreadyClaimed) -> Refusal:
    until = short_time(held.until, app.settings.course.zone)
    return Refusal(
        f"{submission_ref(held.submission_id)} is claimed by {held.holder} until {until}: "
        "nothing changed; ask them, or wait until the claim runs out.",
        409,
    )


Action = Callable[[Request, Caller, int, dict[str, str]], Response]


async def _form_post(request: Request, action: Action) -> Response:
    form = await request.form()
    fields = {name: str(form.get(name) or "") for name in FORM_FIELDS}
    # The form is read here (async); the rest is database work: the thread pool.
    return await run_in_threadpool(_checked, request, fields, action)


def _checked(request: Request, fields: dict[str, str], action: Action) -> Response:
    who = roles.form_sender(request, fields["csrf_token"])
    if isinstance(who, Response):
        return who
    try:
        submission_id = submission_of(_app(request), request.path_params["ref"])
    except NotFound as missing:
        return not_found(request, who, str(missing))
    return action(request, who, submission_id, fields)


def _claim(request: Request, who: Caller, submission_id: int, fields: dict[str, str]) -> Response:
    app = _app(request)
    try:
        with app.sessions.begin() as db:
            work.claim(db, submission_id, who.account.name, utc_now(), app.claim_ttl())
    except AlreadyClaimed as held:
        return _page(request, who, submission_id, _held(app, held))
    return _redirect(submission_url(submission_id), "claimed")


def _release(request: Request, who: Caller, submission_id: int, fields: dict[str, str]) -> Response:
    app = _app(request)
    try:
        with app.sessions.begin() as db:
            work.release(db, submission_id, who.account.name, utc_now())
    except AlreadyClaimed as held:
        return _page(request, who, submission_id, _held(app, held))
    return _redirect(submission_url(submission_id), "released")


def _number(what: str, text: str, default: float | None = None) -> float:
    text = text.strip().replace(",", ".")  # a Russian keyboard types 7,5
    if not text and default is not None:
        return default
    try:
        return float(text)
    except ValueError:
        raise InvalidGrade(f"{what} must be a number, got {text!r}") from None


def _seen(text: str) -> Seen:
    if not text.strip():
        return Seen(None)
    try:
        return Seen(int(text))
    except ValueError:
        raise InvalidGrade("the form is damaged (seen_grade): reload the page") from None


def _grade(request: Request, who: Caller, submission_id: int, fields: dict[str, str]) -> Response:
    app = _app(request)
    try:
        points = _number("points", fields["points"])
        extra = _number("extra points", fields["extra"], default=0.0)
        with app.sessions.begin() as db:
            record_grade(
                db,
                app.ctx.assignments,
                app.settings.grading.counting,
                submission_id,
                points,
                extra,
                fields["comment"].strip() or None,
                who.account.name,
                utc_now(),
                seen=_seen(fields["seen_grade"]),
            )
            key = get_submission(db, submission_id).assignment
    except StaleGrade as stale:
        refusal = Refusal(
            stale.describe(short_time(stale.graded_at, app.settings.course.zone)), 409, stale
        )
        return _page(request, who, submission_id, refusal, fields)
    except AlreadyClaimed as held:
        return _page(request, who, submission_id, _held(app, held), fields)
    except InvalidGrade as invalid:
        return _page(request, who, submission_id, Refusal(str(invalid), 422), fields)
    if fields["action"] != "next":
        return _redirect(submission_url(submission_id), "saved")
    with app.sessions.begin() as db:
        item = work.claim_next(
            db,
            app.store,
            app.settings.grading.counting,
            who.account.name,
            utc_now(),
            app.claim_ttl(),
            key,
        )
    if item is None:
        return _redirect("/", "nothing-left", assignment=key)
    return _redirect(submission_url(item.id), "saved")


async def claim_post(request: Request) -> Response:
    return await _form_post(request, _claim)


async def release_post(request: Request) -> Response:
    return await _form_post(request, _release)


async def grade_post(request: Request) -> Response:
    return await _form_post(request, _grade)


async def next_post(request: Request) -> Response:
    form = await request.form()
    sent, assignment = (str(form.get(name) or "") for name in ("csrf_token", "assignment"))
    return await run_in_threadpool(_next, request, sent, assignment)


def _next(request: Request, sent: str, assignment: str) -> Response:
    """The caller's next item, of ``assignment`` when the form names one (the queue's filter)."""
    who = roles.form_sender(request, sent)
    if isinstance(who, Response):
        return who
    app = _app(request)
    key = assignment_key(assignment) if assignment.strip() else None
    if key is not None and key not in app.ctx.assignments:
        return Response(f"unknown assignment {key}", status_code=404, media_type="text/plain")
    with app.sessions.begin() as db:
        item = work.claim_next(
            db,
            app.store,
            app.settings.grading.counting,
            who.account.name,
            utc_now(),
            app.claim_ttl(),
            key,
        )
    if item is None:
        return _redirect("/", "queue-empty", **({"assignment": key} if key else {}))
    return _redirect(submission_url(item.id), "claimed")


def notebook_css(request: Request) -> Response:
    """The highlighted code's colours: a stylesheet of the app's own (no inline style)."""
    return Response(NOTEBOOK_CSS, media_type="text/css")


ROUTES = [
    Route("/submissions/{ref}", submission_page, methods=["GET"]),
    Route("/submissions/{ref}/claim", claim_post, methods=["POST"]),
    Route("/submissions/{ref}/release", release_post, methods=["POST"]),
    Route("/submissions/{ref}/grade", grade_post, methods=["POST"]),
    Route("/next", next_post, methods=["POST"]),
    Route("/notebook.css", notebook_css, methods=["GET"]),
]
