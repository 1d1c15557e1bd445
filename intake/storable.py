"""What may join a durable commit: text both databases store and numbers within 64 bits.

A single value that SQLite or PostgreSQL refuses (a NUL byte, a lone UTF-16 surrogate, an
integer beyond BIGINT, a NaN that is not JSON) would fail the whole group commit it rides
in, so every request is checked here before it is queued.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

MAX_INT = 2**63 - 1
REPLACEMENT = "\ufffd"
_ENCODER = json.JSONEncoder(ensure_ascii=False, allow_nan=False)
NUL_ESCAPE = "\\u0000"  # how JSON writes a NUL character
_LONG_DIGITS = re.compile(r"[0-9]{19}")  # maybe an integer beyond 64 bits


@dataclass(frozen=True, slots=True)
class Unstorable:
    """Where a value no database would store sits, and why."""

    field: str
    reason: str


def text_problem(text: str) -> str | None:
    """Why this text cannot be stored, or None when it can."""
    if "\x00" in text:
        return "contains a NUL character"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return "contains an unpaired UTF-16 surrogate (not valid Unicode)"
    return None


def find_unstorable(value: Any, path: str = "") -> Unstorable | None:
    """The first value (depth first) that no database would store, with its dotted path."""
    text = _json_text(value)
    if text is not None and NUL_ESCAPE not in text and _LONG_DIGITS.search(text) is None:
        return None
    return _first_unstorable(value, path)


def _first_unstorable(value: Any, path: str) -> Unstorable | None:
    if isinstance(value, str):
        problem = text_problem(value)
        return Unstorable(path or "body", problem) if problem else None
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        if -MAX_INT - 1 <= value <= MAX_INT:
            return None
        return Unstorable(path or "body", "number is out of range (64-bit integer)")
    if isinstance(value, float):
        return None if math.isfinite(value) else Unstorable(path or "body", "not a finite number")
    if isinstance(value, Mapping):
        for key, item in value.items():
            name = str(key)
            if (problem := text_problem(name)) is not None:
                return Unstorable(_join(path, clean_text(name)), f"field name {problem}")
            found = _first_unstorable(item, _join(path, name))
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for item in value:
            found = _first_unstorable(item, path)
            if found is not None:
                return found
    return None


def scrubbed(value: Any, path: str = "", changed: list[str] | None = None) -> Any:
    """A copy that any database stores: bad text replaced with U+FFFD, wild numbers as text.

    Paths of the values that had to change are appended to `changed`, so the record can say
    it was altered.
    """
    if _plainly_storable(value):
        return value
    return _scrubbed(value, path, changed)


def _plainly_storable(value: Any) -> bool:
    """One C-speed serialization answers for nearly every request (the walk costs 4x more)."""
    # A NUL is escaped as backslash-u0000 (a client's literal one merely costs the walk). An
    # integer beyond 64 bits is let through here: both databases keep JSON as text, and a
    # BIGINT column refusing it later is a parked row, not a failed commit.
    text = _json_text(value)
    return text is not None and NUL_ESCAPE not in text


def _json_text(value: Any) -> str | None:
    """The value as JSON when it is JSON that encodes as UTF-8 (no NaN, no lone surrogate)."""
    try:
        text = _ENCODER.encode(value)
        text.encode("utf-8")
    except (TypeError, ValueError):  # UnicodeEncodeError and NaN are ValueErrors
        return None
    return text


def _scrubbed(value: Any, path: str = "", changed: list[str] | None = None) -> Any:
    changes = changed if changed is not None else []
    if isinstance(value, str):
        if text_problem(value) is None:
            return value
        changes.append(path or "body")
        return clean_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        if -MAX_INT - 1 <= value <= MAX_INT:
            return value
        changes.append(path or "body")
        return "<number out of range>"
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        changes.append(path or "body")
        return None
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            name = str(key)
            if text_problem(name) is not None:
                changes.append(_join(path, clean_text(name)))
                name = clean_text(name)
            out[name] = _scrubbed(item, _join(path, name), changes)
        return out
    if isinstance(value, list | tuple):
        return [_scrubbed(item, path, changes) for item in value]
    return value


def clean_text(text: str) -> str:
    """The text with every NUL and unpaired surrogate replaced by U+FFFD."""
    return "".join(REPLACEMENT if c == "\x00" or "\ud800" <= c <= "\udfff" else c for c in text)


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name
