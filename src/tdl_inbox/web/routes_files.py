"""A submission's files: ``/submissions/s18/files/<sha256>`` and ``/submissions/s18/raw``.

A file is served only when its SHA-256 is recorded as an attachment of that submission (404
otherwise, also for another submission's file), its bytes read from the store by that digest:
nothing in the request becomes a path. Its type and headers come from
``services/grading/attachments.serving`` (type from the bytes, ``nosniff``, a safe file name,
``Content-Security-Policy: sandbox`` for everything but PDFs). A PDF may be framed by the app's
own pages, for the submission page's viewer; nothing else may be framed.
"""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tdl_inbox.app import App
from tdl_inbox.domain.ids import submission_ref
from tdl_inbox.errors import NotFound
from tdl_inbox.services.grading.attachments import SANDBOX, content_disposition
from tdl_inbox.services.grading.files import attachment_to_serve, raw_message
from tdl_inbox.web import roles
from tdl_inbox.web.headers import FRAMED_BY_THE_APP
from tdl_inbox.web.routes_submission import not_found, submission_of

_SHA256 = re.compile(r"[0-9a-f]{64}")


def attachment_file(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    app: App = request.app.state.app
    digest = str(request.path_params["sha256"])
    try:
        submission_id = submission_of(app, request.path_params["ref"])
        if _SHA256.fullmatch(digest) is None:
            raise NotFound(f"{submission_ref(submission_id)} has no file {digest[:64]}")
        with app.sessions.begin() as db:
            served = attachment_to_serve(db, app.store, submission_id, digest)
    except NotFound as missing:
        return not_found(request, who, str(missing))
    headers = dict(served.serving.headers)
    if "Content-Security-Policy" not in headers:  # a PDF, for the page's viewer
        headers.update(FRAMED_BY_THE_APP)
    return Response(served.data, headers=headers)


def raw_message_file(request: Request) -> Response:
    who = roles.signed_in(request)
    if isinstance(who, Response):
        return who
    app: App = request.app.state.app
    try:
        submission_id = submission_of(app, request.path_params["ref"])
        with app.sessions.begin() as db:
            data = raw_message(db, app.store, submission_id)
    except NotFound as missing:
        return not_found(request, who, str(missing))
    name = f"{submission_ref(submission_id)}.eml"  # from the id, never from the subject
    headers = {
        "Content-Type": "message/rfc822",
        "Content-Disposition": content_disposition("attachment", name),
        "Content-Security-Policy": SANDBOX,
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, headers=headers)


ROUTES = [
    Route("/submissions/{ref}/files/{sha256}", attachment_file, methods=["GET"]),
    Route("/submissions/{ref}/raw", raw_message_file, methods=["GET"]),
]
