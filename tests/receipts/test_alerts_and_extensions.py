"""Admin alerts (failing polls, recovery, UIDVALIDITY) and per-student extensions."""

from __future__ import annotations

import functools
import json
from datetime import UTC, datetime, timedelta

import pytest

from servers.imap_fill import append
from support import poll, run_cli, submission
from tdl_inbox.services.operations.status import current_status, poll_failed, poll_succeeded

pytestmark = pytest.mark.dovecot

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
ALERTS = "\n[alerts]\nrecipients = ['admin@example.org']\nafter_minutes = 30\n"


def test_failing_polls_alert_once_and_recovery_alerts_once(smtp_sink, receipts_app):
    app = receipts_app(extra=ALERTS)
    with app.sessions.begin() as session:
        for minutes in (0, 10, 31, 45, 60):
            poll_failed(
                session, app.alert_policy(), T0 + timedelta(minutes=minutes), "connection refused"
            )
        for minutes in (61, 62):
            poll_succeeded(session, app.alert_policy(), T0 + timedelta(minutes=minutes), False)
        status = current_status(session, T0, None, False)
    assert status.failing_since is None
    assert status.last_successful_poll == T0 + timedelta(minutes=62)
    app.flush_outbox(force=True)
    subjects = sorted(m["Subject"] for m in smtp_sink.messages())
    assert subjects == [
        "[tdl-inbox] mailbox polls are failing",
        "[tdl-inbox] mailbox polls work again",
    ]


def test_uidvalidity_change_alerts_the_admin(dovecot, imap_folder, smtp_sink, receipts_app):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), T0)
    app = receipts_app(extra=ALERTS)
    poll(app)
    dovecot.reset_mailbox(imap_folder)
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov"), T0)
    report = poll(app)
    with app.sessions.begin() as session:
        poll_succeeded(session, app.alert_policy(), T0, report.uidvalidity_changed)
    app.flush_outbox(force=True)
    subjects = [m["Subject"] for m in smtp_sink.messages() if m["To"] == "admin@example.org"]
    assert subjects == [f"[tdl-inbox] UIDVALIDITY of {imap_folder} changed"]


def test_extension_turns_a_late_verdict_on_time(dovecot, imap_folder, receipts_app, capsys):
    late = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)  # theory-1 was due 2019-03-16 23:59 MSK
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", "ivan@example.org"), late)
    app = receipts_app()
    poll(app)
    run = functools.partial(run_cli, capsys, app)

    def submissions():
        code, out, _ = run("submissions", "--json")
        assert code == 0
        return json.loads(out)

    assert submissions()[0]["late"] is True
    extended = run(
        "extend", "Ivan Ivanov", "theory-1", "--until", "2019-03-20T23:59", "--reason", "ill"
    )
    assert extended[0] == 0
    row = submissions()[0]
    assert (row["late"], row["deadline"]) == (False, "2019-03-20T23:59:00+03:00")
    code, out, _ = run("extensions", "--json")
    assert code == 0
    (ext,) = json.loads(out)
    assert (ext["student"], ext["assignment"], ext["reason"]) == ("Ivan Ivanov", "theory-1", "ill")
    code, out, _ = run("assignments", "--json")
    assert code == 0
    listed = {a["assignment"]: a for a in json.loads(out)}
    assert listed["theory-1"]["extensions"][0]["until"] == "2019-03-20T23:59:00+03:00"

    code, _, err = run("extend", "Ivan Ivanov", "theory-1", "--until", "2019-03-01T10:00")
    assert code == 1
    assert "can only move a deadline later" in err
    assert run("extend", "Ivan Ivanov", "theory-1", "--revoke")[0] == 0
    assert submissions()[0]["late"] is True


def test_status_json(dovecot, imap_folder, receipts_app, capsys):
    append(dovecot, imap_folder, submission("Theory 1 - Ivan Ivanov", "ivan@example.org"), T0)
    app = receipts_app()
    assert run_cli(capsys, app, "poll")[0] == 0
    code, out, _ = run_cli(capsys, app, "status", "--json")
    assert code == 0
    info = json.loads(out)
    assert info["daemon_running"] is False
    assert info["messages_recorded_today"] == 1
    assert info["outbox_pending"] == 0
    assert info["uidvalidity_changes"] == 0


REPORTS = "\n[reports]\ncron = '0 8 * * *'\nrecipients = ['admin@example.org']\n"


def test_scheduled_report_job_mails_the_admin(dovecot, imap_folder, smtp_sink, receipts_app):
    from tdl_inbox.daemon import Daemon, report_trigger

    late = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)
    append(
        dovecot, imap_folder, submission("Theory 1 - Ivan <b>Ivanov</b>", "ivan@example.org"), late
    )
    app = receipts_app(extra="enabled = false\n" + REPORTS)
    poll(app)
    assert str(report_trigger(app)).startswith("cron[")

    Daemon(app).report_job()

    (report,) = [m for m in smtp_sink.messages() if m["To"] == "admin@example.org"]
    assert report["Subject"] == "Theoretical Deep Learning: 1 late submission"
    html = report.get_body(("html",)).get_content()
    assert "<svg" in html
    assert "Ivan &lt;b&gt;Ivanov&lt;/b&gt;" in html
    assert "<b>Ivanov</b>" not in html


def test_bad_cron_is_a_config_error(receipts_app):
    from tdl_inbox.daemon import report_trigger
    from tdl_inbox.errors import ConfigError

    app = receipts_app(extra=REPORTS.replace("0 8 * * *", "every morning"))
    with pytest.raises(ConfigError, match=r"reports\.cron"):
        report_trigger(app)
