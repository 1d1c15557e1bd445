"""The file side of `import-contacts`: check and fingerprint a JSONL or CSV file, then read
it record by record."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dedupe.profile import RawIdentity
from offline.contact_import.const import FORMATS
from offline.csv_input import (
    CsvLayout,
    FileFormatError,
    ImportRow,
    detect_encoding,
    read_csv_contacts,
    read_layout,
)
from offline.jsonl_input import InputError, LineReader


class ImportFileError(Exception):
    """The file cannot be imported at all: missing, undecodable, no known column."""


@dataclass(frozen=True, slots=True)
class ImportFile:
    """An import file checked and fingerprinted, ready to be read record by record."""

    path: Path
    format: str
    encoding: str
    sha256: str
    lines: int
    layout: CsvLayout | None = None

    @property
    def key(self) -> int:
        """The file's id in the audit log (60 bits of its SHA-256)."""
        return int(self.sha256[:15], 16)

    @property
    def ref(self) -> str:
        """The prefix of the `external_ref` of contacts created from this file."""
        return self.sha256[:16]

    def rows(self) -> Iterator[ImportRow]:
        """Every record, in file order."""
        if self.layout is not None:
            return read_csv_contacts(self.path, self.layout)
        return _jsonl_rows(self.path, self.encoding)


def open_import_file(path: Path, fmt: str | None = None) -> ImportFile:
    """Check the file can be read (format, encoding, header) before the database is touched."""
    if not path.is_file():
        raise ImportFileError("no such file")
    fmt = fmt or FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ImportFileError("cannot tell the format from the extension: pass --format")
    try:
        sha256, lines = _fingerprint(path)
        encoding = detect_encoding(path, allow_cp1251=fmt == "csv")
        layout = read_layout(path, encoding) if fmt == "csv" else None
    except FileFormatError as err:
        raise ImportFileError(str(err)) from err
    except OSError as err:
        raise ImportFileError(f"cannot read: {err.strerror}") from err
    return ImportFile(path, fmt, encoding, sha256, lines, layout)


def _jsonl_rows(path: Path, encoding: str) -> Iterator[ImportRow]:
    with path.open(encoding=encoding) as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                yield _jsonl_row(path, number, line)


def _jsonl_row(path: Path, number: int, line: str) -> ImportRow:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as err:
        return ImportRow(number, None, problem=f"not valid JSON ({err.msg}, column {err.colno})")
    if not isinstance(value, dict):
        return ImportRow(number, None, problem="not a JSON object")
    reader = LineReader(path, number, value)
    try:
        ref = reader.optional_ident("id")
        raw = RawIdentity(
            name=reader.text("name"),
            phones=reader.texts("phones") + reader.texts("phone"),
            emails=reader.texts("emails") + reader.texts("email"),
            company=reader.text("company"),
            inn=reader.text("inn"),
            telegram_id=reader.text("telegram_id"),
            telegram_username=reader.text("telegram_username"),
            vk_id=reader.text("vk_id"),
        )
    except InputError as err:
        # The message starts with "path:line"; the summary names the line itself.
        problem = str(err).removeprefix(f"{path}:{number}").lstrip(": ")
        return ImportRow(number, None, problem=problem)
    return ImportRow(number, raw, ref=None if ref is None else str(ref))


def _fingerprint(path: Path) -> tuple[str, int]:
    digest = hashlib.sha256()
    lines = 0
    last = b"\n"
    with path.open("rb") as stream:
        while chunk := stream.read(1 << 20):
            digest.update(chunk)
            lines += chunk.count(b"\n")
            last = chunk[-1:]
    return digest.hexdigest(), lines + (last != b"\n")
