"""Subjects that ask the system something instead of submitting work.

``status`` (or ``статус``) asks for the sender's own versions, grades and extensions. The word
is read as the subject grammar reads a kind word: after reply/forward markers and list tags,
case-insensitive, Cyrillic and Latin look-alike letters alike. Nothing else may be in the
subject, so a submission such as ``Status report 1 - Ivan`` is never taken for a request.
"""

from __future__ import annotations

from tdl_inbox.domain.subjects import MAX_SUBJECT_LENGTH, bare_subject, fold

STATUS_WORDS = ("status", "статус")

_STATUS = frozenset(fold(word) for word in STATUS_WORDS)


def is_status_request(subject: str | None) -> bool:
    """Whether the decoded ``subject`` is a status request (``Status``, ``Re: статус``...)."""
    if subject is None or len(subject) > MAX_SUBJECT_LENGTH:
        return False
    return fold(bare_subject(subject)) in _STATUS
