"""Importing the catalogue from a CSV file: Bitrix24's and 1C's product exports, or any table
with the usual Russian column names.

Columns are recognised by name, spaces, dots, commas and case aside ("Ед. изм." is
"ед.изм"); the first column matching a field wins and unknown columns are reported, not
refused:

| field          | column names                                                       |
|----------------|--------------------------------------------------------------------|
| name *         | Название, Наименование, Наименование товара, Товар, Номенклатура,   |
|                | Name                                                               |
| price *        | Цена, Цена продажи, Розничная цена, Цена за единицу, Цена руб,      |
|                | Стоимость, Price                                                   |
| sku            | Артикул, SKU, Article                                              |
| unit           | Ед. изм., Единица измерения, Ед., Единица, Measure                 |
| vat_rate       | Ставка НДС, НДС, НДС %, Налог, VAT (20, 20%, НДС 20%, Без НДС)      |
| vat_included   | НДС включен в цену, НДС включён в цену (Да/Нет, Y/N)                |
| kind           | Тип, Вид номенклатуры, Тип номенклатуры (Товар, Услуга)             |
| active         | Активность, Активен, Active (Да/Нет, Y/N, 1/0)                      |
| description    | Описание, Description                                              |
| currency       | Валюта, Currency (only RUB / руб. / 643 is taken)                  |

(* required.) An empty VAT rate is an error naming the row, not "без НДС": a guess would
print a wrong VAT on every document. A type is a service when it says "услуга" ("Услуга",
"Услуги"), else a product ("Товар", "Простой товар"). The file is UTF-8 (with or
without a BOM) or Windows-1251, separated by ';', ',' or tabs; prices may be written
"1 234,50". A row updates the product with its SKU, else the product without an SKU that
has its exact name (case aside), else creates one. The file is taken whole or not at all:
every wrong row is named.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from crm_core.catalogue import (
    ProductFields,
    ProductKind,
    product_fields,
    require_editor,
    search_text,
)
from crm_core.errors import DomainError, NotFound
from crm_core.model import AuditEntry, Manager

if TYPE_CHECKING:
    from crm_core.storage.ports import UnitOfWork

MAX_ROWS = 5000
MAX_ERRORS = 50
COLUMNS: dict[str, tuple[str, ...]] = {
    "name": (
        "Название",
        "Наименование",
        "Наименование товара",
        "Название товара",
        "Товар",
        "Номенклатура",
        "Name",
    ),
    "price": (
        "Цена",
        "Цена продажи",
        "Розничная цена",
        "Цена за единицу",
        "Цена, руб.",
        "Стоимость",
        "Price",
    ),
    "sku": ("Артикул", "SKU", "Article"),
    "unit": ("Ед. изм.", "Единица измерения", "Ед.", "Единица", "Measure"),
    "vat_rate": ("Ставка НДС", "НДС", "НДС, %", "Налог", "VAT", "VAT rate"),
    "vat_included": ("НДС включен в цену", "НДС включён в цену", "VAT included"),
    "kind": ("Тип", "Вид номенклатуры", "Тип номенклатуры", "Type"),
    "active": ("Активность", "Активен", "Активный", "Active"),
    "description": ("Описание", "Description"),
    "currency": ("Валюта", "Currency"),
}
REQUIRED = ("name", "price", "vat_rate")
_YES = {"да", "y", "yes", "1", "true", "истина", "+"}
_NO = {"нет", "n", "no", "0", "false", "ложь", "-", ""}
_ROUBLES = {"rub", "rur", "руб", "рубль", "рубли", "643", ""}


def header_key(text: str) -> str:
    """A column name reduced to its letters and digits, lower case (ё as е)."""
    return re.sub(r"[\W_]+", "", text.casefold().replace("ё", "е"))


_FIELD_BY_HEADER = {header_key(name): f for f, names in COLUMNS.items() for name in names}


@dataclass(frozen=True, slots=True)
class RowError:
    """What is wrong in the file: its row (1 is the header) and column."""

    row: int
    column: str
    message: str


class ImportRefused(DomainError):
    """The file cannot be imported: every wrong row named (up to MAX_ERRORS)."""

    def __init__(self, message: str, errors: list[RowError]) -> None:
        super().__init__("file", message, 422)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class ImportRow:
    """One row of the file as product fields."""

    row: int
    fields: ProductFields


@dataclass(frozen=True, slots=True)
class ParsedFile:
    """The rows read and the columns nobody asked for."""

    rows: list[ImportRow]
    ignored_columns: list[str]


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did."""

    rows: int
    created: int
    updated: int
    ignored_columns: list[str]


def decode(data: bytes) -> str:
    """The file's text: UTF-8 (a BOM dropped), else Windows-1251 (as 1C and Excel save)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1251", errors="replace")


def parse_csv(data: bytes) -> ParsedFile:
    """The file's rows as product fields; ImportRefused naming every wrong row."""
    text = decode(data).replace("\x00", "")
    lines = text.splitlines()
    if not lines or not lines[0].strip():
        raise ImportRefused("the file is empty: a header row is needed", [])
    try:
        return _parse_rows(text, _delimiter(lines[0]))
    except csv.Error as err:
        raise ImportRefused(f"the file is not valid CSV: {err}", []) from err


def _parse_rows(text: str, delimiter: str) -> ParsedFile:
    # newline="": the csv module itself reads line ends, a lone CR included.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    header = next(reader)
    columns: dict[str, int] = {}
    ignored: list[str] = []
    for index, title in enumerate(header):
        found = _FIELD_BY_HEADER.get(header_key(title))
        if found and found not in columns:
            columns[found] = index
        elif title.strip():
            ignored.append(title.strip())
    missing = [COLUMNS[f][0] for f in REQUIRED if f not in columns]
    if missing:
        raise ImportRefused(
            "the file has no column " + ", ".join(f"«{m}»" for m in missing),
            [RowError(1, m, "столбец не найден") for m in missing],
        )
    rows: list[ImportRow] = []
    errors: list[RowError] = []
    first_row_of: dict[str, int] = {}
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(rows) + len(errors) >= MAX_ROWS:
            raise ImportRefused(f"the file has more than {MAX_ROWS} rows; split it", [])
        values = {f: cells[i] if i < len(cells) else "" for f, i in columns.items()}
        try:
            fields = _row_fields(values)
        except DomainError as err:
            title = header[columns[err.field]] if err.field in columns else err.field
            errors.append(RowError(number, title.strip(), err.message))
            continue
        key = fields.sku or search_text(fields.name, None)
        if key in first_row_of:
            column = "sku" if fields.sku else "name"
            errors.append(
                RowError(
                    number,
                    header[columns[column]].strip(),
                    f"повторяет строку {first_row_of[key]}",
                )
            )
            continue
        first_row_of[key] = number
        rows.append(ImportRow(number, fields))
    if errors:
        raise ImportRefused(
            f"{len(errors)} row(s) cannot be imported; nothing was imported",
            errors[:MAX_ERRORS],
        )
    return ParsedFile(rows, ignored)


def _delimiter(header: str) -> str:
    counts = {d: header.count(d) for d in (";", "\t", ",")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _row_fields(values: Mapping[str, str]) -> ProductFields:
    currency = values.get("currency", "").strip().casefold().rstrip(".")
    if currency not in _ROUBLES:
        raise DomainError("currency", f"валюта {values['currency'].strip()}: берём только рубли")
    data: dict[str, Any] = {
        "name": values["name"],
        "price": values["price"],
        "vat_rate": values["vat_rate"],
        "sku": values.get("sku") or None,
        "unit": values.get("unit") or None,
        "description": values.get("description") or None,
    }
    if "kind" in values:
        kind = values["kind"].strip().casefold()
        if kind and "услуг" not in kind and "товар" not in kind:
            raise DomainError("kind", f"тип «{values['kind'].strip()}»: Товар или Услуга")
        service = "услуг" in kind
        data["kind"] = (ProductKind.SERVICE if service else ProductKind.PRODUCT).value
    for flag, default in (("active", True), ("vat_included", False)):
        if flag in values:
            data[flag] = _yes_no(values[flag], flag, default)
    return product_fields(data)


def _yes_no(text: str, field: str, default: bool) -> bool:
    value = text.strip().casefold()
    if value in _YES:
        return True
    if value in _NO:
        return default if value == "" else False
    raise DomainError(field, f"«{text.strip()}»: Да или Нет")


async def import_products(
    uow: UnitOfWork,
    actor: Manager,
    parsed: ParsedFile,
    price_list_id: int | None,
    now: datetime,
) -> ImportResult:
    """Create or update the file's products as a head, in one transaction. With a price
    list, the prices go to that list (a new product also takes it as its own price)."""
    require_editor(actor)
    if price_list_id is not None and not await uow.catalogue.existing_price_lists([price_list_id]):
        raise NotFound("price_list_id", f"no price list {price_list_id}")
    by_sku, by_name = await uow.catalogue.product_ids_by_key()
    existing = await uow.catalogue.products(
        [pid for r in parsed.rows if (pid := _match(r.fields, by_sku, by_name)) is not None]
    )
    created = updated = 0
    for row in parsed.rows:
        product_id = _match(row.fields, by_sku, by_name)
        fields = row.fields
        if product_id is None:
            new_id = await uow.catalogue.add_product(fields, actor.login, now)
            if new_id is None:  # its SKU appeared meanwhile
                raise ImportRefused(
                    "a product with this SKU was added meanwhile; import again",
                    [RowError(row.row, "Артикул", "артикул уже занят")],
                )
            product_id = new_id
            created += 1
        else:
            if price_list_id is not None:  # the list's price, the product's own stays
                fields = replace(fields, price=existing[product_id].fields.price)
            await uow.catalogue.replace_product(product_id, fields, actor.login, now)
            updated += 1
        if price_list_id is not None:
            await uow.catalogue.set_price(price_list_id, product_id, row.fields.price)
    await uow.audit.add_many(
        [
            AuditEntry(
                actor.login,
                "catalogue",
                price_list_id or 0,
                "import",
                now,
                after={"rows": len(parsed.rows), "created": created, "updated": updated},
            )
        ]
    )
    return ImportResult(len(parsed.rows), created, updated, parsed.ignored_columns)


def _match(fields: ProductFields, by_sku: dict[str, int], by_name: dict[str, int]) -> int | None:
    if fields.sku is not None and fields.sku in by_sku:
        return by_sku[fields.sku]
    return by_name.get(search_text(fields.name, None))
