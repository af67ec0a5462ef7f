"""What a grader sees of one submission (its text, its links, files they can open) and what
``export`` hands them; all of it written by the sender, so shown without its escapes."""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from tdl_inbox.adapters.db.models import Message, Submission
from tdl_inbox.services.intake.recording import Incoming, Location, Outcome, record

ON_TIME = datetime(2019, 3, 10, 12, 0, tzinfo=UTC)
LATE = datetime(2019, 3, 18, 12, 0, tzinfo=UTC)
LINK = "https://disk.yandex.ru/d/" + "Zq9" * 40
ATTACK = "\x1b[2J\x1b]0;pwned\x07\x1b[31m[red]alarm[/red] [bold]x[/bold] \u202egpj.exe\x9b1m done"
_uids = itertools.count(500_000)


@pytest.fixture
def deliver_mail(grading_app):
    """Record an EmailMessage that arrived at ``arrived``; returns its submission id."""

    def _deliver(msg: EmailMessage, arrived: datetime = ON_TIME) -> int:
        raw = msg.as_bytes()
        incoming = Incoming(Location("INBOX", 1, next(_uids)), raw, len(raw), arrived)
        with grading_app.sessions.begin() as session:
            outcome = record(
                session, grading_app.store, grading_app.ctx, incoming, datetime.now(UTC)
            )
            assert outcome is Outcome.SUBMISSION
            session.flush()
            found = session.scalar(
                select(Submission.id)
                .join(Message, Message.id == Submission.message_pk)
                .where(Message.uid == incoming.location.uid)
            )
            assert found is not None
            return found

    return _deliver


def mail(subject: str, sender: str = "Ivan Ivanov <ivan@example.org>") -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = "tdl_course_mipt@protonmail.com"
    msg["Subject"] = subject
    return msg


def test_show_gives_the_text_and_links_of_a_solution_sent_as_a_link(run, deliver_mail):
    msg = mail("Theory 1 - Ivan Ivanov")
    msg.set_content(f"Добрый день!\nРешение в облаке: {LINK}.\n\nИван")
    sid = deliver_mail(msg)

    code, out, _ = run("show", str(sid), "--json")
    details = json.loads(out)
    assert code == 0
    assert "Решение в облаке: " + LINK in details["body_text"]
    assert details["links"] == [LINK]
    assert details["attachments"] == []

    code, out, _ = run("show", str(sid))
    assert code == 0
    # piped output: each value on one line, however long
    assert any(LINK in line for line in out.splitlines())
    assert any("Решение в облаке: " + LINK in line for line in out.splitlines())


def test_show_reduces_an_html_body_to_text_with_its_link_targets(run, deliver_mail):
    msg = mail("Theory 1 - Ivan Ivanov")
    msg.set_content(
        "<html><head><style>p { color: red }</style><title>T</title></head><body>"
        "<p>Моё решение: <a href='https://github.com/ivan/tdl'>репозиторий</a></p>"
        "<script>alert('x')</script><ul><li>задача 1<li>задача 2</ul>"
        "<a href='javascript:alert(1)'>click</a></body></html>",
        subtype="html",
    )
    msg.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="s.pdf")
    sid = deliver_mail(msg)

    _, out, _ = run("show", str(sid), "--json")
    details = json.loads(out)
    assert details["body_text"] == (
        "Моё решение: репозиторий (https://github.com/ivan/tdl)\n\n- задача 1\n- задача 2\nclick"
    )
    assert details["links"] == ["https://github.com/ivan/tdl"]


def test_show_prints_mail_text_as_plain_text_without_escapes(run, deliver_mail):
    msg = mail("Theory 1 - Ivan Ivanov")
    msg.set_content(ATTACK)
    msg.add_attachment(
        b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="[bold]big[/bold].pdf"
    )
    sid = deliver_mail(msg)

    code, out, _ = run("show", str(sid))
    assert code == 0
    for bad in ("\x1b", "\x07", "\x9b", "\u202e", "pwned"):
        assert bad not in out
    assert "[red]alarm[/red] [bold]x[/bold] gpj.exe" in out  # markup shown, not applied
    assert "file [bold]big[/bold].pdf" in out

    code, out, _ = run("show", str(sid), "--json")
    text = json.loads(out)["body_text"]
    assert text == "[red]alarm[/red] [bold]x[/bold] gpj.exe done"


def test_show_gives_each_file_a_path_ending_in_its_checked_extension(
    run, deliver_mail, grading_app
):
    files = {
        "solution": (b"%PDF-1.7\n" + os.urandom(64), ".pdf"),
        "hw.pdf.exe": (b"MZ\x90\x00" + bytes(64), ".bin"),
        "report.pdf": (b"PK\x03\x04" + bytes(64), ".zip"),
        "essay.docx": (b"PK\x03\x04" + os.urandom(64), ".docx"),
        "notebook.ipynb": (b'{"cells": [], "nbformat": 4}', ".ipynb"),
        "main.py": ("print('привет')\n".encode(), ".py"),
        "page.html": (b"<script>alert(1)</script>", ".txt"),
        "photo.JPEG": (b"\xff\xd8\xff\xe0" + bytes(64), ".jpg"),
    }
    msg = mail("Lab 1 - Ivan Ivanov")
    msg.set_content("see attached")
    for name, (data, _) in files.items():
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    sid = deliver_mail(msg)

    code, out, _ = run("show", str(sid), "--json")
    assert code == 0
    shown = {a["filename"]: a for a in json.loads(out)["attachments"]}
    views = grading_app.store.root.resolve() / "views"
    for name, (data, extension) in files.items():
        path = Path(shown[name]["open_path"])
        assert path.parent == views
        assert path.name == shown[name]["sha256"] + extension, name
        assert path.read_bytes() == data
        assert path.stat().st_ino == Path(shown[name]["path"]).stat().st_ino  # a hard link

    _, again, _ = run("show", str(sid), "--json")
    assert [a["open_path"] for a in json.loads(again)["attachments"]] == [
        a["open_path"] for a in json.loads(out)["attachments"]
    ]
    _, table, _ = run("show", str(sid))
    assert f"{shown['solution']['open_path']} (" in table


def test_export_folders_carry_the_id_and_a_manifest_lists_them(
    run, deliver_mail, grading_app, tmp_path
):
    first = mail("Theory 1 - Ivan Ivanov")
    first.set_content("v1")
    first.add_attachment(b"%PDF-1.4\n", maintype="application", subtype="pdf", filename="hw")
    ivan = deliver_mail(first)
    late = mail("Theory 1 - Petr Petrov", "petr@example.org")
    late.set_content("sorry")
    late.add_attachment(b"x = 1\n", maintype="text", subtype="plain", filename="a.py")
    other = deliver_mail(late, LATE)
    formula = mail("Theory 1 - =cmd|' /C calc'!A0", "eve@example.org")
    formula.set_content("hi")
    evil = deliver_mail(formula)

    target = tmp_path / "export"
    code, out, _ = run("export", "--assignment", "theory-1", str(target))
    assert code == 0
    assert str(target / "manifest.csv") in out
    files = sorted(p.relative_to(target).as_posix() for p in target.rglob("*") if p.is_file())
    assert f"s{ivan} - Ivan Ivanov/hw.pdf" in files
    assert "manifest.csv" in files

    text = (target / "manifest.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert list(rows[0]) == ["id", "student", "assignment", "arrived", "verdict", "folder", "files"]
    by_id = {int(r["id"]): r for r in rows}
    assert by_id[ivan]["folder"] == f"s{ivan} - Ivan Ivanov"
    assert (by_id[ivan]["arrived"], by_id[ivan]["verdict"], by_id[ivan]["files"]) == (
        "2019-03-10T15:00:00+03:00",
        "on time",
        "hw.pdf",
    )
    assert (by_id[other]["verdict"], by_id[other]["files"]) == ("LATE 1d 15h", "a.py")
    assert by_id[evil]["student"].startswith("'=")
