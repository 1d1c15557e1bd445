"""Reading ids, numbers and JSON bodies of API requests, with errors that name the field.

Every number the API takes (path ids, query parameters, ids and amounts in JSON bodies) goes
through `bounded_int` or `amount_field`, so a value the database cannot hold is a 400 naming
the parameter, never an overflow deep in storage.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from aiohttp import web

# Ids are BIGINT (PostgreSQL) and INTEGER (SQLite): signed 64-bit.
ID_MAX = 2**63 - 1
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
OFFSET_MAX = 1_000_000
# deals.amount is NUMERIC(16, 2).
AMOUNT_MAX = Decimal("99999999999999.99")
# A JSON integer longer than this cannot be an id or an amount; refused before int() runs.
MAX_JSON_DIGITS = 30
_DIGITS = re.compile(r"[0-9]{1,19}")


class BadBody(Exception):
    """The JSON body is missing a field or has a wrong type; names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class BadPath(BadBody):
    """A path parameter is not what the route expects; names it."""


class BadQuery(BadBody):
    """A query parameter is not what the route expects; names it."""


def parse_int(raw: str, minimum: int = 1, maximum: int = ID_MAX) -> int | None:
    """ASCII digits within [minimum, maximum] as an int, else None (signs, spaces, fractions,
    non-ASCII digits and anything beyond 64-bit are refused)."""
    if not _DIGITS.fullmatch(raw):
        return None
    value = int(raw)
    return value if minimum <= value <= maximum else None


def required_path_id(request: web.Request, name: str) -> int:
    """A record id from the path: BadPath (400 naming it) unless 1..2^63-1."""
    value = parse_int(request.match_info[name])
    if value is None:
        raise BadPath(name, f"{name} must be a whole number from 1 to {ID_MAX}")
    return value


def query_id(request: web.Request, name: str) -> int | None:
    """An optional record id from the query (absent or empty is None); BadQuery if malformed."""
    raw = request.query.get(name)
    if not raw:
        return None
    value = parse_int(raw)
    if value is None:
        raise BadQuery(name, f"{name} must be a whole number from 1 to {ID_MAX}")
    return value


def query_limit(request: web.Request) -> int:
    """`limit` from the query: 1..MAX_LIMIT, DEFAULT_LIMIT when absent; BadQuery otherwise."""
    raw = request.query.get("limit")
    if raw is None:
        return DEFAULT_LIMIT
    value = parse_int(raw, maximum=MAX_LIMIT)
    if value is None:
        raise BadQuery("limit", f"limit must be an integer from 1 to {MAX_LIMIT}")
    return value


def query_offset(request: web.Request) -> int:
    """`offset` from the query: 0..OFFSET_MAX, 0 when absent; BadQuery otherwise."""
    raw = request.query.get("offset")
    if raw is None:
        return 0
    value = parse_int(raw, minimum=0, maximum=OFFSET_MAX)
    if value is None:
        raise BadQuery("offset", f"offset must be an integer from 0 to {OFFSET_MAX}")
    return value


async def json_body(request: web.Request) -> dict[str, Any]:
    """The request body as a JSON object (an empty body is an empty object)."""
    try:
        body = json.loads(
            await request.read() or b"{}",
            parse_int=_json_int,
            parse_constant=_json_constant,
        )
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise BadBody("body", "the body must be a JSON object") from err
    if not isinstance(body, dict):
        raise BadBody("body", "the body must be a JSON object")
    return body


def int_field(body: dict[str, Any], field: str) -> int:
    """A required record id field: an integer from 1 to 2^63-1."""
    value = optional_int_field(body, field)
    if value is None:
        raise BadBody(field, f"{field} is required: an integer from 1 to {ID_MAX}")
    return value


def optional_int_field(body: dict[str, Any], field: str) -> int | None:
    """An optional record id field (absent or null is None): an integer from 1 to 2^63-1."""
    value = body.get(field)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= ID_MAX:
        raise BadBody(field, f"{field} must be an integer from 1 to {ID_MAX}")
    return value


def amount_field(body: dict[str, Any], field: str) -> Decimal | None:
    """An optional money amount: a number or numeric string, 0..AMOUNT_MAX, to kopecks."""
    value = body.get(field)
    if value is None:
        return None
    try:
        return parse_amount(value)
    except ValueError as err:
        raise BadBody(field, f"{field} {err}") from err


def parse_amount(value: object) -> Decimal:
    """A money amount from a JSON number or numeric string, 0..AMOUNT_MAX, to kopecks;
    ValueError saying what is accepted."""
    message = f"must be a number from 0 to {AMOUNT_MAX}"
    if isinstance(value, bool) or not isinstance(value, int | float | str) or len(str(value)) > 40:
        raise ValueError(message)
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation as err:
        raise ValueError(message) from err
    if not amount.is_finite() or not 0 <= amount <= AMOUNT_MAX:
        raise ValueError(message)
    return amount.quantize(Decimal("0.01"))


def parse_aware_datetime(raw: str) -> datetime:
    """An ISO 8601 date-time with a UTC offset (surrounding spaces ignored); ValueError saying
    what is wrong."""
    text = raw.strip()
    if not text:
        raise ValueError("required, a non-empty string")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError as err:
        raise ValueError("must be an ISO 8601 date-time with an offset") from err
    if parsed.tzinfo is None:
        raise ValueError("must include a UTC offset, e.g. 2026-11-25T10:00:00+03:00")
    return parsed


def _json_int(text: str) -> int:
    # Python refuses int() of over 4,300 digits with a ValueError; no field of ours needs
    # more than 19, so longer numbers are refused early and by name.
    if len(text.lstrip("-")) > MAX_JSON_DIGITS:
        raise BadBody("body", f"numbers in the body may have at most {MAX_JSON_DIGITS} digits")
    return int(text)


def _json_constant(text: str) -> float:
    raise BadBody("body", f"{text} is not a JSON number")
