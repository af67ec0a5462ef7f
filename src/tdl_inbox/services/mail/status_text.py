"""What a status reply says, in English and Russian. Plain text, like receipts."""

from __future__ import annotations

from tdl_inbox.services.mail.receipt_text import Language

STATUS_TEXTS: dict[Language, dict[str, str]] = {
    "en": {
        "intro": "Status for {student} ({address}). Times are course time ({zone}).",
        "assignment": "{assignment}:",
        "version": "  version {version}: arrived {arrived}, {verdict}",
        "on_time": "ON TIME",
        "late": "LATE by {late_by}",
        "counts": " - counts for grading",
        "grade": "  grade: {points} of {max_points}",
        "grade_extra": "  grade: {points} of {max_points}, plus {extra} extra",
        "extension": "  extension: deadline moved to {until}",
        "nothing": "Nothing is recorded for you yet.",
        "not_linked": (
            "The address {address} is not linked to a student of this course, so there is no "
            "status to show. Ask for a status from the address the course staff have for you, "
            "or ask them to link this one."
        ),
    },
    "ru": {
        "intro": "Статус: {student} ({address}). Время указано по часовому поясу курса ({zone}).",
        "assignment": "{assignment}:",
        "version": "  версия {version}: получена {arrived}, {verdict}",
        "on_time": "ВОВРЕМЯ",
        "late": "С ОПОЗДАНИЕМ на {late_by}",
        "counts": " - учитывается для оценки",
        "grade": "  оценка: {points} из {max_points}",
        "grade_extra": "  оценка: {points} из {max_points}, дополнительные баллы: {extra}",
        "extension": "  продление: дедлайн перенесён на {until}",
        "nothing": "Для вас пока ничего не записано.",
        "not_linked": (
            "Адрес {address} не привязан ни к одному студенту курса, поэтому статус показать "
            "нельзя. Запросите статус с адреса, который есть у преподавателей, или попросите "
            "их привязать этот адрес."
        ),
    },
}
