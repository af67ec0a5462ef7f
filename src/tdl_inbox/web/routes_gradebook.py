"""The grade book for graders and admins: the page ``/grades`` (100 students a page, only
theirs computed) and ``/grades.csv``, which is byte for byte ``tdl-inbox grades --format csv``
(every student)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tdl_inbox.app import App
from tdl_inbox.services.grading.gradebook import GradeRow, gradebook, gradebook_page
from tdl_inbox.services.grading.gradebook_output import (
    UNPUBLISHED,
    assignment_keys,
    gradebook_cells,
    gradebook_csv,
)
from tdl_inbox.web import roles
from tdl_inbox.web.pages import PAGE_SIZE, csrf_of, page_count, page_number, render

CSV_NAME = "grades.csv"


def _book(app: App) -> tuple[list[GradeRow], list[str]]:
    with app.sessions.begin() as db:
        rows = gradebook(db, app.ctx.assignments, app.settings.grading.counting, app.coefficients())
    return rows, assignment_keys(rows, app.ctx.assignments)


def grades_page(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    app: App = request.app.state.app
    g = app.settings.grading
    page = page_number(request)
    with app.sessions.begin() as db:
        found = gradebook_page(
            db,
            app.ctx.assignments,
            g.counting,
            app.coefficients(),
            (page - 1) * PAGE_SIZE,
            PAGE_SIZE,
        )
    columns, cells = gradebook_cells(found.rows, assignment_keys(found.rows, app.ctx.assignments))
    return render(
        request,
        "grades.html",
        {
            "user": who.account,
            "csrf_token": csrf_of(who.session),
            "columns": columns,
            "rows": cells,
            "total": found.total,
            "page": page,
            "pages": page_count(found.total),
            "k_hw": f"{g.k_hw:g}",
            "k_exam": f"{g.k_exam:g}",
            "unpublished": UNPUBLISHED,
        },
    )


def grades_csv(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    rows, keys = _book(request.app.state.app)
    return Response(
        gradebook_csv(rows, keys).encode("utf-8"),
        media_type="text/csv; charset=utf-8",
        headers={"content-disposition": f'attachment; filename="{CSV_NAME}"'},
    )


ROUTES = [
    Route("/grades", grades_page, methods=["GET"]),
    Route("/grades.csv", grades_csv, methods=["GET"]),
]
