"""Reading the JSONL contact, company and lead files of `dedupe-eval` (and imports)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from dedupe.profile import RawIdentity


class InputError(Exception):
    """A malformed input line, naming the file, line and field."""

    def __init__(self, path: Path, line: int, field: str | None, message: str) -> None:
        where = f"{path}:{line}" + (f" field {field!r}" if field else "")
        super().__init__(f"{where}: {message}")
        self.path, self.line, self.field, self.message = path, line, field, message

    def __reduce__(self) -> tuple[type[InputError], tuple[Path, int, str | None, str]]:
        # Raised in loader worker processes: rebuild from the parts, not the formatted text.
        return InputError, (self.path, self.line, self.field, self.message)


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for every non-blank line."""
    for number, line in read_lines(path):
        yield number, parse_line(path, number, line)


def read_lines(path: Path) -> Iterator[tuple[int, str]]:
    """(line number, text) for every non-blank line, unparsed."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield number, line


def parse_line(path: Path, number: int, line: str) -> dict[str, Any]:
    """One JSONL line as an object; InputError names the line when it is not one."""
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputError(path, number, None, f"not valid JSON ({err.msg})") from err
    if not isinstance(value, dict):
        raise InputError(path, number, None, "each line must be a JSON object")
    return value


class LineReader:
    """Typed access to one line's fields with errors that name the field."""

    def __init__(self, path: Path, number: int, value: dict[str, Any]) -> None:
        self._path, self._number, self._value = path, number, value

    def error(self, field: str, message: str) -> InputError:
        """An InputError about one field of this line."""
        return InputError(self._path, self._number, field, message)

    def ident(self, field: str = "id") -> str | int:
        """A required id (string or integer)."""
        value = self._value.get(field)
        if isinstance(value, bool) or not isinstance(value, str | int) or value == "":
            raise self.error(field, "required, a string or an integer")
        return value

    def optional_ident(self, field: str) -> str | int | None:
        """An optional id."""
        if self._value.get(field) is None:
            return None
        return self.ident(field)

    def text(self, field: str) -> str | None:
        """An optional string (numbers are accepted and turned into text)."""
        value = self._value.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise self.error(field, "must be a string")
        return str(value)

    def texts(self, field: str) -> tuple[str, ...]:
        """An optional list of strings (a single string is accepted as a one-item list)."""
        value = self._value.get(field)
        if value is None:
            return ()
        if isinstance(value, str):
            return (value,)
        if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
            raise self.error(field, "must be a list of strings")
        return tuple(str(v) for v in value)


def contact_line(reader: LineReader) -> tuple[str | int, str | int | None, RawIdentity]:
    """(id, company id, identity) of a contacts.jsonl line."""
    return (
        reader.ident(),
        reader.optional_ident("company_id"),
        RawIdentity(
            name=reader.text("name"),
            phones=reader.texts("phones"),
            emails=reader.texts("emails"),
            company=reader.text("company"),
            telegram_id=reader.text("telegram_id"),
            telegram_username=reader.text("telegram_username"),
            vk_id=reader.text("vk_id"),
        ),
    )


def company_line(reader: LineReader) -> tuple[str | int, RawIdentity]:
    """(id, identity) of a companies.jsonl line."""
    return reader.ident(), RawIdentity(
        company=reader.text("name"),
        inn=reader.text("inn"),
        phones=reader.texts("phones"),
        emails=reader.texts("emails"),
        website=reader.text("website"),
    )


def lead_line(reader: LineReader) -> tuple[str | int, RawIdentity]:
    """(id, identity) of a leads.jsonl line."""
    return reader.ident(), RawIdentity(
        name=reader.text("name"),
        phones=tuple(p for p in [reader.text("phone")] if p),
        emails=tuple(e for e in [reader.text("email")] if e),
        company=reader.text("company"),
        inn=reader.text("inn"),
        telegram_id=reader.text("telegram_id"),
        telegram_username=reader.text("telegram_username"),
        vk_id=reader.text("vk_id"),
        text=reader.text("text"),
    )
