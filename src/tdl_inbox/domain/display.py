"""Text from mail made safe to show: no terminal escapes, no control or direction overrides.

A subject, a file name or a mail body may carry ``ESC [ ... m`` sequences that recolour or
rewrite a grader's terminal, other control characters, and bidirectional overrides that make
``gpj.exe`` read as ``exe.jpg``.  :func:`printable` removes all of them and keeps the rest of
the text as written; line breaks survive only where the caller asks for them.
"""

from __future__ import annotations

import re

# Whole escape sequences go, not just the ESC: "[31m" left behind would still be noise.
# CSI (ESC [ ... final), OSC (ESC ] ... BEL or ESC \), and any other two-character escape.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]?"
    r"|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?"
    r"|\x1b[PX^_][^\x1b]*(?:\x1b\\)?"
    r"|\x1b.?"
    r"|\x9b[0-?]*[ -/]*[@-~]?",
    re.DOTALL,
)
_NEWLINES = re.compile(r"\r\n?|[\x0b\x0c\x85\u2028\u2029]")
# C0 and C1 controls and DEL, plus the bidi embeddings, overrides, isolates and marks.
_UNPRINTABLE: dict[int, str | None] = {
    c: None
    for c in (
        *range(0x20),
        *range(0x7F, 0xA0),
        0x061C,
        0x200E,
        0x200F,
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    )
}
_UNPRINTABLE[ord("\t")] = " "
_MULTILINE = {**_UNPRINTABLE, ord("\n"): "\n"}
_SINGLE_LINE = {**_UNPRINTABLE, ord("\n"): " "}


def printable(text: str, *, multiline: bool = False) -> str:
    """``text`` without escape sequences, control characters or bidi controls.

    A tab becomes a space; line breaks (CR, CRLF, LF and the Unicode ones) become ``\\n`` with
    ``multiline`` and a space without it.
    """
    text = _ESCAPES.sub("", text)
    text = _NEWLINES.sub("\n", text)
    return text.translate(_MULTILINE if multiline else _SINGLE_LINE)
