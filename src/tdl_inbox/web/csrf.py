"""CSRF tokens: every state-changing form and cookie-authenticated API call carries the
session's token (forms: the ``csrf_token`` field; API: the ``X-CSRF-Token`` header)."""

from __future__ import annotations

import hmac

from tdl_inbox.web.auth import WebSession


def valid(session: WebSession | None, sent: str | None) -> bool:
    if session is None or not sent:
        return False
    return hmac.compare_digest(session.csrf.encode(), sent.encode())
