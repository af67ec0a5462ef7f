"""What grade mails say, in English and Russian (``receipts.language``). Plain text."""

from __future__ import annotations

from tdl_inbox.services.mail.receipt_text import Language

FEEDBACK_TEXTS: dict[Language, dict[str, str]] = {
    "en": {
        "subject": "Your grade for {assignment}",
        "subject_update": "Your grade for {assignment} changed",
        "subject_kept": "Your regrade request for {assignment}",
        "greeting": "Hello,",
        "grade": "Your grade for {assignment}: {points} of {max_points} points.",
        "changed": (
            "Your grade for {assignment} changed from {old} to {new} (of {max_points} points)."
        ),
        "kept": (
            "The grader looked at your regrade request for {assignment} again: the grade stays "
            "{points} of {max_points} points."
        ),
        "extra": "Extra points: {extra}.",
        "comment": "Comment: {comment}",
        "grader": "Graded by: {grader}",
        "standing": "Your standing so far (published grades):",
        "standing_line": "  {assignment}: {points} of {max_points}",
        "standing_extra": "  extra points: {extra}",
        "p_hw": (
            "Homework share (p_hw): {p_hw} = {points} of {possible} possible points of all "
            "assignments, extra points included."
        ),
        "reply_hint": (
            "If you think the grade is wrong, reply to this email and say why: the grader "
            "will look at it again."
        ),
        "regrade_received": (
            "Your regrade request for {assignment} was recorded and passed to the grader. "
            "The answer comes by email when grades are next published."
        ),
        "signature": "-- \nThis is an automatic message from the {course} submission system.",
    },
    "ru": {
        "subject": "Оценка за {assignment}",
        "subject_update": "Оценка за {assignment} изменилась",
        "subject_kept": "Ваша просьба о перепроверке {assignment}",
        "greeting": "Здравствуйте!",
        "grade": "Ваша оценка за {assignment}: {points} из {max_points}.",
        "changed": (
            "Ваша оценка за {assignment} изменилась: было {old}, стало {new} (из {max_points})."
        ),
        "kept": (
            "Проверяющий рассмотрел вашу просьбу о перепроверке {assignment}: оценка остаётся "
            "прежней, {points} из {max_points}."
        ),
        "extra": "Дополнительные баллы: {extra}.",
        "comment": "Комментарий: {comment}",
        "grader": "Проверяющий: {grader}",
        "standing": "Ваши результаты на сегодня (опубликованные оценки):",
        "standing_line": "  {assignment}: {points} из {max_points}",
        "standing_extra": "  дополнительные баллы: {extra}",
        "p_hw": (
            "Доля баллов за домашние задания (p_hw): {p_hw} = {points} из {possible} возможных "
            "по всем заданиям, с учётом дополнительных баллов."
        ),
        "reply_hint": (
            "Если вы считаете, что оценка неверна, ответьте на это письмо и объясните почему: "
            "проверяющий посмотрит работу ещё раз."
        ),
        "regrade_received": (
            "Ваша просьба о перепроверке {assignment} записана и передана проверяющему. "
            "Ответ придёт письмом при следующей публикации оценок."
        ),
        "signature": "-- \nЭто автоматическое письмо системы приёма заданий курса {course}.",
    },
}


def number(value: float, language: Language) -> str:
    """Points as people write them: 7, 7.5 (7,5 in Russian)."""
    text = f"{value:g}"
    return text.replace(".", ",") if language == "ru" else text
