"""Migration 0006: stored name keys follow the new spelling rule; notes have a column."""

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import select, text

from tdl_inbox.adapters.db.engine import make_engine
from tdl_inbox.adapters.db.migrate import _alembic_config, upgrade
from tdl_inbox.adapters.db.models import ExamResult, Extension, Student, Submission
from tdl_inbox.domain.names import name_key
from tdl_inbox.services.grading.roster import owner_of_name

T = datetime(2026, 3, 1, tzinfo=UTC)
# Keys as the rule before 0006 computed them.
OLD_VASILIEVA = "n:ekaterina vasilieva"
OLD_VASILEVA = "n:ekaterina vasileva"


def test_upgrade_recomputes_stored_name_keys(database_url):
    engine = make_engine(database_url)
    try:
        command.upgrade(_alembic_config(engine), "0005")
        with engine.begin() as db:
            db.execute(
                text(
                    "INSERT INTO student (id, name, name_key, mipt) "
                    "VALUES (1, 'Екатерина Васильева', 'ekaterina vasileva', true)"
                )
            )
            db.execute(
                text(
                    "INSERT INTO message (id, folder, uidvalidity, uid, raw_sha256, size, "
                    "arrived_at, recorded_at) VALUES (1, 'INBOX', 1, 1, 'x', 1, :t, :t)"
                ),
                {"t": T},
            )
            db.execute(
                text(
                    "INSERT INTO submission (id, message_pk, assignment, student, owner, "
                    "link_manual, chosen, arrived_at, deadline, late, late_by_seconds, "
                    "delivery_delay_suspected) VALUES (1, 1, 'theory-1', "
                    "'Ekaterina Vasilieva', :owner, false, false, :t, :t, false, 0, false)"
                ),
                {"owner": OLD_VASILIEVA, "t": T},
            )
            for owner, student, granted in (
                (OLD_VASILIEVA, "Ekaterina Vasilieva", T),
                (OLD_VASILEVA, "Екатерина Васильева", T.replace(day=2)),
            ):
                db.execute(
                    text(
                        "INSERT INTO extension (owner, student, assignment, until, granted_at) "
                        "VALUES (:owner, :student, 'theory-1', :t, :granted)"
                    ),
                    {"owner": owner, "student": student, "t": T, "granted": granted},
                )
            db.execute(
                text("INSERT INTO exam_result (owner, points, recorded_at) VALUES (:o, 7, :t)"),
                {"o": OLD_VASILIEVA, "t": T},
            )
        upgrade(engine)
        new_owner = owner_of_name("Екатерина Васильева")
        with engine.connect() as db:
            assert db.scalar(select(Student.name_key)) == name_key("Ekaterina Vasilieva")
            assert db.execute(select(Submission.owner, Submission.note)).one() == (new_owner, None)
            # The two extensions are now one student's: the newer one stays.
            assert db.execute(select(Extension.owner, Extension.granted_at)).all() == [
                (new_owner, T.replace(day=2))
            ]
            assert db.execute(select(ExamResult.owner, ExamResult.points)).all() == [(new_owner, 7)]
    finally:
        engine.dispose()


def _insert_submission(db, submission_id: int, student: str, owner: str) -> None:
    db.execute(
        text(
            "INSERT INTO message (id, folder, uidvalidity, uid, raw_sha256, size, "
            "arrived_at, recorded_at) VALUES (:id, 'INBOX', 1, :id, 'x', 1, :t, :t)"
        ),
        {"id": submission_id, "t": T},
    )
    db.execute(
        text(
            "INSERT INTO submission (id, message_pk, assignment, student, owner, "
            "link_manual, chosen, arrived_at, deadline, late, late_by_seconds, "
            "delivery_delay_suspected) VALUES (:id, :id, 'theory-1', :student, :owner, "
            "false, false, :t, :t, false, 0, false)"
        ),
        {"id": submission_id, "student": student, "owner": owner, "t": T},
    )


def test_names_recorded_with_a_note_are_split_and_joined_back_on_downgrade(database_url):
    engine = make_engine(database_url)
    try:
        config = _alembic_config(engine)
        command.upgrade(config, "0005")
        with engine.begin() as db:
            _insert_submission(db, 1, "Мария Сидорова", "n:plain")
            _insert_submission(db, 2, "Мария Сидорова (исправленная версия)", "n:with-note")
            _insert_submission(db, 3, "=HYPERLINK(1)", "n:formula")
        upgrade(engine)
        owner = owner_of_name("Мария Сидорова")
        with engine.connect() as db:
            rows = db.execute(
                select(Submission.student, Submission.note, Submission.owner).order_by(
                    Submission.id
                )
            ).all()
        assert rows == [
            ("Мария Сидорова", None, owner),
            ("Мария Сидорова", "исправленная версия", owner),
            ("=HYPERLINK(1)", None, owner_of_name("=HYPERLINK(1)")),
        ]
        command.downgrade(config, "0005")
        with engine.connect() as db:
            students = db.scalars(text("SELECT student FROM submission ORDER BY id")).all()
        assert students == [
            "Мария Сидорова",
            "Мария Сидорова (исправленная версия)",
            "=HYPERLINK(1)",
        ]
    finally:
        engine.dispose()
