"""How a stored attachment is sent to a grader's browser: its type, and the headers that keep
it from running in the workspace's origin.

The type comes from the bytes (:func:`tdl_inbox.domain.file_types.safe_extension`), never from
the sender's name or claimed type.  PDFs and PNG/JPEG/GIF/WebP images are shown inline with their
own type: the browser's PDF viewer and image decoder run no script from the file.  Everything
else (HTML, SVG, XML, text, archives, unknown bytes, and an HTML page called ``.pdf``) is a
download (``Content-Disposition: attachment``, ``application/octet-stream``) and also carries
``Content-Security-Policy: sandbox``, so a browser that showed it anyway would show it in an
opaque origin.  Images get the sandbox too (opened on their own they run nothing, and it costs
nothing); PDFs cannot, because Chromium's viewer refuses to run in a sandboxed document
(chromium bug 413851).  Every answer says ``X-Content-Type-Options: nosniff``.

The file name in ``Content-Disposition`` is the sender's name cleaned (:func:`safe_name`, no
controls, path separators or quotes) and given the extension the content earned
(``page.html`` -> ``page.html.txt``): an ASCII ``filename=`` token for old clients and
``filename*=UTF-8''...`` (RFC 5987, percent-encoded) so Cyrillic names survive.  Nothing a
request names becomes a path here: the caller looks the blob up by its recorded SHA-256.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import quote

from anyascii import anyascii

from tdl_inbox.domain.display import printable
from tdl_inbox.domain.file_types import safe_extension
from tdl_inbox.services.grading.export import safe_name, with_extension

INLINE_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "gif": "image/gif",
    "webp": "image/webp",
}
"""What a browser shows without running anything from the file, by the sniffed extension."""
DOWNLOAD_TYPE = "application/octet-stream"
SANDBOX = "sandbox"
FALLBACK_NAME = "attachment"
# The ASCII fallback is a bare RFC 7230 token of the safest characters: no quoting needed.
_NOT_TOKEN = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class Serving:
    """The type, disposition and response headers for one attachment."""

    content_type: str
    disposition: str  # "inline" or "attachment"
    filename: str  # the cleaned display name, extension matching the content
    headers: dict[str, str] = field(hash=False)


def serving(data_head: bytes, filename: str) -> Serving:
    """How to serve a blob whose first bytes (4 KB is plenty) are ``data_head`` and whose
    sender called it ``filename``."""
    extension = safe_extension(filename, data_head)
    name = with_extension(safe_name(printable(filename), FALLBACK_NAME), extension)
    content_type = INLINE_TYPES.get(extension)
    disposition = "inline" if content_type is not None else "attachment"
    headers = {
        "Content-Type": content_type or DOWNLOAD_TYPE,
        "X-Content-Type-Options": "nosniff",
        "Content-Disposition": content_disposition(disposition, name),
    }
    if extension != "pdf":
        headers["Content-Security-Policy"] = SANDBOX
    return Serving(content_type or DOWNLOAD_TYPE, disposition, name, headers)


def content_disposition(disposition: str, name: str) -> str:
    """``inline; filename=ascii_token; filename*=UTF-8''percent-encoded``."""
    fallback = _NOT_TOKEN.sub("_", anyascii(name)).strip("._") or FALLBACK_NAME
    return f"{disposition}; filename={fallback}; filename*=UTF-8''{quote(name, safe='')}"
