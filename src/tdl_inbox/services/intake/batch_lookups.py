"""What recording a batch of messages needs from the database, read in a few queries.

Recording asks, per message: is this UID recorded, is the message a duplicate, which earlier
message has its Message-ID, who is the sender on the roster, has the student an extension, does
it answer a grade mail (a regrade request).
Asked one message at a time that is about ten queries (and as many ORM autoflushes) per
message; here each question is one ``IN`` query for the whole batch, and what the batch itself
adds is remembered, so a message later in the same batch sees the ones before it.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import (
    Extension,
    Message,
    OutboxItem,
    Student,
    StudentAddress,
    Submission,
)
from tdl_inbox.domain.names import name_key
from tdl_inbox.services.grading.roster import SessionRoster
from tdl_inbox.services.mail.outbox import GRADE_MAIL

_MESSAGE_ID = re.compile(r"<[^<>\s]{1,250}>")
_MAX_REFERENCES = 50


def reply_ids(in_reply_to: str | None, references: str | None) -> list[str]:
    """The Message-IDs a message answers: In-Reply-To, then References (bounded)."""
    found = _MESSAGE_ID.findall(in_reply_to or "") + _MESSAGE_ID.findall(references or "")
    return list(dict.fromkeys(found))[:_MAX_REFERENCES]


class BatchLookups:
    """Prefetched answers for one batch, inside the batch's transaction."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._roster = SessionRoster(session)
        self._provider_ids: set[str] = set()
        self._ids_and_digests: set[tuple[str, str]] = set()
        self._first_id: dict[str, int] = {}
        self._pending_id: dict[str, int] = {}  # Message-ID -> index of a message of the batch
        self._addresses: dict[str, int] = {}
        self._names: dict[str, list[int]] = {}
        self._has_students: bool | None = None
        self._extensions: dict[tuple[str, str], datetime] = {}
        self._grade_mails: dict[str, tuple[int, str]] = {}

    # -- the UIDs -------------------------------------------------------------------------
    def recorded_uids(self, folder: str, uidvalidity: int, uids: Collection[int]) -> set[int]:
        if not uids:
            return set()
        return set(
            self.session.scalars(
                select(Message.uid).where(
                    Message.folder == folder,
                    Message.uidvalidity == uidvalidity,
                    Message.uid.in_(uids),
                )
            )
        )

    # -- duplicates ----------------------------------------------------------------------
    def load_messages(self, provider_ids: Iterable[str], message_ids: Iterable[str]) -> None:
        wanted_providers = set(provider_ids)
        if wanted_providers:
            self._provider_ids.update(
                value
                for value in self.session.scalars(
                    select(Message.provider_id).where(Message.provider_id.in_(wanted_providers))
                )
                if value is not None
            )
        wanted_ids = set(message_ids)
        if wanted_ids:
            rows = self.session.execute(
                select(Message.message_id, Message.raw_sha256, func.min(Message.id))
                .where(Message.message_id.in_(wanted_ids))
                .group_by(Message.message_id, Message.raw_sha256)
            )
            for message_id, digest, first in rows:
                if message_id is None:
                    continue
                self._ids_and_digests.add((message_id, digest))
                known = self._first_id.get(message_id)
                self._first_id[message_id] = first if known is None else min(known, first)

    def is_duplicate(self, provider_id: str | None, message_id: str | None, digest: str) -> bool:
        if provider_id is not None and provider_id in self._provider_ids:
            return True
        return message_id is not None and (message_id, digest) in self._ids_and_digests

    def first_with_message_id(self, message_id: str, id_of: Callable[[int], int]) -> int | None:
        """The first recorded message with ``message_id``; ``id_of`` gives the database id of
        a message added earlier in this batch (by its index)."""
        found = self._first_id.get(message_id)
        if found is not None:
            return found
        index = self._pending_id.get(message_id)
        if index is None:
            return None
        found = self._first_id[message_id] = id_of(index)
        return found

    def added(
        self, index: int, provider_id: str | None, message_id: str | None, digest: str
    ) -> None:
        """Remember a message this batch adds, so later ones in the batch see it."""
        if provider_id is not None:
            self._provider_ids.add(provider_id)
        if message_id is not None:
            self._ids_and_digests.add((message_id, digest))
            self._pending_id.setdefault(message_id, index)

    # -- the roster (RosterView) ---------------------------------------------------------
    def load_roster(self, senders: Iterable[str], names: Iterable[str]) -> None:
        addresses = {sender.lower() for sender in senders}
        if addresses:
            self._addresses.update(
                self.session.execute(
                    select(StudentAddress.email, StudentAddress.student_id).where(
                        StudentAddress.email.in_(addresses)
                    )
                ).all()
            )
        keys = {name_key(name) for name in names}
        for key in keys:
            self._names.setdefault(key, [])
        if keys:
            for key, student_id in self.session.execute(
                select(Student.name_key, Student.id)
                .where(Student.name_key.in_(keys))
                .order_by(Student.id)
            ):
                self._names[key].append(student_id)

    def student_at(self, address: str) -> int | None:
        return self._addresses.get(address)

    def students_named(self, key: str) -> list[int]:
        return self._names.get(key, [])

    def name_of(self, student_id: int) -> str:
        return self._roster.name_of(student_id)  # only for a flag: rare, asked directly

    def has_students(self) -> bool:
        if self._has_students is None:
            self._has_students = self._roster.has_students()
        return self._has_students

    # -- extensions ----------------------------------------------------------------------
    def load_extensions(self, owners: Iterable[str]) -> None:
        wanted = set(owners)
        if wanted:
            rows = self.session.execute(
                select(Extension.owner, Extension.assignment, Extension.until).where(
                    Extension.owner.in_(wanted)
                )
            )
            self._extensions.update(((owner, key), until) for owner, key, until in rows)

    def extension_until(self, owner: str, assignment: str) -> datetime | None:
        return self._extensions.get((owner, assignment))

    # -- replies to grade mails ------------------------------------------------------------
    def load_grade_mails(self, answered: Iterable[str]) -> None:
        """Which of the Message-IDs the batch answers are grade mails, and of what."""
        wanted = set(answered)
        if wanted:
            rows = self.session.execute(
                select(OutboxItem.email_message_id, Submission.id, Submission.assignment)
                .join(Submission, Submission.message_pk == OutboxItem.message_pk)
                .where(OutboxItem.kind == GRADE_MAIL, OutboxItem.email_message_id.in_(wanted))
            )
            self._grade_mails.update((mid, (sid, key)) for mid, sid, key in rows)

    def grade_mail_answered(self, answered: Iterable[str]) -> tuple[int, str] | None:
        """(submission id, assignment) of the first grade mail among ``answered``."""
        for message_id in answered:
            found = self._grade_mails.get(message_id)
            if found is not None:
                return found
        return None
