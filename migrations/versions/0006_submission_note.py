"""submission note; name keys recomputed for more spellings

``submission.note`` keeps what a subject said about the version after the name (``v2``,
``(исправленная версия)``), which is no longer part of the student's name: names already
recorded with such a note are split the same way (downgrade puts the note back in brackets).

The name key now matches more romanisations of Russian names (``Vasilieva`` and
``Васильева``). Keys are stored, so they are recomputed: ``student.name_key`` from the name,
the ``n:`` owners of submissions and extensions from the name they keep, and exam results'
``n:`` owners through the owners those map to (an exam result whose old owner no submission or
extension had keeps it). When two rows now share an owner where one is allowed, the newer
stays. Both key rules are frozen here as they were at this revision, so this migration does
the same whatever the code does later. Submissions that now match a roster student by name
are linked by the next ``roster import`` or ``roster link`` (linking needs the roster rules).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 16:40:00
"""

import hashlib
import re
import unicodedata
from collections.abc import Callable, Sequence

import sqlalchemy as sa
from alembic import op
from anyascii import anyascii

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SPACES = re.compile(r"\s+")
_NOT_LETTER = re.compile(r"[^a-z]+")
_DOUBLE = re.compile(r"(.)\1+")

_OLD_VARIANTS: tuple[tuple[str, str], ...] = (
    ("x", "ks"),
    ("shch", "sh"),
    ("sch", "sh"),
    ("kh", "h"),
    ("tz", "c"),
    ("ts", "c"),
    ("zh", "j"),
    ("iy", "i"),
    ("ii", "i"),
    ("yi", "i"),
    ("ij", "i"),
    ("yo", "e"),
    ("jo", "e"),
    ("ye", "e"),
    ("je", "e"),
    ("yu", "u"),
    ("ju", "u"),
    ("iu", "u"),
    ("ya", "a"),
    ("ja", "a"),
    ("ia", "a"),
    ("y", "i"),
)
_NEW_SPELLINGS: tuple[tuple[str, str], ...] = (
    ("x", "ks"),
    ("w", "v"),
    ("ph", "f"),
    ("tsch", "ch"),
    ("tch", "ch"),
    ("shch", "sh"),
    ("sch", "sh"),
    ("dzh", "dJ"),
    ("dj", "dJ"),
    ("zh", "J"),
    ("kh", "h"),
    ("tz", "c"),
    ("ts", "c"),
    ("tc", "c"),
    ("j", "i"),
    ("y", "i"),
)
_NEW_SOUNDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"i[eo]"), "e"),
    (re.compile(r"(?<=[bcdfghklmnpqrstvzJ])iu"), "u"),
    (re.compile(r"ander$"), "andr"),
)


def _ascii_word(word: str) -> str:
    word = word.replace("ё", "е").replace("Ё", "Е")
    return _NOT_LETTER.sub("", anyascii(word).lower())


def _old_skeleton(word: str) -> str:
    ascii_word = _ascii_word(word)
    for variant, canonical in _OLD_VARIANTS:
        ascii_word = ascii_word.replace(variant, canonical)
    return _DOUBLE.sub(r"\1", ascii_word)


def _new_skeleton(word: str) -> str:
    ascii_word = _ascii_word(word)
    for spelling, canonical in _NEW_SPELLINGS:
        ascii_word = ascii_word.replace(spelling, canonical)
    ascii_word = _DOUBLE.sub(r"\1", ascii_word)
    for pattern, canonical in _NEW_SOUNDS:
        ascii_word = pattern.sub(canonical, ascii_word)
    return _DOUBLE.sub(r"\1", ascii_word)


def _key_rule(skeleton: Callable[[str], str]) -> Callable[[str], str]:
    def name_key(name: str) -> str:
        tidy = _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()
        words = [skeleton(w) for w in re.split(r"[\s\-]+", tidy)]
        return " ".join(sorted(w for w in words if w))

    return name_key


def _owner_rule(name_key: Callable[[str], str]) -> Callable[[str], str]:
    def owner_of_name(name: str) -> str:
        key = name_key(name)
        if len(key) > 250:
            key = key[:200] + "~" + hashlib.sha256(key.encode()).hexdigest()[:32]
        return f"n:{key}"

    return owner_of_name


# The subject grammar's note rule as it was at this revision.
_VERSION_MARK = (
    r"(?:v|ver|vers|version|в|вер|верс|версия|attempt|try|попытка|вариант)\.? ?№? ?\d{1,3}"
    r"(?:\.\d{1,3})?"
    r"|(?:\d{1,3}(?:st|nd|rd|th|-?я|-?ая)?|second|third|вторая|третья) (?:version|версия)"
    r"|(?:final|finally|fixed|fix|corrected|correction|updated|update|revised|resubmission"
    r"|resubmitted|resubmit|new version|final version|fixed version|updated version"
    r"|corrected version|исправлено|исправлена|исправлен|исправленное|исправленная"
    r"|исправленный|исправление|исправления|исправленная версия|исправленный вариант"
    r"|исправленная работа|новая версия|новый вариант|обновлено|обновлённая версия"
    r"|обновленная версия|финал|финальная версия|финальный вариант|окончательная версия"
    r"|окончательный вариант|доработано|доработанная версия|доработанный вариант|повторно"
    r"|повторная отправка|пересдача|переотправка)"
)
_NOTE_GLUE = " ,;:.!_/|-‐‑‒–—―−"
_MAX_NOTES = 4
_NOTE_WINDOW = 160
_TRAILING_BRACKETS = re.compile(
    r"(?<=[\s,;:_/|\-‐‑‒–—―−])[(\[{（【]([^()\[\]{}（）【】]{0,120})[)\]}）】][\s.,;:!_\-‐‑‒–—―−]*$"
)
_TRAILING_MARK = re.compile(
    r"(?:(?<=[\s,;:_/|\-‐‑‒–—―−])|^)(" + _VERSION_MARK + r")[\s.,;:!_\-‐‑‒–—―−]*$",
    re.IGNORECASE,
)


def _split_note(name: str) -> tuple[str, str | None]:
    notes: list[str] = []
    for _ in range(_MAX_NOTES):
        offset = max(len(name) - _NOTE_WINDOW, 0)
        tail = name[offset:]
        found = _TRAILING_BRACKETS.search(tail) or _TRAILING_MARK.search(tail)
        if found is None:
            break
        remaining = name[: offset + found.start()].rstrip(_NOTE_GLUE)
        if not any(char.isalpha() for char in remaining):
            break
        note = " ".join(found.group(1).strip(_NOTE_GLUE).split())
        if note:
            notes.insert(0, note)
        name = remaining
    return name, " ".join(notes) or None


def _split_recorded_names() -> None:
    bind = op.get_bind()
    for submission_id, student in bind.execute(
        sa.text("SELECT id, student FROM submission WHERE note IS NULL")
    ).fetchall():
        name, note = _split_note(student)
        if note is not None:
            bind.execute(
                sa.text("UPDATE submission SET student = :name, note = :note WHERE id = :id"),
                {"name": name, "note": note[:1000], "id": submission_id},
            )


def _join_recorded_names() -> None:
    bind = op.get_bind()
    for submission_id, student, note in bind.execute(
        sa.text("SELECT id, student, note FROM submission WHERE note IS NOT NULL")
    ).fetchall():
        bind.execute(
            sa.text("UPDATE submission SET student = :name WHERE id = :id"),
            {"name": f"{student} ({note})"[:255], "id": submission_id},
        )


def _rekey(name_key: Callable[[str], str]) -> None:
    bind = op.get_bind()
    owner_of_name = _owner_rule(name_key)
    for student_id, name in bind.execute(sa.text("SELECT id, name FROM student")).fetchall():
        bind.execute(
            sa.text("UPDATE student SET name_key = :key WHERE id = :id"),
            {"key": name_key(name), "id": student_id},
        )
    renamed: dict[str, str] = {}
    rows = bind.execute(
        sa.text("SELECT id, student, owner FROM submission WHERE owner LIKE 'n:%'")
    ).fetchall()
    for submission_id, student, owner in rows:
        new = owner_of_name(student)
        renamed[owner] = new
        if new != owner:
            bind.execute(
                sa.text("UPDATE submission SET owner = :owner WHERE id = :id"),
                {"owner": new, "id": submission_id},
            )
    rows = bind.execute(
        sa.text(
            "SELECT id, student, owner, assignment FROM extension WHERE owner LIKE 'n:%' "
            "ORDER BY granted_at DESC, id DESC"
        )
    ).fetchall()
    for extension_id, student, owner, assignment in rows:
        new = owner_of_name(student)
        renamed.setdefault(owner, new)
        if new == owner:
            continue
        taken = bind.execute(
            sa.text("SELECT id FROM extension WHERE owner = :owner AND assignment = :assignment"),
            {"owner": new, "assignment": assignment},
        ).first()
        if taken is not None:  # rows come newest first: the one already there is newer
            bind.execute(sa.text("DELETE FROM extension WHERE id = :id"), {"id": extension_id})
        else:
            bind.execute(
                sa.text("UPDATE extension SET owner = :owner WHERE id = :id"),
                {"owner": new, "id": extension_id},
            )
    rows = bind.execute(
        sa.text(
            "SELECT owner FROM exam_result WHERE owner LIKE 'n:%' "
            "ORDER BY recorded_at DESC, owner DESC"
        )
    ).fetchall()
    for (owner,) in rows:
        new = renamed.get(owner, owner)
        if new == owner:
            continue
        taken = bind.execute(
            sa.text("SELECT owner FROM exam_result WHERE owner = :owner"), {"owner": new}
        ).first()
        if taken is not None:
            bind.execute(sa.text("DELETE FROM exam_result WHERE owner = :owner"), {"owner": owner})
        else:
            bind.execute(
                sa.text("UPDATE exam_result SET owner = :new WHERE owner = :old"),
                {"new": new, "old": owner},
            )


def upgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("note", sa.Text(), nullable=True))
    _split_recorded_names()
    _rekey(_key_rule(_new_skeleton))


def downgrade() -> None:
    _join_recorded_names()
    _rekey(_key_rule(_old_skeleton))
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("note")
