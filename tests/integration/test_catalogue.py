"""The catalogue on both databases: products, price lists, prices per list, CSV import."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from crm_core.catalogue import (
    PriceListFields,
    ProductFields,
    ProductKind,
    create_price_list,
    create_product,
    delete_price_list,
    delete_product,
    update_price_list,
    update_product,
)
from crm_core.catalogue_import import ImportRefused, import_products, parse_csv
from crm_core.errors import DomainError, NotFound, RuleError
from crm_core.model import Manager, Role
from crm_core.money import VatRate
from crm_core.storage import Storage

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
HEAD = Manager(1, "head", "Руководитель", Role.HEAD, None, None, "Europe/Moscow", True)
IVANOVA = Manager(2, "ivanova", "Анна", Role.MANAGER, None, None, "Europe/Moscow", True)
D = Decimal


def cable(**changes: object) -> ProductFields:
    values: dict[str, object] = {
        "name": "Кабель ВВГ 3х2,5",
        "price": D("85.40"),
        "vat_rate": VatRate.TWENTY,
        "unit": "м",
        "sku": "VVG-325",
    }
    values.update(changes)
    return ProductFields(**values)  # type: ignore[arg-type]


async def test_products_and_prices_per_list_round_trip(storage: Storage) -> None:
    async with storage.transaction() as uow:
        retail = await create_price_list(uow, HEAD, PriceListFields("Розница"), {}, T0)
        dealers = await create_price_list(uow, HEAD, PriceListFields("Дилеры"), {}, T0)
        product = await create_product(
            uow, HEAD, cable(), {retail.id: D("99.99"), dealers.id: D("70.00")}, T0
        )
        service = await create_product(
            uow,
            HEAD,
            ProductFields(
                "Монтаж", D("99999999999999.99"), VatRate.NONE, ProductKind.SERVICE, "усл"
            ),
            {},
            T0,
        )
    async with storage.reader() as uow:
        stored = await uow.catalogue.get_product(product.id)
        big = await uow.catalogue.get_product(service.id)
        listed = await uow.catalogue.list_products(
            search=None, active=None, price_list_id=None, limit=50, offset=0
        )
        audit = await uow.audit.for_entity("product", product.id)
    assert stored is not None and big is not None
    assert stored.fields == cable()
    assert stored.prices == {retail.id: D("99.99"), dealers.id: D("70.00")}
    assert stored.price_in(dealers.id) == D("70.00")
    assert stored.price_in(None) == D("85.40")
    assert stored.created_at == T0 and stored.updated_by == "head"
    # The largest amount survives exactly (whole kopecks, never a float).
    assert big.fields.price == D("99999999999999.99")
    assert big.price_in(retail.id) == big.fields.price
    assert [p.fields.name for p in listed] == ["Кабель ВВГ 3х2,5", "Монтаж"]
    assert [e.action for e in audit] == ["create"]


async def test_search_folds_cyrillic_case_on_both_databases(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await create_product(uow, HEAD, cable(), {}, T0)
        await create_product(uow, HEAD, cable(name="Ёлочная гирлянда", sku="G-1"), {}, T0)
        await create_product(
            uow, HEAD, cable(name="Розетка 100%_", sku="R_1", active=False), {}, T0
        )

    async def names(search: str | None, active: bool | None = None) -> list[str]:
        async with storage.reader() as uow:
            found = await uow.catalogue.list_products(
                search=search, active=active, price_list_id=None, limit=50, offset=0
            )
        return [p.fields.name for p in found]

    assert await names("КАБЕЛЬ") == ["Кабель ВВГ 3х2,5"]
    assert await names("елочная") == ["Ёлочная гирлянда"]
    assert await names("vvg") == ["Кабель ВВГ 3х2,5"]
    assert await names("%") == ["Розетка 100%_"]
    assert await names("r_") == ["Розетка 100%_"]
    assert await names("_") == ["Розетка 100%_"]
    # Alphabetical on both databases, ё as е.
    assert await names(None, active=True) == ["Ёлочная гирлянда", "Кабель ВВГ 3х2,5"]


async def test_managers_read_and_only_heads_change(storage: Storage) -> None:
    async with storage.transaction() as uow:
        with pytest.raises(RuleError) as err:
            await create_product(uow, IVANOVA, cable(), {}, T0)
        assert (err.value.status, err.value.rule) == (403, "forbidden")
        with pytest.raises(RuleError):
            await create_price_list(uow, IVANOVA, PriceListFields("Розница"), {}, T0)


async def test_sku_and_list_names_are_unique(storage: Storage) -> None:
    async with storage.transaction() as uow:
        first = await create_product(uow, HEAD, cable(), {}, T0)
        other = await create_product(uow, HEAD, cable(sku="OTHER"), {}, T0)
        with pytest.raises(RuleError) as err:
            await create_product(uow, HEAD, cable(), {}, T0)
        assert (err.value.status, err.value.field) == (409, "sku")
        with pytest.raises(RuleError):
            await update_product(uow, HEAD, other.id, cable(), None, T0)
        # Its own SKU is no conflict.
        await update_product(uow, HEAD, first.id, cable(price=D(1)), None, T0)
        await create_price_list(uow, HEAD, PriceListFields("Розница"), {}, T0)
        dealers = await create_price_list(uow, HEAD, PriceListFields("Дилеры"), {}, T0)
        with pytest.raises(RuleError) as err:
            await create_price_list(uow, HEAD, PriceListFields("Розница"), {}, T0)
        assert (err.value.status, err.value.field) == (409, "name")
        with pytest.raises(RuleError):
            await update_price_list(uow, HEAD, dealers.id, PriceListFields("Розница"), None, T0)


async def test_unknown_lists_and_products_are_named(storage: Storage) -> None:
    async with storage.transaction() as uow:
        retail = await create_price_list(uow, HEAD, PriceListFields("Розница"), {}, T0)
        with pytest.raises(DomainError) as err:
            await create_product(uow, HEAD, cable(), {retail.id: D(1), 999: D(2)}, T0)
        assert err.value.field == "prices.1.price_list_id"
        with pytest.raises(DomainError) as err:
            await update_price_list(uow, HEAD, retail.id, retail.fields, {12345: D(1)}, T0)
        assert err.value.field == "items.0.product_id"
        with pytest.raises(NotFound):
            await update_product(uow, HEAD, 424242, cable(), None, T0)
        with pytest.raises(NotFound):
            await delete_price_list(uow, HEAD, 424242, T0)


async def test_a_list_replaces_its_prices_and_deleting_cascades(storage: Storage) -> None:
    async with storage.transaction() as uow:
        a = await create_product(uow, HEAD, cable(), {}, T0)
        b = await create_product(uow, HEAD, cable(sku="B", name="Б"), {}, T0)
        retail = await create_price_list(
            uow, HEAD, PriceListFields("Розница"), {a.id: D("1.00"), b.id: D("2.00")}, T0
        )
        assert retail.items == {a.id: D("1.00"), b.id: D("2.00")}
        changed = await update_price_list(
            uow, HEAD, retail.id, PriceListFields("Розница 2027", False), {b.id: D("3.00")}, T0
        )
        assert changed.items == {b.id: D("3.00")}
        assert changed.fields == PriceListFields("Розница 2027", False)
        await delete_product(uow, HEAD, b.id, T0)
    async with storage.reader() as uow:
        after = await uow.catalogue.get_price_list(retail.id, with_items=True)
        assert after is not None and after.items == {}
        assert await uow.catalogue.get_product(b.id) is None
    async with storage.transaction() as uow:
        await uow.catalogue.set_product_prices(a.id, {retail.id: D("5.00")})
        await delete_price_list(uow, HEAD, retail.id, T0)
    async with storage.reader() as uow:
        product = await uow.catalogue.get_product(a.id)
        assert product is not None and product.prices == {}
        assert await uow.catalogue.list_price_lists() == []


IMPORT = (
    "Наименование;Артикул;Ед. изм.;Цена;Ставка НДС;Вид номенклатуры;Штрихкод\n"
    "Клемма WAGO;221-412;шт;14,29;20%;Товар;4044918\n"
    "Пусконаладка;;усл;1000,01;10%;Услуга;\n"
)


async def test_import_creates_then_updates_by_sku_or_name(storage: Storage) -> None:
    async with storage.transaction() as uow:
        result = await import_products(uow, HEAD, parse_csv(IMPORT.encode("cp1251")), None, T0)
    assert (result.rows, result.created, result.updated) == (2, 2, 0)
    assert result.ignored_columns == ["Штрихкод"]
    again = IMPORT.replace("14,29", "15,00").replace("1000,01", "1100,00")
    async with storage.transaction() as uow:
        result = await import_products(uow, HEAD, parse_csv(again.encode()), None, T0)
        products = await uow.catalogue.list_products(
            search=None, active=None, price_list_id=None, limit=50, offset=0
        )
    assert (result.created, result.updated) == (0, 2)
    assert [(p.fields.name, p.fields.price) for p in products] == [
        ("Клемма WAGO", D("15.00")),
        ("Пусконаладка", D("1100.00")),
    ]


async def test_import_into_a_price_list_keeps_the_own_price(storage: Storage) -> None:
    async with storage.transaction() as uow:
        await import_products(uow, HEAD, parse_csv(IMPORT.encode()), None, T0)
        dealers = await create_price_list(uow, HEAD, PriceListFields("Дилеры"), {}, T0)
        cheaper = IMPORT.replace("14,29", "12,00")
        result = await import_products(uow, HEAD, parse_csv(cheaper.encode()), dealers.id, T0)
        assert (result.created, result.updated) == (0, 2)
        clamp_id = await uow.catalogue.product_id_by_sku("221-412")
        assert clamp_id is not None
        clamp = await uow.catalogue.get_product(clamp_id)
    assert clamp is not None
    assert clamp.fields.price == D("14.29")
    assert clamp.prices == {dealers.id: D("12.00")}


async def test_an_import_is_all_or_nothing_and_heads_only(storage: Storage) -> None:
    parsed = parse_csv(IMPORT.encode())
    with pytest.raises(RuleError):
        async with storage.transaction() as uow:
            await import_products(uow, IVANOVA, parsed, None, T0)
    with pytest.raises(NotFound):
        async with storage.transaction() as uow:
            await import_products(uow, HEAD, parsed, 777, T0)
    with pytest.raises(ImportRefused):
        parse_csv((IMPORT + "Лампа;L1;шт;abc;20%;Товар;\n").encode())
    async with storage.reader() as uow:
        assert await uow.catalogue.product_ids_by_key() == ({}, {})


async def test_two_heads_giving_one_sku_at_once_get_one_conflict(storage: Storage) -> None:
    async with storage.transaction() as uow:
        first = await create_product(uow, HEAD, cable(sku="A"), {}, T0)
        second = await create_product(uow, HEAD, cable(sku="B"), {}, T0)
        dealers = await create_price_list(uow, HEAD, PriceListFields("Дилеры"), {}, T0)
        retail = await create_price_list(uow, HEAD, PriceListFields("Розница"), {}, T0)

    async def give(product_id: int) -> str:
        try:
            async with storage.transaction() as uow:
                await update_product(uow, HEAD, product_id, cable(sku="SAME"), None, T0)
        except RuleError as err:
            return err.rule
        return "ok"

    async def rename(list_id: int) -> str:
        try:
            async with storage.transaction() as uow:
                await update_price_list(uow, HEAD, list_id, PriceListFields("Опт"), None, T0)
        except RuleError as err:
            return err.rule
        return "ok"

    outcomes = await asyncio.gather(give(first.id), give(second.id))
    assert sorted(outcomes) == ["ok", "sku_taken"]
    renamed = await asyncio.gather(rename(dealers.id), rename(retail.id))
    assert sorted(renamed) == ["name_taken", "ok"]
