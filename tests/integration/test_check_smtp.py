"""``check`` tries the SMTP server too: connect, STARTTLS, login, and says which failed."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from servers.smtp import SmtpSink
from support import PASSWORD_ENV, config_text, migrated_app
from tdl_inbox.cli.main import main

pytestmark = pytest.mark.dovecot

SMTP_PASSWORD_ENV = "TDL_INBOX_TEST_SMTP_PASSWORD"


@pytest.fixture(scope="module")
def strict_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    """Like Proton Mail Bridge: STARTTLS and a login are required before any mail."""
    with SmtpSink(
        tmp_path_factory.mktemp("smtp-strict"),
        require_starttls=True,
        auth=("course@example.org", "smtp-secret"),
        auth_required=True,
    ) as sink:
        yield sink


@pytest.fixture(scope="module")
def clear_smtp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SmtpSink]:
    with SmtpSink(tmp_path_factory.mktemp("smtp-clear"), starttls=False) as sink:
        yield sink


def smtp_section(sink: SmtpSink, port: int | None = None, cafile: object = None) -> str:
    return f"""
[smtp]
host = "127.0.0.1"
port = {port or sink.port}
security = "starttls"
cafile = "{cafile or sink.cafile}"
username = "course@example.org"
password_env = "{SMTP_PASSWORD_ENV}"
from = "TDL course <course@example.org>"
"""


@pytest.fixture
def run_check(tmp_path, dovecot, imap_folder, database_url, monkeypatch, capsys):
    monkeypatch.setenv(PASSWORD_ENV, dovecot.password)
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "smtp-secret")

    def run(section: str) -> tuple[int, str]:
        path = tmp_path / "tdl-inbox.toml"
        migrated_app(path, config_text(dovecot, imap_folder, database_url) + section).close()
        code = main(["--config", str(path), "check"])
        captured = capsys.readouterr()
        lines = (captured.out + captured.err).splitlines()
        [line] = [line for line in lines if " smtp: " in line]
        return code, line

    return run


def test_a_working_smtp_login_is_ok(run_check, strict_smtp):
    code, line = run_check(smtp_section(strict_smtp))
    assert code == 0, line
    assert line.startswith("ok   smtp: ")
    assert f"127.0.0.1:{strict_smtp.port}" in line
    assert "logged in as course@example.org" in line


def test_a_wrong_port_fails_at_connect(run_check, strict_smtp):
    code, line = run_check(smtp_section(strict_smtp, port=1))
    assert code == 1
    assert line == "FAIL smtp: SMTP connect to 127.0.0.1:1 failed: connection refused"


def test_a_server_without_starttls_fails_at_starttls(run_check, clear_smtp, strict_smtp):
    code, line = run_check(smtp_section(clear_smtp, cafile=strict_smtp.cafile))
    assert code == 1
    assert line.startswith(f"FAIL smtp: SMTP STARTTLS with 127.0.0.1:{clear_smtp.port} failed: ")
    assert "does not offer STARTTLS" in line


def test_a_wrong_password_fails_at_login(run_check, strict_smtp, monkeypatch):
    monkeypatch.setenv(SMTP_PASSWORD_ENV, "wrong-password")
    code, line = run_check(smtp_section(strict_smtp))
    assert code == 1
    assert line.startswith(
        f"FAIL smtp: SMTP login to 127.0.0.1:{strict_smtp.port} as course@example.org failed"
    )
    assert "wrong-password" not in line


def test_an_unset_password_fails_at_login(run_check, strict_smtp, monkeypatch):
    monkeypatch.delenv(SMTP_PASSWORD_ENV)
    code, line = run_check(smtp_section(strict_smtp))
    assert code == 1
    assert line == (
        f"FAIL smtp: login: smtp.password_env: environment variable {SMTP_PASSWORD_ENV} is not set"
    )


def test_a_missing_cafile_is_named(run_check, strict_smtp, tmp_path):
    code, line = run_check(smtp_section(strict_smtp, cafile=tmp_path / "absent.pem"))
    assert code == 1
    assert line == (
        f"FAIL smtp: smtp.cafile: cannot use {tmp_path / 'absent.pem'}: No such file or directory"
    )


def test_without_smtp_nothing_is_sent_and_check_says_so(run_check):
    code, line = run_check("")
    assert code == 0
    assert line == "ok   smtp: no [smtp] section: receipts, reports and alerts are not sent"
