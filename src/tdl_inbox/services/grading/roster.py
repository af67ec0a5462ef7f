"""The roster and who each submission belongs to.

A submission is linked to a roster student by its sender address first, then by the name in
its subject. When the two disagree, or neither is in a non-empty roster, the submission is
flagged for the admin and keyed by the name as written: never attached to a guess.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import (
    ExamResult,
    Extension,
    Message,
    Student,
    StudentAddress,
    Submission,
)
from tdl_inbox.domain.names import display_name, name_key
from tdl_inbox.errors import NotFound, TdlInboxError
from tdl_inbox.services import audit
from tdl_inbox.services.grading.csv_input import read_table

MAX_OWNER_KEY = 250
"""Owner columns are VARCHAR(300); longer name keys are shortened and made unique by a digest."""
TRUE_WORDS = {"1", "true", "yes", "y", "да", "+"}
FALSE_WORDS = {"0", "false", "no", "n", "нет", "-"}


@dataclass(frozen=True)
class Link:
    student_id: int | None
    owner: str
    flag: str | None


STUDENT_OWNER = "s:"
"""How the owner key of a roster student's versions begins (unlinked ones: ``n:``)."""


def owner_of_student(student_id: int) -> str:
    return f"{STUDENT_OWNER}{student_id}"


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


def import_roster(session: Session, text: str, *, actor: str, now: datetime) -> tuple[int, int]:
    """Add or update students from CSV text (comma, semicolon or tab separated); returns
    (added, updated). Matches on e-mail, then on the name of a student without one."""
    table = read_table(text, "roster", [("name",), ("email",)])
    added = updated = 0
    for line, row in table.rows:
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
    audit.record(
        session,
        actor=actor,
        action="roster import",
        now=now,
        details={"added": added, "updated": updated},
    )
    return added, updated


def add_student(
    session: Session,
    name: str,
    email: str,
    group: str | None,
    mipt: bool,
    *,
    actor: str,
    now: datetime,
) -> tuple[Student, int]:
    """Add one student (e.g. one who joined late); returns the student and how many
    submissions now belong to them. Refuses an address that is already someone's."""
    name, email = display_name(name), email.strip().lower()
    if not any(char.isalpha() for char in name):
        raise TdlInboxError(f"{name!r} is not a name")
    if "@" not in email or any(char.isspace() for char in email):
        raise TdlInboxError(f"{email!r} is not an e-mail address")
    owner = session.scalar(
        select(Student).join(StudentAddress).where(StudentAddress.email == email)
    )
    if owner is not None:
        raise TdlInboxError(f"{email} already belongs to {owner.name} (id {owner.id})")
    # A student imported without an address gets this one rather than a namesake.
    student = session.scalar(
        select(Student).where(Student.name_key == name_key(name), Student.email.is_(None))
    )
    if student is None:
        student = Student()
        session.add(student)
    student.name, student.name_key = name, name_key(name)
    student.email, student.group, student.mipt = email, group or student.group, mipt
    session.flush()
    link_address(session, email, student)
    relink_all(session)
    linked = session.scalar(
        select(func.count()).select_from(Submission).where(Submission.student_id == student.id)
    )
    audit.record(
        session,
        actor=actor,
        action="roster add",
        now=now,
        details={"student_id": student.id, "student": name, "email": email, "group": group},
    )
    return student, linked or 0


@dataclass(frozen=True)
class Removal:
    student: Student
    submissions: int
    """Submissions that belonged to the student and are now keyed by the name they give."""
    kept: int
    """Exam results and extensions now kept under the student's name."""


def remove_student(
    session: Session, ref: str, force: bool, *, actor: str, now: datetime
) -> Removal:
    """Remove a roster student (e.g. added by mistake or left the course).

    A student with linked submissions, an exam result or extensions is refused unless
    ``force``: then their submissions go back to being keyed by the name in their subject
    (their grades stay on them) and the exam result and extensions move to the student's
    name, so nothing recorded is lost.
    """
    student = find_student(session, ref)
    owner = owner_of_student(student.id)
    linked = list(session.scalars(select(Submission).where(Submission.student_id == student.id)))
    exam = session.get(ExamResult, owner)
    extensions = list(session.scalars(select(Extension).where(Extension.owner == owner)))
    if (linked or exam or extensions) and not force:
        parts = [
            f"{len(linked)} submissions" if linked else "",
            "an exam result" if exam else "",
            f"{len(extensions)} extensions" if extensions else "",
        ]
        raise TdlInboxError(
            f"{student.name} (id {student.id}) has {', '.join(p for p in parts if p)}: "
            "use --force to remove them from the roster anyway (nothing recorded is deleted)"
        )
    audit.record(
        session,
        actor=actor,
        action="roster remove",
        now=now,
        details={
            "student_id": student.id,
            "student": student.name,
            "email": student.email,
            "forced": force,
            "submissions": len(linked),
        },
    )
    by_name = owner_of_name(student.name)
    if exam is not None:
        if session.get(ExamResult, by_name) is None:
            session.add(ExamResult(owner=by_name, points=exam.points, recorded_at=exam.recorded_at))
        session.delete(exam)
    for extension in extensions:
        clash = session.scalar(
            select(Extension).where(
                Extension.owner == by_name, Extension.assignment == extension.assignment
            )
        )
        if clash is None:
            extension.owner = by_name
        else:
            session.delete(extension)
    for submission in linked:
        submission.student_id, submission.link_manual = None, False
    session.execute(delete(StudentAddress).where(StudentAddress.student_id == student.id))
    session.flush()
    session.delete(student)
    session.flush()
    for submission, sender in session.execute(
        select(Submission, Message.sender)
        .join(Message, Submission.message_pk == Message.id)
        .where(Submission.id.in_([s.id for s in linked]))
    ).all():
        apply_link(session, submission, sender)
    return Removal(student, len(linked), (exam is not None) + len(extensions))


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
    known: dict[int, list[str]] = {}
    query = select(StudentAddress.student_id, StudentAddress.email)
    for student_id, email in session.execute(query):  # one query, not one per student
        known.setdefault(student_id, []).append(email)
    return [
        RosterEntry(s.id, s.name, s.email, s.group, s.mipt, sorted(known.get(s.id, [])))
        for s in students(session)
    ]


def roster_names(session: Session) -> list[str]:
    """The roster's names, for a form to suggest."""
    return list(session.scalars(select(Student.name).order_by(Student.name, Student.id)))


@dataclass(frozen=True)
class LinkedAddress:
    student_id: int
    student: str
    relinked: int
    """How many submissions from the address were linked again."""


def link_sender(
    session: Session, email: str, student_ref: str, *, actor: str, now: datetime
) -> LinkedAddress:
    """Record that ``email`` belongs to a roster student and re-link its submissions."""
    found = find_student(session, student_ref)
    link_address(session, email, found)
    linked = LinkedAddress(found.id, found.name, relink_all(session, sender=email))
    audit.record(
        session,
        actor=actor,
        action="roster link",
        now=now,
        details={
            "email": email.lower(),
            "student_id": found.id,
            "student": found.name,
            "relinked": linked.relinked,
        },
    )
    return linked
