"""How commands read ids, numbers and assignment keys from the command line, in one place.

- ids: ``s18`` (a submission), ``m18`` (a message), a bare ``18`` (a submission, as before the
  prefix existed); see ``domain.ids``. Which submission an id names is the service's
  ``submission_id_of``, which refuses a message id in one line.
- numbers: finite only; ``inf`` and ``nan`` parse as floats but are no points.
- assignment keys: case-insensitive, like the subjects students write (``Theory-2``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, tzinfo
from typing import Any

import click

from tdl_inbox.domain.course_time import BadTime, typed_time
from tdl_inbox.domain.course_time import assignment_key as typed_key
from tdl_inbox.domain.ids import BadId, Ref, parse_ref


def _id(ctx: click.Context | None, param: click.Parameter | None, value: str) -> Ref:
    try:
        return parse_ref(value)
    except BadId as exc:
        raise click.BadParameter(str(exc), ctx, param) from None


def finite(
    ctx: click.Context | None, param: click.Parameter | None, value: float | None
) -> float | None:
    """Callback for a ``type=float`` option: ``inf`` and ``nan`` are floats but no points."""
    if value is not None and not math.isfinite(value):
        raise click.BadParameter(f"{value} is not a finite number", ctx, param)
    return value


def submission_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    """The ``ID`` argument of a command that acts on one submission, as a ``Ref``."""
    return click.argument("ref", metavar="ID", callback=_id)(func)


def _optional_id(ctx: click.Context, param: click.Parameter, value: str | None) -> Ref | None:
    return None if value is None else _id(ctx, param, value)


def optional_submission_argument(func: Callable[..., Any]) -> Callable[..., Any]:
    """Like ``submission_argument``, for a command that can also do without one."""
    return click.argument("ref", metavar="[ID]", required=False, callback=_optional_id)(func)


def course_time(value: str, zone: tzinfo, param_hint: str) -> datetime:
    """An ISO date or date-time typed on the command line (``domain.course_time``)."""
    try:
        return typed_time(value, zone)
    except BadTime as exc:
        raise click.BadParameter(str(exc), param_hint=param_hint) from None


def assignment_key(
    ctx: click.Context | None, param: click.Parameter | None, value: str | None
) -> str | None:
    """Assignment keys are lower case (``theory-2``); people type them as they like."""
    return None if value is None else typed_key(value)


def assignment_option(
    *, required: bool = False, help: str = "Only this assignment, e.g. theory-2."
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    return click.option("--assignment", "-a", required=required, callback=assignment_key, help=help)


ACTOR_ENV = "TDL_INBOX_ACTOR"


def os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no user name in the environment or the password database
        return "unknown"


def actor_option(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--actor``: who the history records as making an admin command's change."""
    return click.option(
        "--actor",
        envvar=ACTOR_ENV,
        default=os_user,
        show_default="the operating-system user",
        help="Who is acting, for the history ($TDL_INBOX_ACTOR; else the operating-system user).",
    )(func)
