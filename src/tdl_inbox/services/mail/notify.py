"""Mail to the admin: reports on a schedule or on request, and alerts about the daemon.

Everything goes through the outbox, so it is sent by the same retrying path as receipts.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from tdl_inbox.config.schema import Settings
from tdl_inbox.errors import ConfigError
from tdl_inbox.services.mail.outbox import Letter, SenderFactory, compose, enqueue, new_message_id

log = logging.getLogger(__name__)


def alert_recipients(settings: Settings) -> list[str]:
    return list(settings.alerts.recipients or settings.reports.recipients)


def queue_report(
    session: Session,
    settings: Settings,
    subject: str,
    text: str,
    html: str | None,
    now: datetime | None = None,
) -> int:
    """Queue a report to every ``reports.recipients``; returns how many were queued."""
    if settings.smtp is None:
        raise ConfigError("cannot e-mail a report: no [smtp] section in the config")
    recipients = list(settings.reports.recipients)
    if not recipients:
        raise ConfigError("cannot e-mail a report: reports.recipients is empty")
    moment = now or datetime.now(UTC)
    for address in recipients:
        letter = Letter(
            kind="report", to_addr=address, subject=subject, body_text=text, body_html=html
        )
        enqueue(session, letter, settings.smtp.sender, moment)
    return len(recipients)


def queue_alert(
    session: Session, settings: Settings, subject: str, text: str, key: str, now: datetime
) -> int:
    """Queue an alert once per ``key``; without [smtp] or recipients it is only logged."""
    log.warning("alert: %s", subject)
    recipients = alert_recipients(settings)
    if settings.smtp is None or not recipients:
        return 0
    queued = 0
    for address in recipients:
        letter = _alert(address, subject, text, f"alert:{key}:{address}")
        if enqueue(session, letter, settings.smtp.sender, now) is not None:
            queued += 1
    return queued


def send_alert_now(
    settings: Settings, open_sender: SenderFactory, subject: str, text: str, now: datetime
) -> int:
    """Send an alert at once, bypassing the outbox: for when the database itself is lost."""
    log.error("alert: %s", subject)
    recipients = alert_recipients(settings)
    if settings.smtp is None or not recipients:
        return 0
    with open_sender() as sender:
        for address in recipients:
            letter = _alert(address, subject, text, None)
            message_id = new_message_id(settings.smtp.sender)
            sender.send(compose(letter, message_id, settings.smtp.sender, now))
    return len(recipients)


def _alert(address: str, subject: str, text: str, dedupe_key: str | None) -> Letter:
    return Letter(
        kind="alert",
        to_addr=address,
        subject=f"[tdl-inbox] {subject}",
        body_text=text,
        dedupe_key=dedupe_key,
    )
