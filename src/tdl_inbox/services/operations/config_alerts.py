"""Alerts about a config the running daemon re-read and did not apply."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from tdl_inbox.services.mail.notify import AdminMail, queue_alert


def config_not_applied(
    session: Session,
    admin: AdminMail,
    now: datetime,
    problem: str,
    content_digest: str,
    needs_restart: bool,
) -> int:
    """Queue one alert per file content: the watcher looks every second, the admin hears once."""
    if needs_restart:
        subject = "config not reloaded: a change needs a restart"
        advice = (
            "Restart the daemon to apply it (systemctl restart tdl-inbox), or undo that change "
            "to have the rest applied at once."
        )
    else:
        subject = "config not reloaded: the file is invalid"
        advice = "Fix the file: it is read again when it changes, or on SIGHUP."
    text = (
        "The daemon re-read its config file and kept the previous config in force, "
        f"entirely:\n\n  {problem}\n\n{advice}\nThe daemon goes on recording with the "
        "previous config.\n"
    )
    return queue_alert(session, admin, subject, text, f"config:{content_digest}", now)
