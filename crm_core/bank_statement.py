"""The bank statement every Russian bank exports for 1C: the `1CClientBankExchange` text
format (key=value lines, cp1251 as banks write it, cp866 when `Кодировка=DOS`).

Pure: bytes in, documents out. Only the document sections are read (`СекцияДокумент=...` up
to `КонецДокумента`); which of them are incoming to the company's account is the caller's
choice (`ПолучательСчет`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from crm_core.errors import DomainError
from crm_core.money import MONEY_MAX, money

HEADER = "1CClientBankExchange"
MAX_DOCUMENTS = 10_000
_INN_PREFIX = re.compile(r"^ИНН\s*[0-9]{10,12}\s+")


@dataclass(frozen=True, slots=True)
class StatementDocument:
    """One payment document of a statement, as the bank wrote it."""

    kind: str
    number: str
    date: date
    amount: Decimal
    payer_name: str | None
    payer_inn: str | None
    payer_account: str | None
    recipient_account: str | None
    purpose: str | None

    @property
    def identity_key(self) -> str:
        """The same payment in another statement: date, number, amount and payer's INN."""
        return f"{self.date.isoformat()}|{self.number}|{self.amount}|{self.payer_inn or ''}"


def statement_text(data: bytes) -> str:
    """The file's text: cp1251, or cp866 when its header says `Кодировка=DOS`; a UTF-8 file
    (with its BOM) is read as such. DomainError naming `body` unless it is a 1C exchange."""
    if data.startswith(b"\xef\xbb\xbf"):
        text = data[3:].decode("utf-8", errors="replace")
    else:
        # The header's key reads differently in each encoding: its value tells.
        dos = re.search(rb"^[^=\r\n]+=DOS\r?$", data[:4096], re.MULTILINE)
        text = data.decode("cp866" if dos else "cp1251", errors="replace")
    if text.lstrip().split("\n", 1)[0].strip() != HEADER:
        raise DomainError("body", f"not a bank statement: the file must start with {HEADER}")
    return text


def parse_statement(data: bytes) -> list[StatementDocument]:
    """Every payment document of a statement, in the file's order; DomainError naming the
    document and key at fault (`documents.3.Сумма`)."""
    documents: list[StatementDocument] = []
    section: dict[str, str] | None = None
    kind = ""
    for raw in statement_text(data).splitlines():
        line = raw.strip()
        key, sep, value = line.partition("=")
        if key == "СекцияДокумент":
            section, kind = {}, value.strip()
        elif line == "КонецДокумента" and section is not None:
            documents.append(_document(kind, section, len(documents)))
            section = None
            if len(documents) > MAX_DOCUMENTS:
                raise DomainError(
                    "body", f"a statement may hold at most {MAX_DOCUMENTS} documents"
                )
        elif section is not None and sep:
            section[key.strip()] = value.strip()
    return documents


def _document(kind: str, fields: dict[str, str], index: int) -> StatementDocument:
    where = f"documents.{index}."
    number = fields.get("Номер", "")
    if not number:
        raise DomainError(where + "Номер", "a payment document needs its number (Номер)")
    try:
        day = datetime.strptime(fields.get("Дата", ""), "%d.%m.%Y").date()  # noqa: DTZ007
    except ValueError as err:
        raise DomainError(where + "Дата", "Дата must be a date written as DD.MM.YYYY") from err
    amount = money(fields.get("Сумма", ""), where + "Сумма", maximum=MONEY_MAX)
    if amount <= 0:
        raise DomainError(where + "Сумма", "Сумма must be above zero")
    payer = fields.get("Плательщик1") or _INN_PREFIX.sub("", fields.get("Плательщик", ""))
    return StatementDocument(
        kind=kind,
        number=number,
        date=day,
        amount=amount,
        payer_name=payer or None,
        payer_inn=fields.get("ПлательщикИНН") or None,
        payer_account=fields.get("ПлательщикСчет") or fields.get("ПлательщикРасчСчет") or None,
        recipient_account=(
            fields.get("ПолучательСчет") or fields.get("ПолучательРасчСчет") or None
        ),
        purpose=fields.get("НазначениеПлатежа") or None,
    )
