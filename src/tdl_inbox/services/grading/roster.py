"""The roster and who each submission belongs to.

A submission is linked to a roster student by its sender address first, then by the name in
its subject. When the two disagree, or neither is in a non-empty roster, the submission is
flagged for the admin and keyed by the name as written: never attached to a guess.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import Message, Student, StudentAddress, Submission
from tdl_inbox.domain.names import display_name, name_key
from tdl_inbox.errors import NotFound, TdlInboxError

MAX_OWNER_KEY = 250
"""Owner columns are VARCHAR(300); longer name keys are shortened and made unique by a digest."""
TRUE_WORDS = {"1", "true", "yes", "y", "да", "+"}
FALSE_WORDS = {"0", "false", "no", "n", "нет", "-"}


@dataclass(frozen=True)
class Link:
    student_id: int | None
    owner: str
    flag: str | None


def owner_of_student(student_id: int) -> str:
    return f"s:{student_id}"


def owner_of_name(name: str) -> str:
    key = name_key(name)
    if len(key) > MAX_OWNER_KEY:  # transliteration can triple a name (文 -> wen)
        key = key[:200] + "~" + hashlib.sha256(key.encode()).hexdigest()[:32]
    return f"n:{key}"


def has_roster(session: Session) -> bool:
    """Whether any student is on the roster: without one, names as written identify people."""
    return session.scalar(select(Student.id).limit(1)) is not None


class RosterView(Protocol):
    """What deciding a link needs to know about the roster; batch ingest answers from
    lookups prefetched for a whole batch, everything else from the session."""

    def student_at(self, address: str) -> int | None: ...
    def students_named(self, key: str) -> list[int]: ...
    def name_of(self, student_id: int) -> str: ...
    def has_students(self) -> bool: ...


class SessionRoster:
    def __init__(self, session: Session) -> None:
        self.session = session

    def student_at(self, address: str) -> int | None:
        return self.session.scalar(
            select(StudentAddress.student_id).where(StudentAddress.email == address)
        )

    def students_named(self, key: str) -> list[int]:
        return list(self.session.scalars(select(Student.id).where(Student.name_key == key)))

    def name_of(self, student_id: int) -> str:
        student = self.session.get(Student, student_id)
        assert student is not None
        return student.name

    def has_students(self) -> bool:
        return has_roster(self.session)


def decide_link(session: Session, sender: str | None, name: str) -> Link:
    return link_in(SessionRoster(session), sender, name)


def link_in(roster: RosterView, sender: str | None, name: str) -> Link:
    by_address = roster.student_at(sender.lower()) if sender else None
    by_name = roster.students_named(name_key(name))
    if by_address is not None:
        if by_name and by_address not in by_name:
            return Link(
                None,
                owner_of_name(name),
                f"sender {sender} is {roster.name_of(by_address)} "
                f"but the subject names {roster.name_of(by_name[0])}",
            )
        return Link(by_address, owner_of_student(by_address), None)
    if len(by_name) == 1:
        return Link(by_name[0], owner_of_student(by_name[0]), None)
    if len(by_name) > 1:
        return Link(None, owner_of_name(name), f"{len(by_name)} roster students are named {name}")
    has_roster = roster.has_students()
    flag = f"neither {sender or 'the sender'} nor {name!r} is in the roster" if has_roster else None
    return Link(None, owner_of_name(name), flag)


def apply_link(session: Session, submission: Submission, sender: str | None) -> None:
    if submission.link_manual:
        return
    link = decide_link(session, sender, submission.student)
    submission.student_id, submission.owner, submission.link_flag = (
        link.student_id,
        link.owner,
        link.flag,
    )


def relink_all(session: Session, sender: str | None = None) -> int:
    """Re-decide the link of every automatically linked submission (of ``sender``, if given)."""
    query = (
        select(Submission, Message.sender)
        .join(Message, Submission.message_pk == Message.id)
        .where(Submission.link_manual.is_(False))
    )
    if sender is not None:
        query = query.where(Message.sender == sender.lower())
    count = 0
    for submission, address in session.execute(query).all():
        apply_link(session, submission, address)
        count += 1
    return count


def _flag(value: str | None, column: str, line: int) -> bool:
    """A yes/no cell; empty means yes (students are MIPT students unless marked otherwise)."""
    word = (value or "").strip().lower()
    if word == "" or word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise TdlInboxError(f"roster line {line}: column {column}: expected yes/no, got {value!r}")


def import_roster(session: Session, text: str) -> tuple[int, int]:
    """Add or update students from CSV text; returns (added, updated). Matches on e-mail."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    missing = {"name", "email"} - columns
    if missing:
        raise TdlInboxError(
            f"roster CSV needs columns name and email; missing: {', '.join(sorted(missing))}"
        )
    added = updated = 0
    for line, raw_row in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw_row.items()}
        name, email = display_name(row.get("name", "")), row.get("email", "").lower()
        if not name:
            raise TdlInboxError(f"roster line {line}: empty name")
        mipt = _flag(row.get("mipt"), "mipt", line) if "mipt" in row else True
        student = None
        if email:
            student = session.scalar(select(Student).where(Student.email == email))
        if student is None:
            student = session.scalar(
                select(Student).where(Student.name_key == name_key(name), Student.email.is_(None))
            )
        if student is None:
            student = Student(name=name, name_key=name_key(name), email=email or None)
            session.add(student)
            added += 1
        else:
            updated += 1
        student.name, student.name_key = name, name_key(name)
        student.email = email or student.email
        student.group = row.get("group") or student.group
        student.mipt = mipt
        session.flush()
        if email:
            link_address(session, email, student)
    relink_all(session)
    return added, updated


def link_address(session: Session, email: str, student: Student) -> None:
    address = session.get(StudentAddress, email.lower())
    if address is None:
        session.add(StudentAddress(email=email.lower(), student_id=student.id))
    else:
        address.student_id = student.id
    session.flush()


def find_student(session: Session, ref: str) -> Student:
    """A roster student by id, e-mail, or name (any spelling the name key accepts)."""
    ref = ref.strip()
    if ref.isdigit():
        found = session.get(Student, int(ref))
        if found is not None:
            return found
    if "@" in ref:
        by_email = session.scalar(
            select(Student).join(StudentAddress).where(StudentAddress.email == ref.lower())
        )
        if by_email is not None:
            return by_email
    matches = list(session.scalars(select(Student).where(Student.name_key == name_key(ref))))
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(str(s.id) for s in matches)
        raise NotFound(f"{len(matches)} roster students match {ref!r} (ids {ids}): use the id")
    raise NotFound(f"no roster student matches {ref!r} (see `tdl-inbox roster`)")


def students(session: Session) -> Iterable[Student]:
    return session.scalars(select(Student).order_by(Student.name, Student.id))


def addresses_of(session: Session, student_id: int) -> list[str]:
    query = select(StudentAddress.email).where(StudentAddress.student_id == student_id)
    return sorted(session.scalars(query))


@dataclass(frozen=True)
class RosterEntry:
    id: int
    name: str
    email: str | None
    group: str | None
    mipt: bool
    addresses: list[str]


def roster_entries(session: Session) -> list[RosterEntry]:
    """Every roster student with the addresses known to be theirs."""
    return [
        RosterEntry(s.id, s.name, s.email, s.group, s.mipt, addresses_of(session, s.id))
        for s in students(session)
    ]


@dataclass(frozen=True)
class LinkedAddress:
    student_id: int
    student: str
    relinked: int
    """How many submissions from the address were linked again."""


def link_sender(session: Session, email: str, student_ref: str) -> LinkedAddress:
    """Record that ``email`` belongs to a roster student and re-link its submissions."""
    found = find_student(session, student_ref)
    link_address(session, email, found)
    return LinkedAddress(found.id, found.name, relink_all(session, sender=email))
