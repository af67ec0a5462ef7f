"""Web accounts: who may log in, with which role, and their password and API token.

A web user's name is the grader name ``--grader`` takes on the command line, so a grade made
in the browser is the same grader's as one made in a terminal.

Only hashes are stored. Passwords go through argon2 (argon2-cffi's defaults, which follow the
RFC 9106 recommendation and are rehashed when those move). API tokens are 32 random bytes:
with that much entropy a guess is hopeless, so a fast SHA-256 is as safe as a slow KDF and
keeps every API call cheap; it also lets the token be found by its hash.

Every change to an account is in the history (``services.audit``), naming the account and
never the password or token.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from tdl_inbox.adapters.db.models import WebUser
from tdl_inbox.errors import NotFound, TdlInboxError
from tdl_inbox.services import audit

Role = Literal["grader", "admin"]
ROLES: tuple[Role, ...] = ("grader", "admin")

_hasher = PasswordHasher()
# Verified against when the name is unknown, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


class AccountError(TdlInboxError):
    """A user that exists already, or a password that cannot be used."""


@dataclass(frozen=True)
class Account:
    name: str
    role: Role
    created_at: datetime
    has_token: bool
    token_created_at: datetime | None


def _account(user: WebUser) -> Account:
    role: Role = "admin" if user.role == "admin" else "grader"
    return Account(
        user.name, role, user.created_at, user.token_hash is not None, user.token_created_at
    )


def _user(session: Session, name: str) -> WebUser:
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    if user is None:
        raise NotFound(f"no web user {name} (see `tdl-inbox users list`)")
    return user


def _checked_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("a password needs at least 8 characters")
    return password


def generate_password() -> str:
    """A random password of about 128 bits, easy to copy."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _record(session: Session, action: str, actor: str, now: datetime, **details: object) -> None:
    audit.record(session, actor=actor, action=action, now=now, details=details)


def add(
    session: Session, name: str, role: Role, password: str, now: datetime, *, actor: str
) -> Account:
    name = name.strip()
    if not name:
        raise AccountError("a user name cannot be empty")
    if role not in ROLES:
        raise AccountError(f"unknown role {role}: grader or admin")
    if session.scalar(select(WebUser.id).where(WebUser.name == name)) is not None:
        raise AccountError(f"web user {name} exists already (`tdl-inbox users passwd {name}`)")
    user = WebUser(
        name=name,
        role=role,
        password_hash=_hasher.hash(_checked_password(password)),
        token_hash=None,
        created_at=now,
        token_created_at=None,
    )
    session.add(user)
    session.flush()
    _record(session, "user add", actor, now, name=name, role=role)
    return _account(user)


def listing(session: Session) -> list[Account]:
    return [_account(u) for u in session.scalars(select(WebUser).order_by(WebUser.name))]


def remove(session: Session, name: str, *, actor: str, now: datetime) -> None:
    user = _user(session, name)
    role = user.role
    session.execute(delete(WebUser).where(WebUser.id == user.id))
    _record(session, "user remove", actor, now, name=name, role=role)


def set_password(session: Session, name: str, password: str, *, actor: str, now: datetime) -> None:
    _user(session, name).password_hash = _hasher.hash(_checked_password(password))
    _record(session, "user password", actor, now, name=name)


def new_token(session: Session, name: str, now: datetime, *, actor: str) -> str:
    """A new API token for ``name``, replacing any earlier one; only its hash is kept."""
    token = secrets.token_urlsafe(32)
    user = _user(session, name)
    replaced = user.token_hash is not None
    user.token_hash, user.token_created_at = token_hash(token), now
    _record(session, "user token", actor, now, name=name, replaced=replaced)
    return token


def revoke_token(session: Session, name: str, *, actor: str, now: datetime) -> bool:
    """Forget ``name``'s API token; False if there was none (nothing to record then)."""
    user = _user(session, name)
    had = user.token_hash is not None
    user.token_hash, user.token_created_at = None, None
    if had:
        _record(session, "user token revoked", actor, now, name=name)
    return had


def authenticate(session: Session, name: str, password: str) -> Account | None:
    """The account if ``password`` is ``name``'s, else None (in about the same time)."""
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    try:
        _hasher.verify(_DUMMY_HASH if user is None else user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return _account(user)


def by_token(session: Session, token: str) -> Account | None:
    if not token:
        return None
    user = session.scalar(select(WebUser).where(WebUser.token_hash == token_hash(token)))
    return None if user is None else _account(user)


def by_name(session: Session, name: str) -> Account | None:
    """The account a session cookie names (gone once the user is removed)."""
    user = session.scalar(select(WebUser).where(WebUser.name == name))
    return None if user is None else _account(user)
