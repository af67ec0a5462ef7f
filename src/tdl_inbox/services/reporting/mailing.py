"""The admin's report by e-mail: composed once, queued for every ``reports.recipients``.

``report late --email`` and the daemon's scheduled reports both go through here; the outbox
sends it like any other mail.
"""

from __future__ import annotations

from tdl_inbox.services.mail.notify import AdminMail, queue_report
from tdl_inbox.services.reporting.documents import ReportScope, report_mail


def queue_report_mail(scope: ReportScope, admin: AdminMail, assignment: str | None = None) -> int:
    """Queue the summary and late report (of ``assignment``, or all); returns how many
    recipients it was queued for."""
    subject, text, html = report_mail(scope, assignment)
    with scope.sessions.begin() as session:
        return queue_report(session, admin, subject, text, html, scope.now)
