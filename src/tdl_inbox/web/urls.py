"""The workspace's addresses, built in one place so that pages, the API's ``url`` fields and
redirects agree. A submission is addressed by its visible id (``s18``); a file by the SHA-256
it was recorded under, never by a name a sender chose."""

from __future__ import annotations

from tdl_inbox.domain.ids import parse_ref, submission_ref


def submission_url(submission_id: int) -> str:
    return f"/submissions/{submission_ref(submission_id)}"


def submission_url_of_ref(ref: str) -> str:
    """The page of the submission a listing calls ``ref`` (``s18``)."""
    return submission_url(parse_ref(ref).number)


def attachment_url(submission_id: int, sha256: str) -> str:
    return f"{submission_url(submission_id)}/files/{sha256}"


def raw_message_url(submission_id: int) -> str:
    return f"{submission_url(submission_id)}/raw"
