"""Nested JSON form bodies flattened to dotted names, within bounds a hostile body cannot pass.

`{"answers": {"name": "Анна"}}` gives `("answers.name", "Анна")`; an array keeps every value
under its parent's name (`{"tags": ["a", "b"]}` gives two `tags` pairs, a list of objects gives
`items.sku` once per item). Depth and the number of fields are bounded: an attacker's body of
64 KiB can otherwise nest thousands of levels or hold thousands of one-byte fields.
"""

from __future__ import annotations

import json
from typing import Any

from channels.errors import MalformedBody

Pairs = list[tuple[str, str]]

# Levels of objects and arrays, counting the body itself: Yandex Forms' deepest answer
# (params.answer → answer.data.<slug>.value[].text) needs 6.
MAX_DEPTH = 10
# Real forms send tens of fields; a body with more than this is not a person filling a form.
MAX_FIELDS = 1000
# A hostile body's field names can be long; an error message quotes at most this much.
_NAME_IN_ERROR = 80


def flatten_object(
    data: dict[str, Any],
    *,
    prefix: str = "",
    max_depth: int = MAX_DEPTH,
    max_fields: int = MAX_FIELDS,
) -> Pairs:
    """Every scalar of a JSON object as (dotted path, text), in document order."""
    if not any(isinstance(v, dict | list) for v in data.values()):
        # The common flat form: one pass, no stack (the walk costs 3x more per request).
        if len(data) > max_fields:
            raise MalformedBody(f"more than {max_fields} form fields in the body", field="body")
        return [(_join(prefix, str(k)), scalar_text(v)) for k, v in data.items()]
    pairs: Pairs = []
    # An explicit stack, not recursion: the bound is checked before anything deep is walked.
    stack: list[tuple[str, Any, int]] = [(prefix, data, 1)]
    while stack:
        path, value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > max_depth:
                raise MalformedBody(
                    f"field {_shown(path)!r} is nested more than {max_depth} levels deep",
                    field=_shown(path),
                )
            children = (
                [(_join(path, str(k)), v) for k, v in value.items()]
                if isinstance(value, dict)
                else [(path, v) for v in value]
            )
            stack.extend((p, v, depth + 1) for p, v in reversed(children))
            continue
        if len(pairs) >= max_fields:
            raise MalformedBody(
                f"more than {max_fields} form fields in the body", field=_shown(path)
            )
        pairs.append((path, scalar_text(value)))
    return pairs


def scalar_text(value: Any) -> str:
    """A JSON scalar as form text: null is "", booleans are "true"/"false"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, ensure_ascii=False)


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _shown(path: str) -> str:
    return path if len(path) <= _NAME_IN_ERROR else path[:_NAME_IN_ERROR] + "…"
