"""What may join a durable commit, and how relayed free text is made storable."""

from __future__ import annotations

import json

import pytest

from intake.storable import MAX_INT, Unstorable, find_unstorable, scrubbed


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"name": ["Анна"], "n": 5, "ok": True, "none": None}, None),
        ({"name": ["A\x00"]}, Unstorable("name", "contains a NUL character")),
        (
            {"a": {"b": ["x", "\ud800"]}},
            Unstorable("a.b", "contains an unpaired UTF-16 surrogate (not valid Unicode)"),
        ),
        ({"n": MAX_INT + 1}, Unstorable("n", "number is out of range (64-bit integer)")),
        ({"n": -MAX_INT - 1}, None),
        ({"f": float("nan")}, Unstorable("f", "not a finite number")),
        ({"\x00k": "v"}, Unstorable("\ufffdk", "field name contains a NUL character")),
        (
            "\udc80",
            Unstorable("body", "contains an unpaired UTF-16 surrogate (not valid Unicode)"),
        ),
    ],
)
def test_find_unstorable_names_the_first_bad_value(value: object, expected: object) -> None:
    assert find_unstorable(value) == expected


def test_scrubbed_replaces_bad_text_and_lists_what_changed() -> None:
    changed: list[str] = []
    value = {"text": "при\x00вет", "from": {"name": "\ud83dX"}, "n": 2**80, "ok": "да"}
    clean = scrubbed(value, "", changed)
    assert clean == {
        "text": "при\ufffdвет",
        "from": {"name": "\ufffdX"},
        "n": "<number out of range>",
        "ok": "да",
    }
    assert changed == ["text", "from.name", "n"]
    json.dumps(clean, ensure_ascii=False).encode("utf-8")  # storable now
    assert find_unstorable(clean) is None


def test_scrubbed_keeps_clean_values_identical() -> None:
    value = {"a": [1, 2.5, "текст", None, False]}
    changed: list[str] = []
    assert scrubbed(value, "", changed) == value
    assert changed == []
