"""Who is asking: a signed session cookie (browsers) or a bearer token (scripts).

The cookie holds only the user's name, a CSRF token and an expiry, signed with HMAC-SHA256
under the key in the secret file; the account is looked up on every request, so removing a
user ends their sessions at once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from starlette.requests import Request
from starlette.responses import Response

from tdl_inbox.app import App, utc_now
from tdl_inbox.services.operations import accounts
from tdl_inbox.services.operations.accounts import Account

COOKIE = "tdl_session"


@dataclass(frozen=True)
class WebSession:
    user: str | None
    csrf: str
    expires: datetime


@dataclass(frozen=True)
class Signer:
    key: bytes
    lifetime: timedelta
    secure: bool

    def _mac(self, body: bytes) -> str:
        return hmac.new(self.key, body, hashlib.sha256).hexdigest()

    def dump(self, session: WebSession) -> str:
        data = {"u": session.user, "c": session.csrf, "e": session.expires.timestamp()}
        body = base64.urlsafe_b64encode(json.dumps(data).encode()).decode()
        return f"{body}.{self._mac(body.encode())}"

    def load(self, value: str | None, now: datetime) -> WebSession | None:
        if not value or "." not in value:
            return None
        body, mac = value.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(body.encode())):
            return None
        try:
            data = json.loads(base64.urlsafe_b64decode(body.encode()))
            session = WebSession(
                data["u"], str(data["c"]), datetime.fromtimestamp(float(data["e"]), now.tzinfo)
            )
        except (ValueError, KeyError, TypeError):
            return None
        return session if session.expires > now else None

    def fresh(self, user: str | None, now: datetime) -> WebSession:
        """A new session (a new CSRF token too: logging in never keeps the old one)."""
        return WebSession(user, secrets.token_urlsafe(32), now + self.lifetime)

    def set_cookie(self, response: Response, session: WebSession) -> None:
        response.set_cookie(
            COOKIE,
            self.dump(session),
            max_age=int(self.lifetime.total_seconds()),
            httponly=True,
            samesite="strict",
            secure=self.secure,
            path="/",
        )


def web_session(request: Request) -> WebSession | None:
    signer: Signer = request.app.state.signer
    return signer.load(request.cookies.get(COOKIE), utc_now())


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


@dataclass(frozen=True)
class Caller:
    account: Account
    session: WebSession | None
    """None when the caller sent a bearer token (then no CSRF token is needed)."""


def caller(request: Request) -> Caller | None:
    """The logged-in account (token first, then the cookie), or None."""
    app: App = request.app.state.app
    token = bearer_token(request)
    with app.sessions.begin() as db:
        if token is not None:
            found = accounts.by_token(db, token)
            return None if found is None else Caller(found, None)
        session = web_session(request)
        if session is None or session.user is None:
            return None
        found = accounts.by_name(db, session.user)
    return None if found is None else Caller(found, session)
