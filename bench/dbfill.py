"""Build a tdl-inbox database directly: bulk INSERTs into a migrated SQLite file.

Shaped like a big course: students with addresses (the roster), several versions per
(student, assignment), about 15% late, 5% unlinked to the roster (flagged), half of the
counting versions graded, some regraded, a few live claims, some rejected messages.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import Engine, insert

from bench.mail import assignment_keys, deadline_utc, student_email, student_name

CHUNK = 10_000


def migrated_engine(path: Path) -> Engine:
    from tdl_inbox.adapters.db.engine import make_engine
    from tdl_inbox.adapters.db.migrate import upgrade

    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    return engine


def populate(
    engine: Engine,
    submissions: int,
    students: int,
    *,
    folder: str = "INBOX",
    uidvalidity: int = 1,
    uids: Sequence[int] | None = None,
    rejected_share: float = 0.02,
    seed: int = 6,
) -> dict[str, int]:
    """Insert ``submissions`` submissions (plus rejected messages, which take ``uids`` too)."""
    from tdl_inbox.adapters.db.models import (
        Attachment,
        Claim,
        FolderState,
        Grade,
        Message,
        Rejection,
        Student,
        StudentAddress,
        Submission,
    )
    from tdl_inbox.domain.names import name_key

    rng = random.Random(seed)
    keys = assignment_keys()
    now = datetime(2019, 6, 1, tzinfo=UTC)
    n_rejected = int(submissions * rejected_share)
    total = submissions + n_rejected
    if uids is None:
        uids = range(1, total + 1)
    if len(uids) < total:
        raise ValueError(f"{len(uids)} uids for {total} messages")
    student_rows = [
        {
            "id": i + 1,
            "name": student_name(i),
            "name_key": name_key(student_name(i)),
            "email": student_email(i),
            "group": f"B0{i % 9}-{i % 7}",
            "mipt": i % 50 != 0,
        }
        for i in range(students)
    ]
    address_rows = [{"email": r["email"], "student_id": r["id"]} for r in student_rows]
    messages, subs, attachments, rejections = [], [], [], []
    order = list(range(total))
    rng.shuffle(order)
    rejected_at = set(order[:n_rejected])
    sub_id = 0
    for n in range(total):
        message_id = n + 1
        student = rng.randrange(students)
        key = rng.choice(keys)
        deadline = deadline_utc(key)
        late = rng.random() < 0.15
        if late:
            arrived = deadline + timedelta(seconds=rng.randrange(60, 5 * 86400))
        else:
            arrived = deadline - timedelta(seconds=rng.randrange(0, 14 * 86400))
        digest = f"{rng.getrandbits(256):064x}"
        messages.append(
            {
                "id": message_id,
                "folder": folder,
                "uidvalidity": uidvalidity,
                "uid": uids[n],
                "provider_id": None,
                "message_id": f"<bench-{message_id}@phystech.edu>",
                "raw_sha256": digest,
                "size": 50_000,
                "arrived_at": arrived,
                "sent_at": arrived - timedelta(seconds=30),
                "subject": f"{key} - {student_name(student)}",
                "sender": student_email(student),
                "sender_name": student_name(student),
                "defects": None,
                "possible_duplicate_of": None,
                "recorded_at": now,
            }
        )
        if n in rejected_at:
            rejections.append({"message_pk": message_id, "reason": "no assignment in the subject"})
            continue
        sub_id += 1
        linked = rng.random() >= 0.05
        owner = f"s:{student + 1}" if linked else f"n:{name_key(student_name(student))}"
        subs.append(
            {
                "id": sub_id,
                "message_pk": message_id,
                "assignment": key,
                "student": student_name(student),
                "student_id": student + 1 if linked else None,
                "owner": owner,
                "link_flag": None if linked else "neither sender nor name is in the roster",
                "link_manual": False,
                "chosen": False,
                "arrived_at": arrived,
                "deadline": deadline,
                "late": late,
                "late_by_seconds": int((arrived - deadline).total_seconds()) if late else 0,
                "delivery_delay_suspected": False,
            }
        )
        attachments.append(
            {
                "message_pk": message_id,
                "position": 0,
                "filename": f"solution-{key}.pdf",
                "content_type": "application/pdf",
                "size": 36_000,
                "sha256": f"{rng.getrandbits(256):064x}",
            }
        )
    # Grades: about half of the (assignment, owner) groups graded on their newest version,
    # a tenth of those regraded; a few live claims.
    newest: dict[tuple[str, str], tuple[datetime, int]] = {}
    for s in subs:
        group = (s["assignment"], s["owner"])
        if group not in newest or (s["arrived_at"], s["id"]) > newest[group]:
            newest[group] = (s["arrived_at"], s["id"])
    grades, claims = [], []
    for _group, (_when, sid) in sorted(newest.items()):
        draw = rng.random()
        if draw < 0.5:
            grades.append(
                {
                    "submission_id": sid,
                    "points": rng.randrange(0, 11),
                    "extra": 0.0,
                    "comment": None,
                    "grader": "grader-1",
                    "graded_at": now,
                }
            )
            if rng.random() < 0.1:
                grades.append(
                    {
                        "submission_id": sid,
                        "points": 10.0,
                        "extra": 1.0,
                        "comment": "regraded",
                        "grader": "grader-2",
                        "graded_at": now,
                    }
                )
        elif draw < 0.52:
            claims.append(
                {
                    "submission_id": sid,
                    "grader": "grader-3",
                    "claimed_at": now,
                    "expires_at": now + timedelta(days=3650),
                }
            )
    with engine.begin() as connection:
        for model, rows in (
            (Student, student_rows),
            (StudentAddress, address_rows),
            (Message, messages),
            (Submission, subs),
            (Attachment, attachments),
            (Rejection, rejections),
            (Grade, grades),
            (Claim, claims),
        ):
            for start in range(0, len(rows), CHUNK):
                connection.execute(insert(model), rows[start : start + CHUNK])
        connection.execute(
            insert(FolderState),
            [
                {
                    "folder": folder,
                    "uidvalidity": uidvalidity,
                    "last_uid": max(uids[:total]),
                    "uidvalidity_changes": 0,
                    "updated_at": now,
                }
            ],
        )
        connection.exec_driver_sql("ANALYZE")
    return {
        "students": students,
        "submissions": len(subs),
        "rejected": len(rejections),
        "grades": len(grades),
        "claims": len(claims),
    }
