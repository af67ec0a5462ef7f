"""``parse-subject``: how ingest reads a subject line, shown before any mail is sent."""

from __future__ import annotations

from collections.abc import Mapping

from tdl_inbox.adapters.mime_headers import decode_header_text
from tdl_inbox.domain.assignments import Assignment, Kind
from tdl_inbox.domain.classify import Accepted, classify
from tdl_inbox.domain.subjects import SubjectError, parse_subject


def read_subject(
    subject: str, configured: tuple[Mapping[str, Assignment], Mapping[str, Kind]] | None
) -> dict[str, object]:
    """What ingest would record: checked against the configured assignments and kind words
    (``configured``: assignments by key, kind words), or without a config by the subject
    grammar alone. ``ok`` says whether it is a
    submission; otherwise ``error`` is the reason a rejection would give.

    ``subject`` is decoded as ingest decodes the Subject header (RFC 2047 encoded words in
    any charset, folding), so one pasted from a mail client's "show original" reads the same.
    """
    subject = decode_header_text(subject)
    if configured is not None:
        verdict = classify(subject, *configured)
        if not isinstance(verdict, Accepted):
            return {"ok": False, "error": verdict.reason}
        a = verdict.assignment
        return {
            "ok": True,
            "assignment": a.key,
            "kind": a.kind.value,
            "number": a.number,
            "student": verdict.student,
            "note": verdict.note,
        }
    try:
        p = parse_subject(subject)
    except SubjectError as exc:
        return {"ok": False, "error": exc.reason}
    return {
        "ok": True,
        "assignment": p.assignment,
        "kind": p.kind.value,
        "number": p.number,
        "student": p.student,
        "note": p.note,
    }
