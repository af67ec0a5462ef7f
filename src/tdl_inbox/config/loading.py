"""Find, read and validate the configuration file; resolve paths and secrets."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

from pydantic import ValidationError

from tdl_inbox.config.schema import MailboxConfig, Settings, SmtpConfig
from tdl_inbox.errors import ConfigError

ENV_CONFIG = "TDL_INBOX_CONFIG"
DEFAULT_CONFIG_NAME = "tdl-inbox.toml"


def find_config(explicit: Path | None) -> Path:
    """``--config FILE``, else ``$TDL_INBOX_CONFIG``, else ``./tdl-inbox.toml``."""
    if explicit is not None:
        return explicit
    from_env = os.environ.get(ENV_CONFIG)
    if from_env:
        return Path(from_env)
    return Path(DEFAULT_CONFIG_NAME)


def _describe(error: ValidationError) -> str:
    problems = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        if item["type"] == "extra_forbidden":
            message = "unknown key"
        elif item["type"] == "missing":
            message = "required key is missing"
        problems.append(f"{where}: {message}" if where else message)
    return "; ".join(problems)


def _resolve(path: Path | None, base: Path) -> Path | None:
    if path is None:
        return None
    path = path.expanduser()
    return path if path.is_absolute() else base / path


def _resolve_sqlite_url(url: str, base: Path) -> str:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == "sqlite:///:memory:":
        return url
    rest = url[len(prefix) :]
    if rest.startswith("/"):
        return url
    return prefix + str(base / rest)


def load_config(path: Path) -> Settings:
    """Load and validate ``path``; relative paths in it are relative to its directory."""
    try:
        with path.open("rb") as handle:
            raw = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(
            f"config file {path} not found (run `tdl-inbox init` or pass --config FILE)"
        ) from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"config file {path} is not valid TOML: {exc}") from None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"config file {path}: {_describe(exc)}") from None
    base = path.resolve().parent
    mailbox = settings.mailbox.model_copy(
        update={
            "cafile": _resolve(settings.mailbox.cafile, base),
            "password_file": _resolve(settings.mailbox.password_file, base),
        }
    )
    smtp = settings.smtp
    if smtp is not None:
        smtp = smtp.model_copy(
            update={
                "cafile": _resolve(smtp.cafile, base),
                "password_file": _resolve(smtp.password_file, base),
            }
        )
    return settings.model_copy(
        update={
            "mailbox": mailbox,
            "smtp": smtp,
            "database": settings.database.model_copy(
                update={"url": _resolve_sqlite_url(settings.database.url, base)}
            ),
            "storage": settings.storage.model_copy(
                update={"dir": _resolve(settings.storage.dir, base)}
            ),
            "backup": settings.backup.model_copy(
                update={"dir": _resolve(settings.backup.dir, base)}
            ),
            "source": path.resolve(),
        }
    )


def read_password(section: MailboxConfig | SmtpConfig) -> str | None:
    """The password from the environment variable or file the section names (None: no auth)."""
    where = "mailbox" if isinstance(section, MailboxConfig) else "smtp"
    if section.password_env is not None:
        value = os.environ.get(section.password_env)
        if not value:
            raise ConfigError(
                f"{where}.password_env: environment variable {section.password_env} is not set"
            )
        return value
    if section.password_file is None:
        return None
    try:
        value = section.password_file.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigError(
            f"{where}.password_file: cannot read {section.password_file}: {exc.strerror}"
        ) from None
    if not value:
        raise ConfigError(f"{where}.password_file: {section.password_file} is empty")
    return value


def read_imap_password(mailbox: MailboxConfig) -> str:
    password = read_password(mailbox)
    assert password is not None  # the schema requires a password source for the mailbox
    return password
