"""What receipts say, in English and Russian. Plain text: every mail client shows it right."""

from __future__ import annotations

from typing import Literal

from tdl_inbox.domain.lateness import duration_parts

Language = Literal["en", "ru"]

TEXTS: dict[Language, dict[str, str]] = {
    "en": {
        "subject_prefix": "Re: ",
        "greeting": "Hello,",
        "recorded": "Your email was recorded as {assignment} by {student}.",
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
        "counts_other": (
            "Version {version} counts for grading: this one was sent {when}; "
            "a late resubmission does not replace an on-time one."
        ),
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
    },
    "ru": {
        "subject_prefix": "Re: ",
        "greeting": "Здравствуйте!",
        "recorded": "Ваше письмо записано как {assignment}, студент: {student}.",
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
        "counts_other": (
            "Для оценки учитывается версия {version}: эта отправлена {when}; опоздавшая "
            "пересдача не заменяет сданную вовремя."
        ),
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
    },
}


def duration(seconds: int, language: Language) -> str:
    days_u, hours_u, minutes_u, seconds_u = TEXTS[language]["units"].split()
    days, hours, minutes, secs = duration_parts(seconds)
    parts = [(days, days_u), (hours, hours_u), (minutes, minutes_u), (secs, seconds_u)]
    shown = [f"{value} {unit}" for value, unit in parts if value][:2]
    return " ".join(shown) or f"0 {seconds_u}"


def size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    value = float(n)
    for unit in ("KB", "MB", "GB"):
        value /= 1024
        if value < 1024 or unit == "GB":
            break
    return f"{value:.1f} {unit}"
