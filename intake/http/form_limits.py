"""Refuse a form submission that could not be stored or would cost too much to keep."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from aiohttp import web

from config.settings import IntakeSettings
from intake.http.errors import error_response
from intake.storable import clean_text, text_problem


def refusal(fields: Mapping[str, Sequence[str]], limits: IntakeSettings) -> web.Response | None:
    """A 400 naming the first field over the limits or holding unstorable text, else None."""
    count = sum(map(len, fields.values()))
    if count > limits.max_form_fields:
        return error_response(
            400,
            "too_many_fields",
            f"the form has {count} field values; at most {limits.max_form_fields} are accepted",
            field="body",
        )
    # Form values are text: a NUL or a lone surrogate is all that a database would refuse.
    for name, values in fields.items():
        if (problem := text_problem(name)) is not None:
            field = clean_text(name)
            return error_response(400, "invalid_text", f"field name {problem}", field=field)
        for value in values:
            if len(value) > limits.max_field_chars:
                return error_response(
                    400,
                    "field_too_long",
                    f"{name} is longer than {limits.max_field_chars} characters",
                    field=name,
                )
            if (problem := text_problem(value)) is not None:
                return error_response(400, "invalid_text", f"{name} {problem}", field=name)
    return None
