"""What the telephony adapters share: form decoding, outcomes and wire value checks."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from channels.errors import InvalidSubmission, MalformedBody
from channels.telephony.model import CallEvent

# A PBX notification has a dozen fields; far more is not a PBX talking.
MAX_FORM_FIELDS = 100
# Counters and unix times fit in 18 digits; int() of thousands of digits is slow or refused.
MAX_DIGITS = 18


@dataclass(frozen=True, slots=True)
class IgnoredCall:
    """A request acknowledged without storing anything, and why (the const IGNORED_* names)."""

    event: str
    reason: str


@dataclass(frozen=True, slots=True)
class AcceptedCall:
    """A provider event to persist: the neutral event and the wire fields without secrets."""

    call: CallEvent
    payload: dict[str, Any]


HookResult = IgnoredCall | AcceptedCall


def decode_form(body: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body; a repeated field is a MalformedBody."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as err:
        raise MalformedBody("body is not valid UTF-8") from err
    try:
        pairs = parse_qsl(
            text,
            keep_blank_values=True,
            encoding="utf-8",
            errors="strict",
            max_num_fields=MAX_FORM_FIELDS,
        )
    except UnicodeDecodeError as err:
        raise MalformedBody("a form field is not valid UTF-8 once decoded") from err
    except ValueError as err:
        raise MalformedBody(f"malformed form body: {err}") from err
    form: dict[str, str] = {}
    for key, value in pairs:
        if key in form:
            # Two values for a signed field leave it unclear which one was signed.
            raise MalformedBody(f"form field {key!r} appears more than once")
        form[key] = value
    return form


def unix_time(value: object, field: str) -> datetime:
    """A unix timestamp in seconds (a number or a digit string) as an aware UTC datetime."""
    seconds = optional_int(value, field)
    if seconds is None:
        raise InvalidSubmission(field, f"{field} is required: unix time in seconds")
    if not 0 < seconds < 2**33:
        raise InvalidSubmission(field, f"{field} is not a plausible unix time: {seconds}")
    return datetime.fromtimestamp(seconds, UTC)


def optional_int(value: object, field: str) -> int | None:
    """A non-negative integer sent as a JSON number or a digit string; None when absent."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise InvalidSubmission(field, f"{field} must be an integer, got {value!r}")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        if len(value.strip()) > MAX_DIGITS:
            raise InvalidSubmission(field, f"{field} is too large: {len(value)} digits")
        number = int(value.strip())
    else:
        raise InvalidSubmission(field, f"{field} must be an integer, got {value!r}")
    if not 0 <= number < 10**MAX_DIGITS:
        raise InvalidSubmission(field, f"{field} must be a non-negative integer, got {number}")
    return number


def optional_text(value: object, field: str) -> str | None:
    """A string field stripped (numbers become text); None when absent or blank."""
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str):
        raise InvalidSubmission(field, f"{field} must be a string, got {type(value).__name__}")
    return value.strip() or None


def required_text(value: object, field: str) -> str:
    """A non-empty string field."""
    text = optional_text(value, field)
    if text is None:
        raise InvalidSubmission(field, f"{field} is required and must be a non-empty string")
    return text
