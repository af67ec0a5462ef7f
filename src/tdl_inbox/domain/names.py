"""Student names: a display form and a matching key that survives how students write them.

The key ignores case, extra spaces, ``ё``/``е``, word order (``Ivanov Ivan``), and Latin versus
Cyrillic spelling (``Ivan Ivanov`` / ``Иван Иванов``, ``Pyotr`` / ``Petr`` / ``Пётр``):
each word is transliterated to ASCII with anyascii, then reduced to a skeleton in which the
usual romanisation variants (``ks``/``x``, ``iy``/``ii``/``y``, ``ya``/``ia``, ``kh``/``h``...)
coincide.
"""

from __future__ import annotations

import re
import unicodedata

from anyascii import anyascii

_SPACES = re.compile(r"\s+")
_NOT_LETTER = re.compile(r"[^a-z]+")
_DOUBLE = re.compile(r"(.)\1+")

# Order matters: longer and more specific spellings are reduced first.
_VARIANTS: tuple[tuple[str, str], ...] = (
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


def display_name(name: str) -> str:
    """NFC, whitespace collapsed: the name as a person wrote it, tidied."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def _skeleton(word: str) -> str:
    word = word.replace("ё", "е").replace("Ё", "Е")
    ascii_word = _NOT_LETTER.sub("", anyascii(word).lower())
    for variant, canonical in _VARIANTS:
        ascii_word = ascii_word.replace(variant, canonical)
    return _DOUBLE.sub(r"\1", ascii_word)


def name_key(name: str) -> str:
    """A key equal for the same person however the name is spelled or ordered."""
    words = [_skeleton(w) for w in re.split(r"[\s\-]+", display_name(name))]
    return " ".join(sorted(w for w in words if w))
