"""Refuse a form submission that could not be stored or would cost too much to keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from config.settings import IntakeSettings
from intake.http.errors import error_response
from intake.storable import find_unstorable


def refusal(fields: Mapping[str, Sequence[str]], limits: IntakeSettings) -> web.Response | None:
    """A 400 naming the first field over the limits or holding unstorable text, else None."""
    count = sum(len(values) for values in fields.values())
    if count > limits.max_form_fields:
        return error_response(
            400,
            "too_many_fields",
            f"the form has {count} field values; at most {limits.max_form_fields} are accepted",
            field="body",
        )
    for name, values in fields.items():
        if any(len(v) > limits.max_field_chars for v in values):
            return error_response(
                400,
                "field_too_long",
                f"{name} is longer than {limits.max_field_chars} characters",
                field=name,
            )
    bad = find_unstorable(dict(fields))
    if bad is not None:
        return error_response(400, "invalid_text", f"{bad.field} {bad.reason}", field=bad.field)
    return None
