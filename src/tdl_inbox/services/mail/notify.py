"""Mail to the admin: reports on a schedule or on request, and alerts about the daemon.

Everything goes through the outbox, so it is sent by the same retrying path as receipts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from tdl_inbox.errors import ConfigError
from tdl_inbox.services.mail.outbox import Letter, SenderFactory, compose, enqueue, new_message_id

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
        letter = _alert(address, subject, text, f"alert:{key}:{address}")
        if enqueue(session, letter, admin.sender, now) is not None:
            queued += 1
    return queued


def send_alert_now(
    admin: AdminMail, open_sender: SenderFactory, subject: str, text: str, now: datetime
) -> int:
    """Send an alert at once, bypassing the outbox: for when the database itself is lost."""
    log.error("alert: %s", subject)
    if admin.sender is None or not admin.alert_recipients:
        return 0
    with open_sender() as sender:
        for address in admin.alert_recipients:
            letter = _alert(address, subject, text, None)
            message_id = new_message_id(admin.sender)
            sender.send(compose(letter, message_id, admin.sender, now))
    return len(admin.alert_recipients)


def _alert(address: str, subject: str, text: str, dedupe_key: str | None) -> Letter:
    return Letter(
        kind="alert",
        to_addr=address,
        subject=f"[tdl-inbox] {subject}",
        body_text=text,
        dedupe_key=dedupe_key,
    )
