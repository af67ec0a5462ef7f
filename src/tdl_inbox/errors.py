"""Errors a user can act on.

TdlInboxError                 one clear line for the user; the CLI exits non-zero
├── ConfigError               bad or missing configuration (names the key)
├── DatabaseError             database unreachable, or its schema is behind
├── StorageError              the store directory cannot be written (disk full, permissions)
├── AlreadyRunning            another daemon holds the lock on this database
├── NotFound                  an id or name given on the command line does not exist
├── AlreadyClaimed            another grader holds the claim on a submission
├── StaleGrade                a grade was saved since the grader looked at the submission
├── InvalidGrade              a grade, extra points or exam points outside what the rules allow
├── MailboxError              the IMAP server could not be used
│   ├── MailboxUnavailable    transient: connection refused, reset, timed out (retry)
│   └── MailboxRejected       permanent until a human acts: login refused, TLS failure
└── SmtpError                 the SMTP server could not be used
    ├── SmtpUnavailable       transient: the message waits in the outbox and is retried
    └── SmtpRejected          permanent for this message or login: needs a human

A malformed or missing command-line value is click's usage error (exit 2), not one of these.
"""

from __future__ import annotations

from datetime import datetime


class TdlInboxError(Exception):
    """Base class; ``str(err)`` is the one line shown to the user."""


class ConfigError(TdlInboxError):
    pass


class DatabaseError(TdlInboxError):
    pass


class StorageError(TdlInboxError):
    pass


class AlreadyRunning(TdlInboxError):
    pass


class NotFound(TdlInboxError):
    pass


class AlreadyClaimed(TdlInboxError):
    """Another grader holds a live claim on the submission."""

    def __init__(self, submission_id: int, holder: str, until: datetime, hint: str) -> None:
        self.submission_id, self.holder, self.until, self.hint = submission_id, holder, until, hint
        super().__init__(self.describe(until.isoformat()))

    def describe(self, until: str) -> str:
        """The one line, with ``until`` as the caller shows times."""
        return f"s{self.submission_id} is claimed by {self.holder} until {until}; {self.hint}"


class StaleGrade(TdlInboxError):
    """Someone saved a grade for the submission after the grader opened it: saving now would
    overwrite a grade they never saw."""

    def __init__(
        self,
        submission_id: int,
        grade_id: int,
        grader: str,
        graded_at: datetime,
        points: float,
        extra: float,
        comment: str | None,
    ) -> None:
        self.submission_id, self.grade_id, self.grader = submission_id, grade_id, grader
        self.graded_at, self.points, self.extra, self.comment = graded_at, points, extra, comment
        super().__init__(self.describe(graded_at.isoformat()))

    def describe(self, when: str) -> str:
        """The one line, with ``when`` as the caller shows times."""
        return (
            f"s{self.submission_id} was graded by {self.grader} at {when} "
            f"({self.points:g} + {self.extra:g} extra) after you opened it; nothing changed: "
            "read their grade, then save yours again if you still mean it"
        )


class InvalidGrade(TdlInboxError):
    pass


class MailboxError(TdlInboxError):
    pass


class MailboxUnavailable(MailboxError):
    pass


class MailboxRejected(MailboxError):
    pass


class SmtpError(TdlInboxError):
    pass


class SmtpUnavailable(SmtpError):
    pass


class SmtpRejected(SmtpError):
    pass
