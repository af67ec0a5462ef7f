"""The configuration schema. Every model forbids unknown keys so a typo fails at startup."""

from __future__ import annotations

import ipaddress
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from tdl_inbox.domain.assignments import (
    Assignment,
    DeadlineRule,
    Kind,
    assignment_key,
    make_assignment,
)
from tdl_inbox.domain.subjects import DEFAULT_KIND_ALIASES


class _Section(BaseModel):
    # ``inf`` is a TOML float; as a maximum or a coefficient it would turn every grade into 10.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class CourseConfig(_Section):
    name: str = "Theoretical Deep Learning"
    timezone: str = "Europe/Moscow"
    deadline_time: time = time(23, 59)
    deadline_after_days: int = Field(default=21, ge=0, le=366)
    kind_aliases: dict[str, Kind] = Field(default_factory=dict)
    """Extra words accepted for a kind in subjects, e.g. ``{"теор" = "theory"}``."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/Moscow)"
            ) from None
        return value

    @field_validator("deadline_time", mode="before")
    @classmethod
    def _hh_mm(cls, value: object) -> object:
        if isinstance(value, str):
            try:
                return time.fromisoformat(value)
            except ValueError:
                raise ValueError(f"expected HH:MM, got {value!r}") from None
        return value

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def deadline_rule(self) -> DeadlineRule:
        return DeadlineRule(self.zone, self.deadline_time, self.deadline_after_days)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


IDLE_RENEW_LIMIT = 29 * 60


class MailboxConfig(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=1143, ge=1, le=65535)
    security: Literal["tls", "starttls", "plain"] = "starttls"
    cafile: Path | None = None
    allow_plain: bool = False
    username: str
    password_env: str | None = None
    password_file: Path | None = None
    folder: str = "INBOX"
    since: date | None = None
    poll_interval_seconds: int = Field(default=60, ge=5)
    timeout_seconds: float = Field(default=60, gt=0)
    idle: bool = True
    """Keep the folder in IMAP IDLE when the server offers it: new mail is pushed at once."""
    idle_renew_seconds: int = Field(default=600, ge=10)
    """Re-issue IDLE at least this often; RFC 2177 lets servers drop it after 30 minutes."""
    fetch_batch_messages: int = Field(default=50, ge=1, le=1000)
    fetch_batch_bytes: int = Field(default=20_000_000, ge=1_000_000)
    max_message_bytes: int = Field(default=50_000_000, ge=1_000_000)
    """Messages larger than this are recorded as rejected from their headers alone."""

    @field_validator("idle_renew_seconds")
    @classmethod
    def _within_rfc_2177(cls, value: int) -> int:
        if value > IDLE_RENEW_LIMIT:
            raise ValueError(
                f"at most {IDLE_RENEW_LIMIT} (29 minutes): RFC 2177 lets a server end an IDLE "
                "after 30 minutes"
            )
        return value

    @model_validator(mode="after")
    def _secrets_and_transport(self) -> MailboxConfig:
        if (self.password_env is None) == (self.password_file is None):
            raise ValueError("set exactly one of password_env or password_file")
        if self.security == "plain" and not self.allow_plain and not _is_loopback(self.host):
            raise ValueError(
                f"security = 'plain' would send the password in clear to {self.host}; "
                "use 'starttls' or 'tls', or set allow_plain = true"
            )
        return self


class DatabaseConfig(_Section):
    url: str = "sqlite:///tdl-inbox.db"


class StorageConfig(_Section):
    dir: Path = Path("store")


class GradingConfig(_Section):
    k_hw: float = Field(default=8, ge=0)
    k_exam: float = Field(default=4, ge=0)
    exam_max_points: float = Field(default=10, gt=0)
    counting: Literal["latest_on_time", "latest"] = "latest_on_time"
    """Which version of a student's assignment counts when they sent several."""
    claim_minutes: int = Field(default=120, ge=1)
    """A grader's claim on a submission expires after this long, returning it to the queue."""

    @property
    def claim_ttl(self) -> timedelta:
        """``claim_minutes`` as the duration a claim lives (command line and workspace)."""
        return timedelta(minutes=self.claim_minutes)


class SmtpConfig(_Section):
    """Outgoing mail for receipts, reports and alerts (Proton Mail Bridge: SMTP from 1025)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False
    )

    host: str = "127.0.0.1"
    port: int = Field(default=1025, ge=1, le=65535)
    security: Literal["tls", "starttls", "plain"] = "starttls"
    cafile: Path | None = None
    allow_plain: bool = False
    username: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    sender: str = Field(alias="from")
    """The From of everything we send, e.g. ``TDL course <tdl_course_mipt@protonmail.com>``."""
    timeout_seconds: float = Field(default=30, gt=0)

    @model_validator(mode="after")
    def _auth_and_transport(self) -> SmtpConfig:
        if self.password_env is not None and self.password_file is not None:
            raise ValueError("set at most one of password_env or password_file")
        if self.username is not None and self.password_env is None and self.password_file is None:
            raise ValueError("username is set: also set password_env or password_file")
        if self.security == "plain" and not self.allow_plain and not _is_loopback(self.host):
            raise ValueError(
                f"security = 'plain' would send mail and password in clear to {self.host}; "
                "use 'starttls' or 'tls', or set allow_plain = true"
            )
        return self


class ReceiptsConfig(_Section):
    enabled: bool = True
    """Receipts are sent only when [smtp] is configured too."""
    language: Literal["en", "ru"] = "en"
    max_per_sender_per_hour: int = Field(default=10, ge=5)
    max_age_hours: float | None = Field(default=72, gt=0)
    """Messages that arrived longer ago than this when recorded get no receipt, so a first
    install mid-term or a rebuilt database does not answer the whole old mailbox."""
    max_attempts: int = Field(default=12, ge=1)


class FeedbackConfig(_Section):
    show_grader: bool = True
    """Grade mails (``publish``) name the grader who gave the grade."""


class ReportsConfig(_Section):
    cron: str | None = None
    """When the daemon e-mails the late and summary reports, crontab syntax: "0 8 * * *"."""
    recipients: list[str] = Field(default_factory=list)


class AlertsConfig(_Section):
    recipients: list[str] = Field(default_factory=list)
    """Who hears about failing polls and UIDVALIDITY changes; default: reports.recipients."""
    after_minutes: int = Field(default=30, ge=1)
    ping_url: str | None = None
    """Requested after every successful poll (``/fail`` appended after a failed one): a dead
    man's switch such as healthchecks.io, which alerts when the pings stop."""

    @field_validator("ping_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        # The URL may carry a secret token: the message never repeats it.
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("expected an http:// or https:// URL")
        return value.strip()


class BackupConfig(_Section):
    dir: Path | None = None
    """Where the daemon writes its dated backups (``dir/2026-12-05T0300/``)."""
    cron: str | None = None
    """When the daemon takes one, crontab syntax in course time: "0 3 * * *"."""
    keep: int = Field(default=7, ge=1)
    """How many dated backups stay under ``dir``; older ones are removed."""

    @model_validator(mode="after")
    def _dir_for_cron(self) -> BackupConfig:
        if self.cron is not None and self.dir is None:
            raise ValueError("cron is set: also set dir (where the backups go)")
        return self


class DaemonConfig(_Section):
    watch_config: bool = True
    """Re-read this file when it changes (within a few seconds), not only on SIGHUP."""


class WebConfig(_Section):
    """The graders' web workspace (``tdl-inbox serve``)."""

    host: str = "127.0.0.1"
    port: int = Field(default=8470, ge=1, le=65535)
    base_url: str | None = None
    """Where graders reach it, e.g. ``https://grading.example.org`` behind a TLS proxy; an
    ``https://`` URL makes the session cookie Secure and allows a non-loopback ``host``."""
    session_hours: float = Field(default=12, gt=0)
    """How long a login lasts."""

    @field_validator("base_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a loopback address)")
        return value


class AssignmentConfig(_Section):
    kind: Kind
    number: int = Field(ge=0, le=999)
    published: date
    max_points: float = Field(gt=0)
    deadline: datetime | date | None = None
    """A local time in ``course.timezone``; a date alone means that day at ``deadline_time``."""

    @field_validator("deadline", mode="before")
    @classmethod
    def _date_or_datetime(cls, value: object) -> object:
        # A date alone must stay a date: read as a datetime it would be midnight, a day early.
        if isinstance(value, str):
            text = value.strip()
            try:
                if "T" in text or " " in text:
                    return datetime.fromisoformat(text)
                return date.fromisoformat(text)
            except ValueError:
                raise ValueError(
                    f"expected a date (2019-03-30) or a local time (2019-03-30T23:59), "
                    f"got {value!r}"
                ) from None
        return value

    @property
    def key(self) -> str:
        return assignment_key(self.kind, self.number)

    def deadline_at(self, course: CourseConfig) -> datetime | None:
        """The override as a naive local time in the course's timezone, or None."""
        if self.deadline is None or isinstance(self.deadline, datetime):
            return self.deadline
        return datetime.combine(self.deadline, course.deadline_time)


def _deadline_problem(item: AssignmentConfig, course: CourseConfig) -> str | None:
    deadline = item.deadline
    if isinstance(deadline, datetime) and deadline.tzinfo is not None:
        # Shifting it into course time would move the deadline without anyone noticing.
        return (
            f"{deadline.isoformat()} has a UTC offset; deadlines are local times in "
            f"course.timezone ({course.timezone}): remove the offset or Z and write the "
            "local time"
        )
    local = item.deadline_at(course)
    if local is not None and local.date() < item.published:
        return (
            f"assignment {item.key}: deadline {local.isoformat(sep=' ', timespec='minutes')} "
            f"is before its publication date {item.published.isoformat()}"
        )
    return None


class Settings(_Section):
    course: CourseConfig = Field(default_factory=CourseConfig)
    mailbox: MailboxConfig
    database: DatabaseConfig = Field(default_factory=DatabaseConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)
    grading: GradingConfig = Field(default_factory=GradingConfig)
    smtp: SmtpConfig | None = None
    receipts: ReceiptsConfig = Field(default_factory=ReceiptsConfig)
    feedback: FeedbackConfig = Field(default_factory=FeedbackConfig)
    reports: ReportsConfig = Field(default_factory=ReportsConfig)
    alerts: AlertsConfig = Field(default_factory=AlertsConfig)
    backup: BackupConfig = Field(default_factory=BackupConfig)
    daemon: DaemonConfig = Field(default_factory=DaemonConfig)
    web: WebConfig = Field(default_factory=WebConfig)
    assignment: list[AssignmentConfig] = Field(default_factory=list)

    source: Path | None = Field(default=None, exclude=True)
    """The file these settings came from (set by the loader, not by the file)."""

    @model_validator(mode="after")
    def _unique_assignments(self) -> Settings:
        seen: set[str] = set()
        for item in self.assignment:
            if item.key in seen:
                raise ValueError(f"assignment {item.key} is defined twice")
            seen.add(item.key)
        for index, item in enumerate(self.assignment):
            problem = _deadline_problem(item, self.course)
            if problem is not None:
                raise ValueError(f"assignment.{index}.deadline: {problem}")
        return self

    def kind_aliases(self) -> dict[str, Kind]:
        """The words a subject may use for each kind: the defaults and ``course.kind_aliases``."""
        aliases = dict(DEFAULT_KIND_ALIASES)
        aliases.update({word.lower(): kind for word, kind in self.course.kind_aliases.items()})
        return aliases

    def assignments(self) -> list[Assignment]:
        rule = self.course.deadline_rule
        return [
            make_assignment(
                a.kind, a.number, a.published, a.max_points, rule, a.deadline_at(self.course)
            )
            for a in self.assignment
        ]
