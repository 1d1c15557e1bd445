"""Yandex Forms preset: the answer JSON Yandex Forms sends, mapped without a field_map.

Yandex Forms posts a form's answers from its "Integrations" tab in one of two ways:

- a JSON-RPC POST: `{"jsonrpc": "2.0", "method": ..., "params": {...}, "id": ...}` where each
  parameter is a value the form's owner chose; the variable "all answers as JSON" is itself a
  JSON document inside a string (`"params": {"answer": "{\\"id\\": 1283743918, ...}"}`);
- a request with a body the owner writes, usually that same answer JSON or an object of
  chosen values (`{"answers": {"name": ..., "phone": ...}}`).

The answer JSON holds `id` (the answer's id: our idempotency key), `survey.id`, `created` and
`answer.data`, one entry per question keyed by its slug:
`{"value": ..., "question": {"slug": "answer_phone_4815", "answer_type": {"slug": "answer_phone"},
"label": "Телефон"}}`. A choice's value is a list of `{"key", "text"}`, a file's a list of
`{"name", ...}`. Each entry becomes one field named by its slug, mapped by its answer type
(phone, e-mail, name parts), else by its label or slug through the usual aliases. Any other
nested value maps by its last name segment (`answers.phone`, `params.email`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from channels.errors import MalformedBody
from channels.webform.nested import MAX_FIELDS, Pairs, flatten_object

PRESET = "yandex_forms"

# answer_type.slug → canonical field
ANSWER_TYPES: Mapping[str, str] = {
    "answer_phone": "phone",
    "answer_non_profile_email": "email",
    "answer_email": "email",
    "answer_name": "first_name",
    "answer_surname": "last_name",
    "answer_patronymic": "patronymic",
    "answer_long_text": "comment",
}
# Profile questions ("Имя", "Фамилия", "Телефон" from the respondent's Yandex ID) by slug.
PARAM_SLUGS: Mapping[str, str] = {
    "param_name": "first_name",
    "param_surname": "last_name",
    "param_patronymic": "patronymic",
    "param_phone": "phone",
    "param_email": "email",
    "param_subscribed_email": "email",
}
# "…answer.data.<slug>.<rest>": one question's value and description.
_ENTRY = re.compile(r"^(?P<root>(?:.+\.)?)answer\.data\.(?P<key>[^.]+)\.(?P<rest>.+)$")
# Where a question's answer text sits, best first: plain values, choices, files.
_VALUE_PATHS = ("value", "value.text", "value.name", "value.value")
_LABEL_PATHS = ("question.label", "question.label.ru", "question.label.en")
# A yes/no question asking for consent to personal data processing (152-FZ).
_CONSENT_LABEL = re.compile(r"согласи|персональн|consent", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Mapped:
    """The pairs to keep and the names the preset maps to canonical fields."""

    pairs: Pairs
    field_map: dict[str, str] = field(default_factory=dict)


@dataclass
class _Entry:
    key: str
    parts: dict[str, list[str]] = field(default_factory=dict)

    def first(self, *paths: str) -> str | None:
        return next((v for p in paths for v in self.parts.get(p, []) if v.strip()), None)

    def values(self) -> list[str]:
        return next((vs for p in _VALUE_PATHS if (vs := self.parts.get(p))), [])


def map_yandex_forms(pairs: Pairs, canonical_of: Callable[[str], str | None]) -> Mapped:
    """Yandex Forms' answer JSON (plain or inside a JSON-RPC string) as named fields.

    `canonical_of` maps a folded field name through the built-in aliases.
    """
    expanded = _expand_json_strings(pairs)
    entries: dict[tuple[str, str], _Entry] = {}
    roots: set[str] = set()
    rest: Pairs = []
    for name, value in expanded:
        match = _ENTRY.match(name)
        if match is None:
            rest.append((name, value))
            continue
        roots.add(match["root"])
        entry = entries.setdefault((match["root"], match["key"]), _Entry(match["key"]))
        entry.parts.setdefault(match["rest"], []).append(value)
    out: Pairs = []
    field_map: dict[str, str] = {}
    for entry in entries.values():
        slug = entry.first("question.slug") or entry.key
        out.extend((slug, v) for v in entry.values())
        canonical = _entry_canonical(entry, slug, canonical_of)
        if canonical:
            field_map.setdefault(slug, canonical)
    for name, value in rest:
        out.append((name, value))
        root, _, last = name.rpartition(".")
        if last == "id" and (f"{root}." if root else "") in roots:
            field_map[name] = "submission_id"  # the answer's own id: a re-send is a retry
        elif root and (canonical := canonical_of(last)):
            field_map.setdefault(name, canonical)
    return Mapped(out, field_map)


def _entry_canonical(
    entry: _Entry, slug: str, canonical_of: Callable[[str], str | None]
) -> str | None:
    answer_type = entry.first("question.answer_type.slug") or ""
    by_type = ANSWER_TYPES.get(answer_type) or PARAM_SLUGS.get(slug)
    if by_type:
        return by_type
    label = entry.first(*_LABEL_PATHS)
    if answer_type == "answer_boolean" and label and _CONSENT_LABEL.search(label):
        return "consent"
    return (canonical_of(label) if label else None) or canonical_of(slug)


def _expand_json_strings(pairs: Pairs) -> Pairs:
    """JSON-RPC parameters holding a JSON object as text, flattened under their own name."""
    out: Pairs = []
    for name, value in pairs:
        nested = _json_object(name, value) if name.startswith("params.") else None
        if nested is None:
            out.append((name, value))
            continue
        out.extend(flatten_object(nested, prefix=name, max_fields=MAX_FIELDS - len(out)))
    if len(out) > MAX_FIELDS:
        raise MalformedBody(f"more than {MAX_FIELDS} form fields in the body", field="params")
    return out


def _json_object(name: str, value: str) -> dict[str, object] | None:
    if not value.lstrip().startswith("{"):
        return None
    try:
        data = json.loads(value)
    except RecursionError as err:
        raise MalformedBody(f"{name} is nested too deeply", field=name) from err
    except ValueError:
        return None  # text that merely starts with a brace: kept as it is
    return data if isinstance(data, dict) else None
