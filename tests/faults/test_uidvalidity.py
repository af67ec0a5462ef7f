"""UIDVALIDITY changes between polls (the folder recreated with the same messages, as Proton
Mail Bridge does on every resync): nothing is recorded twice, and the admin is told."""

from __future__ import annotations

import logging
import subprocess
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from faults.helpers import recorded
from servers.imap_fill import append
from support import cli, cli_env, poll, submission
from tdl_inbox.adapters.db.models import FolderState, Message

BASE = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)


def without_ids(n: int) -> bytes:
    """A message with no Message-ID and no provider id: only its bytes identify it."""
    return (
        f"From: Student {n} <s{n}@example.org>\r\nSubject: Theory 1 - Anonymous {n}\r\n"
        f"\r\nno Message-ID here, number {n}\r\n"
    ).encode()


def mailbox_contents() -> list[tuple[bytes, datetime]]:
    raws = [submission(f"Theory 1 - Student {n}") for n in range(4)]
    raws += [submission("what is the deadline?"), without_ids(1), without_ids(2)]
    raws.append(
        submission("Theory 2 - Proton User")
        .replace(b"\nMessage-ID:", b"\nX-Pm-Internal-Id: abc-123==\nMessage-ID:", 1)
        .replace(b"\n", b"\r\n")
    )
    raws.append(raws[0])  # the same message delivered twice
    return [(raw, BASE + timedelta(minutes=n)) for n, raw in enumerate(raws)]


def recreate(dovecot, folder: str, contents: list[tuple[bytes, datetime]]) -> int:
    """Delete and recreate the folder with ``contents`` in reverse order: a new UIDVALIDITY,
    and every message under a different UID than before."""
    new_validity = dovecot.reset_mailbox(folder)
    for raw, arrived in reversed(contents):
        append(dovecot, folder, raw, arrived)
    return new_validity


def test_folder_recreated_with_the_same_messages_records_nothing_twice_and_warns(
    dovecot, imap_folder, make_app, caplog
):
    contents = mailbox_contents()
    for raw, arrived in contents:
        append(dovecot, imap_folder, raw, arrived)
    app = make_app(imap_folder)
    first = poll(app)
    assert (first.recorded, first.duplicates) == (8, 1)
    with app.sessions.begin() as session:
        ids_before = dict(session.execute(select(Message.raw_sha256, Message.id)).all())
    old_validity = dovecot.uidvalidity(imap_folder)

    new_validity = recreate(dovecot, imap_folder, contents)
    append(dovecot, imap_folder, submission("Theory 2 - New Student"), BASE + timedelta(days=1))
    caplog.set_level(logging.WARNING, logger="tdl_inbox")
    report = poll(app)

    assert report.uidvalidity_changed
    assert report.remapped == 8
    assert (report.new_submissions, report.rejected, report.duplicates) == (1, 0, 1)
    state = recorded(app)
    assert len(state.uids) == len(set(state.uids)) == 9
    with app.sessions.begin() as session:
        rows = session.execute(select(Message.raw_sha256, Message.id, Message.uidvalidity)).all()
        folder = session.get(FolderState, imap_folder)
        assert folder is not None
        assert (folder.uidvalidity, folder.uidvalidity_changes) == (new_validity, 1)
    assert {digest: pk for digest, pk, _ in rows if digest in ids_before} == ids_before
    assert {validity for _, _, validity in rows} == {new_validity}
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert (
        f"folder {imap_folder}: UIDVALIDITY changed from {old_validity} to {new_validity}; "
        "matching messages by identity"
    ) in warnings
    assert f"folder {imap_folder}: 8 recorded messages re-matched after UIDVALIDITY change" in (
        warnings
    )
    assert poll(app).recorded == 0


def test_poll_command_tells_the_admin_about_a_uidvalidity_change(dovecot, imap_folder, make_app):
    contents = mailbox_contents()
    for raw, arrived in contents:
        append(dovecot, imap_folder, raw, arrived)
    app = make_app(imap_folder)
    poll(app)

    recreate(dovecot, imap_folder, contents)
    result = subprocess.run(
        cli(app, "poll"), env=cli_env(dovecot.password), capture_output=True, text=True
    )

    assert result.returncode == 0, result.stderr
    assert "folder UIDVALIDITY changed: 8 recorded messages re-matched" in result.stdout
    assert "new submissions: 0" in result.stdout
    assert "WARNING" in result.stderr
    assert "UIDVALIDITY changed from" in result.stderr
    assert len(recorded(app).uids) == 8
