"""Reading catalogue CSV files: Bitrix24 and 1C exports, encodings, separators, errors."""

from __future__ import annotations

from decimal import Decimal

import pytest

from crm_core.catalogue import ProductKind, product_fields
from crm_core.catalogue_import import ImportRefused, header_key, parse_csv
from crm_core.errors import DomainError
from crm_core.money import VatRate

BITRIX = (
    "ID;Название;Артикул;Цена;Валюта;Ставка НДС;НДС включен в цену;Единица измерения;Активность;"
    "Описание\n"
    "12;Кабель ВВГ 3х2,5;VVG-325;1 234,50;RUB;20%;Да;м;Y;Медный\n"
    "13;Монтаж розетки;;450;RUB;Без НДС;N;шт;N;\n"
)
ONE_C = (
    "Наименование;Артикул;Ед. изм.;Цена;Ставка НДС;Вид номенклатуры\n"
    "Клемма WAGO;221-412;шт;14,29;НДС 20 %;Товар\n"
    "Пусконаладка;;усл;1000,01;10%;Услуга\n"
)


def test_a_bitrix24_export_in_utf8_with_a_bom() -> None:
    parsed = parse_csv(("\ufeff" + BITRIX).encode())
    assert parsed.ignored_columns == ["ID"]
    cable, mounting = (r.fields for r in parsed.rows)
    assert (cable.name, cable.sku, cable.price, cable.vat_rate) == (
        "Кабель ВВГ 3х2,5",
        "VVG-325",
        Decimal("1234.50"),
        VatRate.TWENTY,
    )
    assert (cable.unit, cable.vat_included, cable.active, cable.description) == (
        "м",
        True,
        True,
        "Медный",
    )
    assert (mounting.sku, mounting.vat_rate, mounting.active) == (None, VatRate.NONE, False)
    assert [r.row for r in parsed.rows] == [2, 3]


def test_a_1c_export_in_windows_1251() -> None:
    parsed = parse_csv(ONE_C.encode("cp1251"))
    clamp, setup = (r.fields for r in parsed.rows)
    assert (clamp.name, clamp.sku, clamp.unit, clamp.price, clamp.vat_rate, clamp.kind) == (
        "Клемма WAGO",
        "221-412",
        "шт",
        Decimal("14.29"),
        VatRate.TWENTY,
        ProductKind.PRODUCT,
    )
    assert (setup.kind, setup.unit, setup.vat_rate) == (ProductKind.SERVICE, "усл", VatRate.TEN)


def test_comma_separated_with_quotes() -> None:
    parsed = parse_csv(b'Name,Price,VAT\n"Cable, 3x2.5",10.5,20\n')
    assert parsed.rows[0].fields.name == "Cable, 3x2.5"
    assert parsed.rows[0].fields.price == Decimal("10.50")


def test_header_names_ignore_case_spaces_and_dots() -> None:
    assert header_key("Ед. изм.") == header_key("ед.изм") == header_key(" ЕД ИЗМ ")
    assert header_key("НДС включён в цену") == header_key("НДС включен в цену")


def test_missing_required_columns_are_named() -> None:
    with pytest.raises(ImportRefused) as err:
        parse_csv("Название;Артикул\nКабель;A1\n".encode())
    assert [e.column for e in err.value.errors] == ["Цена", "Ставка НДС"]
    assert err.value.field == "file"


def test_every_wrong_row_is_named_and_nothing_is_taken() -> None:
    text = (
        "Название;Артикул;Цена;Ставка НДС;Валюта\n"
        "Кабель;A1;10,00;20;RUB\n"
        ";A2;10;20;RUB\n"
        "Клемма;A3;десять;20;RUB\n"
        "Розетка;A4;10;18;RUB\n"
        "Вилка;A5;10;20;USD\n"
        "Кабель 2;A1;10;20;RUB\n"
        "Лампа;A6;0,001;20;RUB\n"
    )
    with pytest.raises(ImportRefused) as err:
        parse_csv(text.encode())
    assert [(e.row, e.column) for e in err.value.errors] == [
        (3, "Название"),
        (4, "Цена"),
        (5, "Ставка НДС"),
        (6, "Валюта"),
        (7, "Артикул"),
        (8, "Цена"),
    ]
    assert "строку 2" in err.value.errors[4].message


def test_an_empty_file_is_refused() -> None:
    with pytest.raises(ImportRefused):
        parse_csv(b"")


def test_product_fields_name_the_field_with_a_prefix() -> None:
    with pytest.raises(DomainError) as err:
        product_fields({"name": "Кабель", "price": "1,5", "vat_rate": "25"}, "items.3.")
    assert err.value.field == "items.3.vat_rate"
    with pytest.raises(DomainError) as err:
        product_fields({"name": "Кабель", "price": 10, "vat_rate": "20", "kind": "goods"})
    assert err.value.field == "kind"
    fields = product_fields({"name": "  Кабель   ВВГ ", "price": 10, "vat_rate": "none"})
    assert (fields.name, fields.unit, fields.kind) == ("Кабель ВВГ", "шт", ProductKind.PRODUCT)


@pytest.mark.parametrize(
    "data", [b"wx\xf2\xb7\xac\x8e\r\xc3\x98;", b'"unclosed\r"x', b"a;b\rc\x00"]
)
def test_bytes_that_are_not_csv_are_refused_not_crashed(data: bytes) -> None:
    with pytest.raises(ImportRefused):
        parse_csv(data)
