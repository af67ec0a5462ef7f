"""The order in which a person expects a list of names: alphabetical, whatever the case.

Code-point order puts ``Ё`` after ``Я`` and ``Zoe`` before ``alice``.  The key casefolds,
composes (a decomposed ``й`` is two code points) and files ``ё`` under ``е``, as Russian
dictionaries and class lists do; Latin names come before Cyrillic ones, each alphabetical.
"""

from __future__ import annotations

import unicodedata


def name_order(name: str) -> str:
    """A sort key for ``name``: ``sorted(names, key=name_order)``."""
    return unicodedata.normalize("NFC", name).casefold().replace("ё", "е")
