"""Mail to the admin: reports on a schedule or on request, and alerts about the daemon.

Everything goes through the outbox, so it is sent by the same retrying path as receipts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tdl_inbox.errors import ConfigError
from tdl_inbox.services.mail.outbox import Letter, enqueue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AdminMail:
    """Who mail to the admin comes from and goes to."""

    sender: str | None
    """Our address; None when outgoing mail is off (no [smtp] section)."""
    report_recipients: tuple[str, ...]
    alert_recipients: tuple[str, ...]


def queue_report(
    session: Session, admin: AdminMail, subject: str, text: str, html: str | None, now: datetime
) -> int:
    """Queue a report to every ``reports.recipients``; returns how many were queued."""
    if admin.sender is None:
        raise ConfigError("cannot e-mail a report: no [smtp] section in the config")
    if not admin.report_recipients:
        raise ConfigError("cannot e-mail a report: reports.recipients is empty")
    for address in admin.report_recipients:
        letter = Letter(
            kind="report", to_addr=address, subject=subject, body_text=text, body_html=html
        )
        enqueue(session, letter, admin.sender, now)
    return len(admin.report_recipients)


def queue_alert(
    session: Session, admin: AdminMail, subject: str, text: str, key: str, now: datetime
) -> int:
    """Queue an alert once per ``key``; without [smtp] or recipients it is only logged."""
    log.warning("alert: %s", subject)
    if admin.sender is None or not admin.alert_recipients:
        return 0
    queued = 0
    for address in admin.alert_recipients:
        letter = Letter(
            kind="alert",
            to_addr=address,
            subject=f"[tdl-inbox] {subject}",
            body_text=text,
            dedupe_key=f"alert:{key}:{address}",
        )
        if enqueue(session, letter, admin.sender, now) is not None:
            queued += 1
    return queued
