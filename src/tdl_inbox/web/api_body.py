"""What an API call sent, read strictly: a JSON object whose fields have the expected types.

Whether a value is allowed (points within the maximum, finite) is the service's rule; this
module only refuses what is not a value of the right kind at all, as click does for options.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


class BadBody(ValueError):
    """The request's body or a field in it is not what the route takes; ``str()`` says why."""


@dataclass(frozen=True)
class Body:
    fields: dict[str, Any]

    def has(self, name: str) -> bool:
        return name in self.fields

    def flag(self, name: str) -> bool:
        value = self.fields.get(name, False)
        if not isinstance(value, bool):
            raise BadBody(f'"{name}" must be true or false, got {json.dumps(value)}')
        return value

    def number(self, name: str, default: float | None = None) -> float:
        value = self.fields.get(name, default)
        if value is None:
            raise BadBody(f'"{name}" is missing: send a number')
        # bool is an int in Python, but true is no number of points
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise BadBody(f'"{name}" must be a number, got {json.dumps(value)}')
        try:
            return float(value)
        except OverflowError:  # an integer too large for a float
            raise BadBody(f'"{name}" is too large a number') from None

    def text(self, name: str) -> str | None:
        value = self.fields.get(name)
        if value is not None and not isinstance(value, str):
            raise BadBody(f'"{name}" must be a string or null, got {json.dumps(value)}')
        return value

    def grade_id(self, name: str) -> int | None:
        value = self.fields.get(name)
        if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
            raise BadBody(
                f'"{name}" must be the id of a grade (an integer) or null, got {json.dumps(value)}'
            )
        return value


def parse_body(raw: bytes) -> Body:
    """An empty body is an empty object (``POST /api/next`` needs nothing)."""
    if not raw.strip():
        return Body({})
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadBody(f"the body is not valid JSON ({exc})") from None
    if not isinstance(value, dict):
        raise BadBody('the body must be a JSON object, e.g. {"points": 7}')
    return Body(value)
