"""Reading path ids and JSON bodies of API requests, with errors that name the field."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web


class BadBody(Exception):
    """The JSON body is missing a field or has a wrong type; names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class BadPath(BadBody):
    """A path parameter is not what the route expects; names it."""


def required_path_id(request: web.Request, name: str) -> int:
    """A numeric path parameter; BadPath (a 400 naming it) when it is not a number."""
    value = path_id(request, name)
    if value is None:
        raise BadPath(name, f"{name} must be a number")
    return value


def path_id(request: web.Request, name: str) -> int | None:
    """A numeric path parameter, or None when it is not a number."""
    raw = request.match_info[name]
    return int(raw) if raw.isdigit() else None


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is an empty object)."""
    try:
        body = json.loads(await request.read() or b"{}")
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise BadBody("body", "the body must be a JSON object") from err
    if not isinstance(body, dict):
        raise BadBody("body", "the body must be a JSON object")
    return body


def int_field(body: dict[str, Any], field: str) -> int:
    """A required positive integer field."""
    value = body.get(field)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadBody(field, f"{field} is required: a positive integer")
    return value
