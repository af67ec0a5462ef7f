"""Which extension a stored file may be opened with: its name and its first bytes must agree.

A sender names files as they like (``solution``, ``hw.pdf.exe``, ``report.PDF``), and a
name's extension decides what a double click runs.  :func:`safe_extension` gives an extension
from a short list of harmless document types: what the content's magic bytes say it is, the
name's own extension when the content fits it (a ``.docx`` is a zip, a ``.py`` is text), else
``txt`` for text and ``bin`` for anything else.  Scripts and pages a desktop would run or
render (``.exe``, ``.js``, ``.html``, ``.svg``, ``.sh``) are never given.
"""

from __future__ import annotations

# Magic bytes -> the extension they prove; first match wins.
_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"%PDF", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"\xff\xd8\xff", "jpg"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"\x1f\x8b", "gz"),
    (b"7z\xbc\xaf\x27\x1c", "7z"),
    (b"Rar!\x1a\x07", "rar"),
    (b"{\\rtf", "rtf"),
    (b"%!PS", "ps"),
)
# A name's extension that the same content may keep: zip containers, old Office files.
_CONTAINERS = {
    "zip": frozenset({"zip", "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub"}),
    "ole": frozenset({"doc", "xls", "ppt"}),
    "gz": frozenset({"gz", "tgz"}),
}
_ALIASES = {"jpeg": "jpg", "tif": "tiff", "markdown": "md", "yml": "yaml"}
TEXT_EXTENSIONS = frozenset(
    {
        "txt", "md", "rst", "csv", "tsv", "json", "ipynb", "tex", "bib", "sty", "cls",
        "py", "r", "jl", "m", "c", "h", "cc", "cpp", "hpp", "java", "kt", "scala", "go",
        "rs", "hs", "ml", "sql", "yaml", "toml", "ini", "cfg", "log",
    }
)  # fmt: skip
"""Source and data that opens in an editor; nothing a desktop runs on a double click."""
FALLBACK = "bin"
_HEAD_BYTES = 4096


def name_extension(filename: str) -> str:
    """The lowercased extension of a display name, ``""`` without one."""
    stem, dot, extension = filename.rpartition(".")
    if not dot or not stem.strip(" ."):
        return ""
    extension = extension.strip().lower()
    return _ALIASES.get(extension, extension)


def looks_like_text(head: bytes) -> bool:
    """No NUL and hardly any other control bytes in the first bytes: text in some charset."""
    if b"\x00" in head:
        return False
    controls = sum(1 for byte in head if byte < 32 and byte not in b"\t\n\r\f")
    return controls * 100 <= len(head)


def safe_extension(filename: str, head: bytes) -> str:
    """The extension to open a file with, given its display name and first bytes (4 KB is
    plenty): ``pdf``, ``png``, ``webp``, ``docx``, ``py``, ``txt``, ... or ``bin``.  Markup (HTML,
    SVG, XML) is ``txt`` whatever it is called, ``page.pdf`` included."""
    named = name_extension(filename)
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":  # the size sits between the two marks
        return "webp"
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            if kind in _CONTAINERS:
                return named if named in _CONTAINERS[kind] else _default_of(kind)
            return kind
    if looks_like_text(head[:_HEAD_BYTES]):
        if named == "ipynb":
            return named if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"{") else "txt"
        return named if named in TEXT_EXTENSIONS else "txt"
    return FALLBACK


def _default_of(kind: str) -> str:
    return {"zip": "zip", "gz": "gz"}.get(kind, FALLBACK)
