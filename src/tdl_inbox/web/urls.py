"""The workspace's addresses, built in one place so that pages, the API's ``url`` fields and
redirects agree. A submission is addressed by its visible id (``s18``); a file by the SHA-256
it was recorded under, never by a name a sender chose."""

from __future__ import annotations

from tdl_inbox.domain.ids import submission_ref


def submission_url(submission_id: int) -> str:
    return f"/submissions/{submission_ref(submission_id)}"


def attachment_url(submission_id: int, sha256: str) -> str:
    return f"{submission_url(submission_id)}/files/{sha256}"


def raw_message_url(submission_id: int) -> str:
    return f"{submission_url(submission_id)}/raw"
