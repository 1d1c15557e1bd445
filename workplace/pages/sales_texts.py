"""What the catalogue and quote pages share: money as managers read it, VAT names, and the
domain's refusals (English, for the API) as Russian sentences."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from crm_core.errors import DomainError
from crm_core.money import VatMode, VatRate, format_rub, kopecks

RATE_NAMES = {
    VatRate.TWENTY.value: "20%",
    VatRate.TEN.value: "10%",
    VatRate.ZERO.value: "0%",
    VatRate.NONE.value: "Без НДС",
}
MODE_NAMES = {
    VatMode.PER_LINE.value: "Индивидуальный НДС по строкам",
    VatMode.ON_TOTAL.value: "НДС на итог",
    VatMode.INCLUDED.value: "Цены включают НДС",
}
FIELD_NAMES = {
    "name": "Название",
    "price": "Цена",
    "vat_rate": "Ставка НДС",
    "unit": "Ед. изм.",
    "sku": "Артикул",
    "kind": "Тип",
    "description": "Описание",
    "quantity": "Количество",
    "discount_percent": "Скидка, %",
    "valid_until": "Действует до",
    "vat_mode": "НДС",
    "items": "Строки",
    "price_list_id": "Прайс-лист",
    "product_id": "Товар",
    "reason": "Причина",
    "file": "Файл",
    "status": "Статус",
}
# The domain's English messages (crm_core.money, catalogue, quotes) → what the page says.
_RUSSIAN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), text)
    for pattern, text in (
        (r"is required", "заполните это поле"),
        (r"must be from 0 to 100", "от 0 до 100"),
        (r"must be from 0 to ([\d.]+)", r"от 0 до \1"),
        (r"whole kopecks", "не больше двух знаков после запятой"),
        (r"must be above 0", "должно быть больше нуля"),
        (r"at most 3 decimals", "не больше трёх знаков после запятой"),
        (r"at most 2 decimals", "не больше двух знаков после запятой"),
        (r"too long for a number|must be a (finite|decimal) number", "нужно число: 1500,50"),
        (r"may be at most (\d+) characters", r"не длиннее \1 символов"),
        (r"must be one of: none", "выберите 20%, 10%, 0% или «Без НДС»"),
        (r"must not be in the past", "дата уже прошла"),
        (r"must be a date", "укажите дату"),
        (r"is not offered any more", "товар больше не продаётся (неактивен)"),
        (r"^no product", "товар не найден"),
        (r"^no price list", "прайс-лист не найден"),
        (r"must be product or service", "товар или услуга"),
        (r"amounts may be at most", "сумма слишком велика"),
        (r"non-empty list of lines", "добавьте хотя бы одну строку"),
        (r"has at most (\d+) lines", r"не больше \1 строк"),
        (r"the file is empty", "файл пустой: нужна строка с названиями столбцов"),
        (r"not valid CSV", "это не CSV-файл"),
        (r"has no column", "в файле нет обязательного столбца"),
        (r"cannot be imported", "в файле есть ошибки, ничего не загружено"),
        (r"more than (\d+) rows", r"в файле больше \1 строк: разделите его"),
        (r"added meanwhile", "товар с этим артикулом только что добавили: загрузите ещё раз"),
        (r"only a head of sales changes", "каталог меняет только руководитель отдела продаж"),
    )
)
_LINE_FIELD = re.compile(r"^items\.(\d+)\.(\w+)$")


def rub(amount: Decimal | None) -> str:
    """150 000,50 ₽ (a narrow no-break space between thousands, a no-break space before ₽)."""
    return "" if amount is None else f"{format_rub(amount)}\u00a0₽"


def plain_amount(amount: Decimal) -> str:
    """An amount as a form input holds it: 1500,50 (no spaces, so it is easy to edit)."""
    return f"{kopecks(amount):.2f}".replace(".", ",")


def number_text(value: Decimal) -> str:
    """A quantity or a percentage without trailing zeros, with a decimal comma: 2,5; 10."""
    return format(value.normalize(), "f").replace(".", ",")


def day(value: date | None) -> str:
    """07.12.2026."""
    return value.strftime("%d.%m.%Y") if value else ""


def russian(message: str) -> str:
    """A domain message in Russian; a message already in Russian stays as it is."""
    for pattern, text in _RUSSIAN:
        found = pattern.search(message)
        if found:
            return found.expand(text)
    return message


def field_name(field: str) -> str:
    """`price` → «Цена», `items.2.price` → «строка 3, Цена»."""
    if field.startswith(("list_", "p_")):
        return "Цена в прайс-листе"
    line = _LINE_FIELD.match(field)
    if line:
        return f"строка {int(line.group(1)) + 1}, {FIELD_NAMES.get(line.group(2), line.group(2))}"
    return FIELD_NAMES.get(field.rsplit(".", 1)[-1], field)


def problem_text(err: DomainError) -> str:
    """A refusal as one Russian sentence naming the field."""
    text = russian(err.message)
    if err.status == 403 or not err.field or err.field == "Authorization":
        return text[:1].upper() + text[1:]
    return f"{field_name(err.field)}: {text}"
