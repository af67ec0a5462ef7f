"""``report late --email`` says what it mailed and nothing more: the report went by mail."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from grading.conftest import make_grading_app
from servers.smtp import SmtpSink
from tdl_inbox.app import App
from tdl_inbox.cli.main import main

LATE = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)


@pytest.fixture
def mailing_app(tmp_path, db_url, smtp_sink: SmtpSink):
    sections = f"""
[smtp]
host = "127.0.0.1"
port = {smtp_sink.port}
security = "starttls"
cafile = "{smtp_sink.cafile}"
from = "TDL course <tdl_course_mipt@protonmail.com>"

[receipts]
enabled = false

[reports]
recipients = ["admin@example.org"]
"""
    # a directory of its own: the grading_app that ``deliver`` brings writes tmp_path's config
    (tmp_path / "mailing").mkdir()
    app = make_grading_app(tmp_path / "mailing", db_url, grading=sections)
    yield app
    app.close()


def test_report_late_email_prints_only_what_was_sent(
    mailing_app: App, deliver, smtp_sink: SmtpSink, capsys
):
    deliver("Theory 1 - Ivan Ivanov", LATE, app=mailing_app)
    code = main(["--config", str(mailing_app.settings.source), "report", "late", "--email"])
    out, err = capsys.readouterr()
    assert (code, out, err) == (0, "report queued for 1 recipient, 1 sent\n", "")
    [letter] = smtp_sink.wait_for(1)
    assert "Ivan Ivanov" in letter.message.get_body(("plain",)).get_content()


def test_report_late_email_with_output_also_writes_the_report(
    mailing_app: App, deliver, smtp_sink: SmtpSink, capsys, tmp_path
):
    deliver("Theory 1 - Ivan Ivanov", LATE, app=mailing_app)
    target = tmp_path / "late.csv"
    argv = ["report", "late", "--email", "--format", "csv", "--output", str(target)]
    code = main(["--config", str(mailing_app.settings.source), *argv])
    out, _ = capsys.readouterr()
    assert (code, out) == (0, "report queued for 1 recipient, 1 sent\n")
    assert "Ivan Ivanov" in target.read_text(encoding="utf-8")
    smtp_sink.wait_for(1)
