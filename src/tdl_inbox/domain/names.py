"""Student names: a display form and a matching key that survives how students write them.

The key ignores case, extra spaces, ``ё``/``е``, word order (``Ivanov Ivan``), and Latin versus
Cyrillic spelling (``Ivan Ivanov`` / ``Иван Иванов``): each word is transliterated to ASCII with
anyascii, then reduced to a skeleton in which the usual romanisations of Russian coincide: the
passport system (ICAO: ``Iuliia``, ``Vasileva``), ALA-LC (``Vasil'eva``), the older passport and
informal ones (``Yuliya``, ``Vasilyeva``, ``Vasilieva``, ``Dmitriy``/``Dmitry``, ``Aleksandr``/
``Alexander``, ``Tcvetkov``, ``Schukin``, ``Mihail``) and the German-style ``j`` (``Jelena``,
``Jurij``). ``j`` is read as й; ж is ``zh``, or ``dj``/``dzh`` for дж.

The key is stored (``student.name_key`` and the ``n:`` owners of submissions, extensions and
exam results): a change to it needs a migration that recomputes them.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_SPACES = re.compile(r"\s+")
_NOT_LETTER = re.compile(r"[^a-z]+")
_DOUBLE = re.compile(r"(.)\1+")

# Order matters: longer and more specific spellings are reduced first; "J" (upper case, which
# no lowered input has) stands for ж so that "j" can be й.
_SPELLINGS: tuple[tuple[str, str], ...] = (
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
# After the spellings above every й, ь and iotation is an "i": "ie"/"io" are е/ё however they
# were written (Vasilieva, Vasilyeva, Vasil'eva, Vasileva; Solovyov, Soloviev, Solov'ev), and
# "iu" after a consonant is ю however it was written (Lyudmila, Liudmila, Ludmila).
_SOUNDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"i[eo]"), "e"),
    (re.compile(r"(?<=[bcdfghklmnpqrstvzJ])iu"), "u"),
    (re.compile(r"ander$"), "andr"),  # Alexander / Aleksandr
)


def display_name(name: str) -> str:
    """NFC, whitespace collapsed: the name as a person wrote it, tidied."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def _skeleton(word: str) -> str:
    word = word.replace("ё", "е").replace("Ё", "Е")
    ascii_word = _NOT_LETTER.sub("", anyascii(word).lower())
    for spelling, canonical in _SPELLINGS:
        ascii_word = ascii_word.replace(spelling, canonical)
    ascii_word = _DOUBLE.sub(r"\1", ascii_word)
    for pattern, canonical in _SOUNDS:
        ascii_word = pattern.sub(canonical, ascii_word)
    return _DOUBLE.sub(r"\1", ascii_word)


def name_key(name: str) -> str:
    """A key equal for the same person however the name is spelled or ordered."""
    words = [_skeleton(w) for w in re.split(r"[\s\-]+", display_name(name))]
    return " ".join(sorted(w for w in words if w))
