"""What receipts say, in English and Russian. Plain text: every mail client shows it right."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from tdl_inbox.domain.lateness import duration_parts
from tdl_inbox.domain.rejections import ENGLISH, Reason, ReasonCode

Language = Literal["en", "ru"]

TEXTS: dict[Language, dict[str, str]] = {
    "en": {
        "subject_prefix": "Re: ",
        "greeting": "Hello,",
        "recorded": "Your email was recorded as {assignment} by {student}.",
        "follow_up": (
            "This replaces our earlier reply, which said your email was not recorded as "
            "homework: the course staff have now recorded it."
        ),
        "note": "Your note on this version: {note}",
        "arrived": "Arrived:  {arrived} ({zone})",
        "deadline": "Deadline: {deadline} ({zone})",
        "on_time": "Verdict:  ON TIME",
        "late": "Verdict:  LATE by {late_by}",
        "delay_note": (
            "Your Date: header says {sent}, before the deadline; the admin can see this if you "
            "dispute the verdict."
        ),
        "files": "Attached files:",
        "file": "  - {name} ({size}, SHA-256 {sha256})",
        "no_files": "Attached files: none - if you meant to attach your work, send it again.",
        "counts_this": "This version now counts for grading (version {version}).",
        "counts_newer": (
            "Version {version} (received {when}) counts for grading: "
            "a newer version replaces this one."
        ),
        "counts_on_time": (
            "Version {version} (received {when}) counts for grading: "
            "a late resubmission does not replace an on-time one."
        ),
        "counts_chosen": (
            "Version {version} (received {when}) counts for grading: the course staff chose it."
        ),
        "counts_earlier": "Version {version} (received {when}) counts for grading.",
        "code": "Receipt code: {code} (quote it if you contact the course staff).",
        "rejected": "Your email was received but NOT recorded as homework: {reason}.",
        "expected": (
            'The subject must be "Theory" or "Lab", the assignment number, a dash, and your name '
            "and surname, for example:\n\n    Theory 2 - Ivan Ivanov\n    Lab 1 - Иван Иванов\n\n"
            "Please send your homework again with a subject in this form."
        ),
        "signature": "-- \nThis is an automatic reply from the {course} submission system.",
        "late_word": "late",
        "units": "d h min s",
        "no_subject": "(no subject)",
    },
    "ru": {
        "subject_prefix": "Re: ",
        "greeting": "Здравствуйте!",
        "recorded": "Ваше письмо записано как {assignment}, студент: {student}.",
        "follow_up": (
            "Это письмо заменяет наш прошлый ответ, в котором говорилось, что ваше письмо не "
            "записано как домашнее задание: теперь преподаватели его записали."
        ),
        "note": "Ваша пометка к этой версии: {note}",
        "arrived": "Получено: {arrived} ({zone})",
        "deadline": "Дедлайн:  {deadline} ({zone})",
        "on_time": "Итог:     ВОВРЕМЯ",
        "late": "Итог:     С ОПОЗДАНИЕМ на {late_by}",
        "delay_note": (
            "В заголовке Date: вашего письма указано {sent}, до дедлайна; администратор увидит "
            "это, если вы оспорите решение."
        ),
        "files": "Вложения:",
        "file": "  - {name} ({size}, SHA-256 {sha256})",
        "no_files": "Вложений нет. Если вы хотели приложить работу, отправьте письмо ещё раз.",
        "counts_this": "Для оценки теперь учитывается эта версия (версия {version}).",
        "counts_newer": (
            "Для оценки учитывается версия {version} (получена {when}): более новая версия "
            "заменяет эту."
        ),
        "counts_on_time": (
            "Для оценки учитывается версия {version} (получена {when}): пересдача после "
            "дедлайна не заменяет работу, сданную вовремя."
        ),
        "counts_chosen": (
            "Для оценки учитывается версия {version} (получена {when}): её выбрали преподаватели."
        ),
        "counts_earlier": "Для оценки учитывается версия {version} (получена {when}).",
        "code": "Код квитанции: {code} (укажите его, если будете писать преподавателям).",
        "rejected": "Ваше письмо получено, но НЕ записано как домашнее задание: {reason}.",
        "expected": (
            'Тема письма должна состоять из слова "Theory" (Теория) или "Lab" (Лаба), номера '
            "задания, дефиса, имени и фамилии, например:\n\n    Theory 2 - Ivan Ivanov\n"
            "    Лаба 1 - Иван Иванов\n\nПожалуйста, отправьте работу ещё раз с такой темой."
        ),
        "signature": "-- \nЭто автоматический ответ системы приёма заданий курса {course}.",
        "late_word": "позже",
        "units": "д ч мин с",
        "no_subject": "(без темы)",
    },
}


def local_time(moment: datetime, zone: ZoneInfo) -> str:
    """A moment as students read it: course time, to the second."""
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S")


def duration(seconds: int, language: Language) -> str:
    days_u, hours_u, minutes_u, seconds_u = TEXTS[language]["units"].split()
    days, hours, minutes, secs = duration_parts(seconds)
    parts = [(days, days_u), (hours, hours_u), (minutes, minutes_u), (secs, seconds_u)]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or f"0 {seconds_u}"


_RUSSIAN_REASONS: Mapping[ReasonCode, str] = {
    ReasonCode.EMPTY_SUBJECT: "у письма нет темы",
    ReasonCode.SUBJECT_TOO_LONG: "тема письма слишком длинная ({length} символов)",
    ReasonCode.NO_KIND: (
        "тема письма не начинается со слова Theory или Lab (Теория или Лаба), "
        "например 'Theory 2 - Иван Иванов'"
    ),
    ReasonCode.NO_NUMBER: "после «{kind}» нет номера задания",
    ReasonCode.NUMBER_OUT_OF_RANGE: "номер задания {number} слишком большой",
    ReasonCode.NO_NAME_AFTER_DASH: "после дефиса нет имени студента",
    ReasonCode.NO_NAME_AFTER_NUMBER: "после «{head}» нет имени студента",
    ReasonCode.TEXT_GLUED_TO_NUMBER: (
        "между «{head}» и «{found}» нет ни пробела, ни дефиса (нужно 'Theory 2 - Иван Иванов')"
    ),
    ReasonCode.NAME_TOO_LONG: (
        "имя студента слишком длинное ({length} символов, не больше {limit})"
    ),
    ReasonCode.UNKNOWN_ASSIGNMENT: "неизвестное задание {assignment}",
    ReasonCode.BRIDGE_PLACEHOLDER: (
        "почтовый сервер (Proton Mail Bridge) не смог расшифровать или собрать это письмо"
    ),
    ReasonCode.MESSAGE_TOO_LARGE: (
        "письмо больше допустимых {limit_mb} МБ; сохранены только его заголовки"
    ),
    ReasonCode.UNREADABLE: "письмо не удалось прочитать (техническая причина: {error})",
    ReasonCode.STATUS_REQUEST: "запрос статуса",
    ReasonCode.REGRADE_REQUEST: "это просьба о перепроверке (ответ на письмо с оценкой)",
}

REASONS: dict[Language, Mapping[ReasonCode, str]] = {"en": ENGLISH, "ru": _RUSSIAN_REASONS}
"""Why a message was not recorded, per language: the one place a reason is translated."""


def reason_text(why: Reason, language: Language) -> str:
    return why.render(REASONS[language])


def _russian_plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def size(n: int, language: Language) -> str:
    if n < 1024:
        if language == "ru":
            return f"{n} {_russian_plural(n, 'байт', 'байта', 'байт')}"
        return f"{n} byte" if n == 1 else f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    if language == "ru":
        russian_unit = {"KB": "КБ", "MB": "МБ", "GB": "ГБ"}[unit]
        return f"{value:.1f} {russian_unit}".replace(".", ",")
    return f"{value:.1f} {unit}"
