"""What the daemon has been doing: kept in ``daemon_state`` for ``status`` and for alerts.

Alerts go out once when polls have failed for ``alerts.after_minutes`` and once when they
recover; a UIDVALIDITY change is reported when it happens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from tdl_inbox.adapters.db.models import DaemonState, FolderState, Message, OutboxItem
from tdl_inbox.adapters.lock import daemon_holds_lock, lock_holder_pid
from tdl_inbox.services.mail.notify import AdminMail, queue_alert, send_alert_now
from tdl_inbox.services.mail.outbox import REPLY_KINDS, SenderFactory
from tdl_inbox.services.reporting.formatting import short_time


@dataclass(frozen=True)
class AlertPolicy:
    """What polls are watched for, whom to tell, and how to show times in the alerts."""

    folder: str
    failing_after: timedelta
    """Alert once polls have failed for this long (``alerts.after_minutes``)."""
    admin: AdminMail
    zone: ZoneInfo


def _get(session: Session, key: str) -> str | None:
    row = session.get(DaemonState, key)
    return None if row is None else row.value


def _set(session: Session, key: str, value: str | None, now: datetime) -> None:
    row = session.get(DaemonState, key)
    if row is None:
        session.add(DaemonState(key=key, value=value, updated_at=now))
    else:
        row.value, row.updated_at = value, now


def _time(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def poll_succeeded(
    session: Session, policy: AlertPolicy, now: datetime, uidvalidity_changed: bool
) -> None:
    _set(session, "last_poll_ok_at", now.isoformat(), now)
    failing_since = _time(_get(session, "failing_since"))
    if failing_since is not None and _get(session, "failure_alert") == "sent":
        zone = policy.zone
        queue_alert(
            session,
            policy.admin,
            "mailbox polls work again",
            f"Polls failed from {short_time(failing_since, zone)} and succeeded again at "
            f"{short_time(now, zone)}. Nothing needs doing; mail that arrived meanwhile is "
            "recorded.",
            f"recovered:{failing_since.isoformat()}",
            now,
        )
    _set(session, "failing_since", None, now)
    _set(session, "failure_alert", None, now)
    _set(session, "last_error", None, now)
    if uidvalidity_changed:
        state = session.get(FolderState, policy.folder)
        validity = state.uidvalidity if state else "?"
        queue_alert(
            session,
            policy.admin,
            f"UIDVALIDITY of {policy.folder} changed",
            f"The mail server renumbered folder {policy.folder} (new UIDVALIDITY "
            f"{validity}); Proton Mail Bridge does this after a resync. tdl-inbox re-matched the "
            "recorded messages by identity instead of importing them again. Check `tdl-inbox "
            "status` and `tdl-inbox rejected` if anything looks odd.",
            f"uidvalidity:{validity}",
            now,
        )


def poll_failed(session: Session, policy: AlertPolicy, now: datetime, error: str) -> None:
    _set(session, "last_error", error, now)
    _set(session, "last_error_at", now.isoformat(), now)
    failing_since = _time(_get(session, "failing_since"))
    if failing_since is None:
        _set(session, "failing_since", now.isoformat(), now)
        return
    if now - failing_since >= policy.failing_after and _get(session, "failure_alert") != "sent":
        queue_alert(
            session,
            policy.admin,
            "mailbox polls are failing",
            f"Every poll since {short_time(failing_since, policy.zone)} failed. "
            f"Last error: {error}\n"
            "Is Proton Mail Bridge running and logged in? Try `tdl-inbox check`.",
            f"failing:{failing_since.isoformat()}",
            now,
        )
        _set(session, "failure_alert", "sent", now)


PUSH_MODES = ("idle", "polling")
RECENT_DELAYS = 10
"""How many of the latest receipts ``status`` shows the arrival-to-receipt delay of."""


def push_mode_changed(session: Session, mode: str, now: datetime) -> None:
    """``idle``: the server pushes new mail; ``polling``: it waits for the next poll."""
    assert mode in PUSH_MODES
    if _get(session, "mode") != mode:
        _set(session, "mode", mode, now)


def push_reported_mail(session: Session, now: datetime) -> None:
    _set(session, "idle_last_mail_at", now.isoformat(), now)


def record_ping(session: Session, now: datetime, result: str) -> None:
    """Note the outcome of the latest ping of ``alerts.ping_url`` (never the URL itself)."""
    _set(session, "last_ping_at", now.isoformat(), now)
    _set(session, "last_ping_result", result, now)


def database_file_lost(
    policy: AlertPolicy, open_sender: SenderFactory, error: str, now: datetime
) -> int:
    """Tell the admin the daemon stopped because its database file is gone (sent at once)."""
    return send_alert_now(
        policy.admin,
        open_sender,
        "the daemon stopped: its database file is gone",
        f"{error} (noticed at {short_time(now, policy.zone)}).\n\n"
        "The daemon stopped so that nothing more is recorded into a file nobody will read. "
        "Nothing is lost: mail stays in the mailbox and is recorded again when the daemon runs "
        "on a database. Restore the file from a backup, or run `tdl-inbox db upgrade` to start "
        "a new one, then start the daemon again.",
        now,
    )


@dataclass(frozen=True)
class Status:
    daemon_pid: int | None
    last_successful_poll: datetime | None
    failing_since: datetime | None
    last_error: str | None
    last_new_message: datetime | None
    messages_recorded_today: int
    uidvalidity_changes: int
    outbox_pending: int
    outbox_failed: int
    daemon_running: bool
    mode: str
    """``idle`` (new mail pushed by the server) or ``polling``."""
    idle_last_mail: datetime | None
    """When the server last reported new mail in IDLE."""
    receipt_delays_seconds: list[float]
    """Arrival (INTERNALDATE, whole seconds) to the receipt's sending, latest first."""
    last_ping_at: datetime | None = None
    last_ping_result: str | None = None
    """``success ping: HTTP 200``, ``fail ping: HTTP 200`` (a failed poll reported), or
    ``... ping: not delivered: timed out`` when the monitor was not reached."""


def daemon_status(
    engine: Engine, sessions: sessionmaker[Session], zone: tzinfo, now: datetime
) -> Status:
    """The status as ``status`` shows it; "today" is the course's day in ``zone``."""
    today_start = datetime.combine(now.astimezone(zone).date(), datetime.min.time(), tzinfo=zone)
    running = daemon_holds_lock(engine)
    pid = lock_holder_pid(engine) if running else None
    with sessions.begin() as session:
        return current_status(session, today_start, pid, running)


def current_status(
    session: Session, today_start: datetime, daemon_pid: int | None, daemon_running: bool
) -> Status:
    def count(*conditions: object) -> int:
        return session.scalar(select(func.count()).select_from(OutboxItem).where(*conditions)) or 0  # type: ignore[arg-type]

    return Status(
        daemon_pid=daemon_pid,
        last_successful_poll=_time(_get(session, "last_poll_ok_at")),
        failing_since=_time(_get(session, "failing_since")),
        last_error=_get(session, "last_error"),
        last_new_message=session.scalar(select(func.max(Message.recorded_at))),
        messages_recorded_today=session.scalar(
            select(func.count()).select_from(Message).where(Message.recorded_at >= today_start)
        )
        or 0,
        uidvalidity_changes=session.scalar(select(func.sum(FolderState.uidvalidity_changes))) or 0,
        outbox_pending=count(OutboxItem.status.in_(("pending", "sending"))),
        outbox_failed=count(OutboxItem.status == "failed"),
        daemon_running=daemon_running,
        mode=(_get(session, "mode") or "polling") if daemon_running else "polling",
        idle_last_mail=_time(_get(session, "idle_last_mail_at")),
        receipt_delays_seconds=_receipt_delays(session),
        last_ping_at=_time(_get(session, "last_ping_at")),
        last_ping_result=_get(session, "last_ping_result"),
    )


def _receipt_delays(session: Session) -> list[float]:
    rows = session.execute(
        select(OutboxItem.sent_at, Message.arrived_at)
        .join(Message, OutboxItem.message_pk == Message.id)
        .where(OutboxItem.kind.in_(REPLY_KINDS), OutboxItem.status == "sent")
        .order_by(OutboxItem.sent_at.desc())
        .limit(RECENT_DELAYS)
    ).all()
    return [
        round((sent - arrived).total_seconds(), 1)
        for sent, arrived in rows
        if sent is not None and arrived is not None
    ]
