"""What a re-read config changes, and whether the running daemon may apply it."""

from __future__ import annotations

from typing import Any

import pytest

from tdl_inbox.config.schema import Settings
from tdl_inbox.reload import compare


def settings(**sections: dict[str, Any]) -> Settings:
    raw: dict[str, Any] = {
        "mailbox": {"username": "course@example.org", "password_env": "X"},
        "assignment": [
            {"kind": "theory", "number": 1, "published": "2019-02-23", "max_points": 10}
        ],
    }
    for name, values in sections.items():
        if isinstance(raw.get(name), dict):
            raw[name] = {**raw[name], **values}
        else:
            raw[name] = values
    return Settings.model_validate(raw)


def test_the_same_config_changes_nothing():
    change = compare(settings(), settings())
    assert not change.any
    assert change.needs_restart == ()
    assert not change.assignments_changed


@pytest.mark.parametrize(
    ("section", "values", "key"),
    [
        ("database", {"url": "sqlite:///elsewhere.db"}, "database.url"),
        ("storage", {"dir": "/srv/other-store"}, "storage.dir"),
        ("mailbox", {"folder": "Homework"}, "mailbox.folder"),
    ],
)
def test_what_only_a_restart_applies_is_named(section, values, key):
    change = compare(settings(), settings(**{section: values}))
    assert change.needs_restart == (key,)


def test_a_new_assignment_a_moved_deadline_or_a_new_alias_are_assignment_changes():
    old = settings()
    added = settings(
        assignment=[
            {"kind": "theory", "number": 1, "published": "2019-02-23", "max_points": 10},
            {"kind": "lab", "number": 1, "published": "2019-03-07", "max_points": 10},
        ]
    )
    moved = settings(
        assignment=[
            {
                "kind": "theory",
                "number": 1,
                "published": "2019-02-23",
                "max_points": 10,
                "deadline": "2019-03-20",
            }
        ]
    )
    alias = settings(course={"kind_aliases": {"теор": "theory"}})
    for new in (added, moved, alias):
        change = compare(old, new)
        assert change.assignments_changed
        assert change.needs_restart == ()


def test_schedule_changes_are_told_apart_from_the_rest():
    old = settings()
    assert compare(old, settings(mailbox={"poll_interval_seconds": 30})).poll_interval_changed
    assert compare(old, settings(reports={"cron": "0 8 * * *"})).report_schedule_changed
    assert compare(old, settings(backup={"cron": "0 3 * * *", "dir": "b"})).backup_schedule_changed
    assert compare(old, settings(alerts={"ping_url": "https://hc.example/x"})).ping_url_changed
    # The crons run in the course's zone.
    zone = compare(old, settings(course={"timezone": "UTC"}))
    assert zone.report_schedule_changed
    assert zone.backup_schedule_changed
    receipts = compare(old, settings(receipts={"language": "ru"}))
    assert receipts.any
    assert not receipts.poll_interval_changed
    assert not receipts.report_schedule_changed
    assert not receipts.backup_schedule_changed
    assert not receipts.ping_url_changed
    assert not receipts.assignments_changed
    assert receipts.needs_restart == ()
