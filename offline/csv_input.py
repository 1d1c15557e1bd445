"""Reading contact exports in CSV (Bitrix24, amoCRM and alike) for `import-contacts`.

Encoding (UTF-8 with or without BOM, UTF-16 with BOM, Windows-1251) and delimiter (`;`,
`,`, tab) are detected; columns are recognised by their header, case-insensitively.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from dedupe.profile import RawIdentity

CHUNK = 1 << 20
SNIFF_BYTES = 64 * 1024
DELIMITERS = (";", ",", "\t")
# csv's default limit (128 KiB) is far above any real cell; a larger one means a broken file.
FIELD_LIMIT = 1 << 20

# Header (folded, see _fold) → field. Several columns may feed one field: all phone and
# e-mail columns are collected, the first non-empty value wins for the others.
EXACT_HEADERS: dict[str, str] = {
    **dict.fromkeys(
        ("полное имя", "фио", "ф.и.о.", "ф и о", "name", "full name", "контакт", "имя контакта"),
        "name",
    ),
    **dict.fromkeys(("имя", "first name", "firstname", "given name"), "first"),
    **dict.fromkeys(("фамилия", "last name", "lastname", "surname", "family name"), "last"),
    **dict.fromkeys(
        ("отчество", "middle name", "second name", "patronymic", "middlename"), "middle"
    ),
    **dict.fromkeys(
        ("компания", "company", "название компании", "company name", "организация"), "company"
    ),
    **dict.fromkeys(("инн", "inn", "инн компании"), "inn"),
    **dict.fromkeys(("вконтакте", "vk", "вк", "vkontakte", "vk id"), "vk"),
    **dict.fromkeys(("telegram", "телеграм", "телеграмм", "tg"), "telegram"),
    **dict.fromkeys(("id", "ид", "external id"), "id"),
    **dict.fromkeys(("должность", "position", "job title"), "position"),
}
# Substrings for the families of columns: "Рабочий телефон", "Частный e-mail", "Мобильный"...
PARTIAL_HEADERS: tuple[tuple[str, str], ...] = (
    ("телефон", "phone"),
    ("phone", "phone"),
    ("мобильный", "phone"),
    ("email", "email"),
    ("почта", "email"),
    ("telegram", "telegram"),
    ("телеграм", "telegram"),
    ("вконтакте", "vk"),
)
# Recognised, but nothing in a contact record holds them (yet).
NOT_STORED = frozenset({"position"})
IDENTITY_FIELDS = frozenset({"name", "first", "last", "phone", "email", "telegram", "vk"})
PHONE_SEPARATORS = re.compile(r"[,;\n]+")
EMAIL_SEPARATORS = re.compile(r"[,;\s]+")


class FileFormatError(Exception):
    """The file cannot be read as a contact export at all (encoding, header, structure)."""


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One record of an import file: its first line and identity, or why it is unusable."""

    line: int
    raw: RawIdentity | None
    ref: str | None = None
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class CsvLayout:
    """How a CSV file is written and which column feeds which field."""

    encoding: str
    delimiter: str
    fields: dict[int, str]
    unknown: tuple[str, ...] = ()
    not_stored: tuple[str, ...] = ()


def detect_encoding(path: Path, *, allow_cp1251: bool = True) -> str:
    """The codec a text file is in: a BOM decides, else strict UTF-8, else Windows-1251."""
    with path.open("rb") as stream:
        head = stream.read(4)
        if head.startswith(codecs.BOM_UTF8):
            encoding = "utf-8-sig"
        elif head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            return "utf-16"
        elif head.startswith(b"PK\x03\x04"):
            raise FileFormatError("this is an Excel/zip file, not text: save it as CSV first")
        else:
            encoding = "utf-8"
        stream.seek(0)
        candidates = [encoding, "cp1251"] if allow_cp1251 else [encoding]
        decoders = {name: codecs.getincrementaldecoder(name)("strict") for name in candidates}
        offset = 0
        failed: dict[str, int] = {}
        while decoders and (chunk := stream.read(CHUNK)):
            for name, decoder in list(decoders.items()):
                try:
                    decoder.decode(chunk)
                except UnicodeDecodeError as err:
                    failed[name] = offset + err.start
                    del decoders[name]
            if b"\x00" in chunk:
                raise FileFormatError("binary data (NUL bytes): not a text export")
            offset += len(chunk)
        for name, decoder in list(decoders.items()):
            try:
                decoder.decode(b"", final=True)
            except UnicodeDecodeError:
                failed[name] = offset
                del decoders[name]
    if encoding in decoders:
        return encoding
    if "cp1251" in decoders:
        return "cp1251"
    expected = "UTF-8 or Windows-1251" if allow_cp1251 else "UTF-8"
    raise FileFormatError(
        f"cannot decode: not {expected} (first bad byte at offset {failed[encoding]})"
    )


def read_layout(path: Path, encoding: str) -> CsvLayout:
    """Pick the delimiter that recognises most columns in the header; map the columns."""
    with path.open(encoding=encoding, newline="") as text:
        sample = text.read(SNIFF_BYTES)
    if not sample.strip():
        raise FileFormatError("the file is empty")
    best: tuple[int, int, str, list[str]] | None = None
    for delimiter in DELIMITERS:
        try:
            header = next(csv.reader(sample.splitlines(), delimiter=delimiter), [])
        except csv.Error:
            continue
        known = sum(1 for h in header if _field_of(h) is not None)
        candidate = (known, len(header), delimiter, header)
        if best is None or candidate[:2] > best[:2]:
            best = candidate
    if best is None or best[0] == 0:
        raise FileFormatError(
            "no known column in the header (expected e.g. Имя, Фамилия, Телефон, E-mail,"
            " Компания; or Name, Phone, Email, Company)"
        )
    _, _, delimiter, header = best
    fields: dict[int, str] = {}
    unknown: list[str] = []
    not_stored: list[str] = []
    for index, title in enumerate(header):
        kind = _field_of(title)
        if kind is None:
            if title.strip():
                unknown.append(title.strip())
        elif kind in NOT_STORED:
            not_stored.append(title.strip())
        else:
            fields[index] = kind
    if not IDENTITY_FIELDS & set(fields.values()):
        raise FileFormatError("no name, phone, e-mail or messenger column in the header")
    return CsvLayout(encoding, delimiter, fields, tuple(unknown), tuple(not_stored))


def read_csv_contacts(path: Path, layout: CsvLayout) -> Iterator[ImportRow]:
    """Every non-empty record after the header, numbered by the line it starts on."""
    csv.field_size_limit(FIELD_LIMIT)
    with path.open(encoding=layout.encoding, newline="") as text:
        reader = csv.reader(text, delimiter=layout.delimiter)
        try:
            next(reader, None)
            start = reader.line_num + 1
            for record in reader:
                line, start = start, reader.line_num + 1
                if any(cell.strip() for cell in record):
                    yield _row(line, record, layout)
        except csv.Error as err:
            raise FileFormatError(f"line {reader.line_num}: broken CSV ({err})") from err


def _row(line: int, record: list[str], layout: CsvLayout) -> ImportRow:
    values: dict[str, list[str]] = {}
    for index, kind in layout.fields.items():
        if index < len(record) and (cell := record[index].strip()):
            values.setdefault(kind, []).append(cell)

    def first(kind: str) -> str | None:
        return values[kind][0] if kind in values else None

    name = first("name") or " ".join(
        part for part in (first("last"), first("first"), first("middle")) if part
    )
    telegram = first("telegram")
    return ImportRow(
        line,
        RawIdentity(
            name=name or None,
            phones=tuple(_split(values.get("phone", []), PHONE_SEPARATORS)),
            emails=tuple(_split(values.get("email", []), EMAIL_SEPARATORS)),
            company=first("company"),
            inn=first("inn"),
            # The column holds either a numeric id or a @username; the normalizers keep
            # whichever it is and drop the other.
            telegram_id=telegram,
            telegram_username=telegram,
            vk_id=first("vk"),
        ),
        ref=first("id"),
    )


def _split(cells: list[str], separators: re.Pattern[str]) -> Iterator[str]:
    for cell in cells:
        yield from (part.strip() for part in separators.split(cell) if part.strip())


def _fold(title: str) -> str:
    text = title.strip().strip('"').strip().casefold().replace("ё", "е")
    text = re.sub(r"\be[\s-]?mail\b", "email", text)
    return " ".join(text.split())


def _field_of(title: str) -> str | None:
    folded = _fold(title)
    if not folded:
        return None
    if folded in EXACT_HEADERS:
        return EXACT_HEADERS[folded]
    if "факс" in folded or "fax" in folded:
        return None
    return next((kind for part, kind in PARTIAL_HEADERS if part in folded), None)
