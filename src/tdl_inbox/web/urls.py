"""The workspace's addresses, built in one place so that pages, the API's ``url`` fields and
redirects agree. A submission is addressed by its visible id (``s18``); a file by the SHA-256
it was recorded under, never by a name a sender chose."""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

from tdl_inbox.domain.ids import parse_ref, submission_ref

LOGIN = "/login"


def submission_url(submission_id: int) -> str:
    return f"/submissions/{submission_ref(submission_id)}"


def submission_url_of_ref(ref: str) -> str:
    """The page of the submission a listing calls ``ref`` (``s18``)."""
    return submission_url(parse_ref(ref).number)


def attachment_url(submission_id: int, sha256: str) -> str:
    return f"{submission_url(submission_id)}/files/{sha256}"


def raw_message_url(submission_id: int) -> str:
    return f"{submission_url(submission_id)}/raw"


def local_path(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/queue?x=1``), else None.

    ``next`` comes from a link anyone can send a grader: only a local path may be where the
    login leads, never another site. ``//host`` and ``/\\host`` are other hosts to a browser,
    which also drops tabs and newlines from a URL before reading it; a scheme names another
    site or runs script.
    """
    if not value or not value.startswith("/") or len(value) > 2000:
        return None
    if value.startswith("//") or "\\" in value or any(ord(c) < 0x20 or c == "\x7f" for c in value):
        return None
    parts = urlsplit(value)
    return value if not parts.scheme and not parts.netloc else None


def login_url(next_path: str | None = None) -> str:
    """The login page, returning to ``next_path`` afterwards when it is local (``/``, where a
    login leads anyway, needs no ``next``)."""
    local = local_path(next_path)
    return LOGIN if local is None or local == "/" else f"{LOGIN}?{urlencode({'next': local})}"
