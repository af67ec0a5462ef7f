"""The rows a recorded batch adds, written with one multi-row INSERT per table.

The ORM's unit of work costs about as much per message as parsing it (object state, cascades,
identity map); a batch only adds rows, so it builds plain dicts and inserts them in bulk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Attachment, Message, Rejection, Submission

Row = dict[str, Any]


@dataclass
class _Pending:
    message: Row
    submission: Row | None
    rejection: Row | None
    attachments: list[Row] = field(default_factory=list)


class BatchRows:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._pending: list[_Pending] = []
        self._ids: list[int] = []  # of the messages inserted so far, in the order added

    def add(
        self,
        message: Row,
        *,
        submission: Row | None = None,
        rejection: Row | None = None,
        attachments: list[Row] | None = None,
    ) -> int:
        """Queue a message and its dependent rows; returns its index in the batch."""
        self._pending.append(_Pending(message, submission, rejection, attachments or []))
        return len(self._ids) + len(self._pending) - 1

    def id_of(self, index: int) -> int:
        """The database id of the message added as ``index`` (inserting what is queued)."""
        if index >= len(self._ids):
            self.flush()
        return self._ids[index]

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        if not pending:
            return
        ids = list(
            self.session.scalars(
                insert(Message).returning(Message.id, sort_by_parameter_order=True),
                [p.message for p in pending],
            )
        )
        self._ids.extend(ids)
        owned = list(zip(pending, ids, strict=True))
        submissions = [{**p.submission, "message_pk": i} for p, i in owned if p.submission]
        rejections = [{**p.rejection, "message_pk": i} for p, i in owned if p.rejection]
        attachments = [{**a, "message_pk": i} for p, i in owned for a in p.attachments]
        for model, rows in (
            (Submission, submissions),
            (Rejection, rejections),
            (Attachment, attachments),
        ):
            if rows:
                self.session.execute(insert(model), rows)
