"""The catalogue over HTTP: heads edit, managers read, errors name the field, CSV import."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import Running

PRODUCTS = "/api/v1/products"
LISTS = "/api/v1/price-lists"


async def call(
    running: Running,
    method: str,
    path: str,
    body: Any = None,
    login: str = "head",
    data: bytes | None = None,
) -> tuple[int, Any]:
    headers = running.auth(login)
    if data is not None:
        headers = {**headers, "Content-Type": "text/csv"}
    async with running.client.request(
        method, path, json=body if data is None else None, data=data, headers=headers
    ) as response:
        if response.status == 204:
            return 204, None
        return response.status, await response.json()


CABLE = {
    "name": "Кабель ВВГ 3х2,5",
    "price": "85.40",
    "vat_rate": "20",
    "unit": "м",
    "sku": "VVG-325",
}


async def test_a_head_builds_the_catalogue_and_a_manager_reads_it(
    any_db_service: Running,
) -> None:
    running = any_db_service
    status, retail = await call(running, "POST", LISTS, {"name": "Розница"})
    assert status == 201, retail
    assert retail["items"] == []
    status, product = await call(
        running,
        "POST",
        PRODUCTS,
        {**CABLE, "prices": [{"price_list_id": retail["id"], "price": 99.9}]},
    )
    assert status == 201, product
    assert product["price"] == "85.40"
    assert product["prices"] == [{"price_list_id": retail["id"], "price": "99.90"}]
    assert (product["kind"], product["vat_included"], product["active"]) == (
        "product",
        False,
        True,
    )
    status, service = await call(
        running,
        "POST",
        PRODUCTS,
        {"name": "Монтаж", "price": 1500, "vat_rate": "none", "kind": "service", "unit": "усл"},
    )
    assert status == 201, service
    status, page = await call(running, "GET", f"{PRODUCTS}?search=кабель", login="ivanova")
    assert status == 200
    assert [p["id"] for p in page["items"]] == [product["id"]]
    assert page["next_offset"] is None
    status, page = await call(running, "GET", f"{PRODUCTS}?limit=1", login="ivanova")
    assert [p["name"] for p in page["items"]] == ["Кабель ВВГ 3х2,5"]
    assert page["next_offset"] == 1
    status, page = await call(running, "GET", f"{PRODUCTS}?limit=1&offset=1", login="ivanova")
    assert [p["name"] for p in page["items"]] == ["Монтаж"]
    status, page = await call(running, "GET", f"{PRODUCTS}?price_list_id={retail['id']}")
    assert [p["name"] for p in page["items"]] == ["Кабель ВВГ 3х2,5"]
    status, one = await call(running, "GET", f"{PRODUCTS}/{product['id']}", login="ivanova")
    assert (status, one) == (200, product)
    status, one_list = await call(running, "GET", f"{LISTS}/{retail['id']}", login="ivanova")
    assert one_list["items"] == [{"product_id": product["id"], "price": "99.90"}]

    # PUT without prices keeps them; with prices replaces them.
    status, changed = await call(
        running, "PUT", f"{PRODUCTS}/{product['id']}", {**CABLE, "price": "90", "active": False}
    )
    assert status == 200, changed
    assert (changed["price"], changed["active"]) == ("90.00", False)
    assert changed["prices"] == product["prices"]
    status, changed = await call(
        running, "PUT", f"{PRODUCTS}/{product['id']}", {**CABLE, "prices": []}
    )
    assert changed["prices"] == []
    status, renamed = await call(
        running,
        "PUT",
        f"{LISTS}/{retail['id']}",
        {"name": "Розница 2027", "items": [{"product_id": service["id"], "price": "1400"}]},
    )
    assert status == 200, renamed
    assert renamed["items"] == [{"product_id": service["id"], "price": "1400.00"}]
    status, lists = await call(running, "GET", LISTS, login="ivanova")
    assert [(p["name"], "items" in p) for p in lists["items"]] == [("Розница 2027", False)]

    assert (await call(running, "DELETE", f"{PRODUCTS}/{service['id']}"))[0] == 204
    assert (await call(running, "GET", f"{PRODUCTS}/{service['id']}"))[0] == 404
    assert (await call(running, "DELETE", f"{LISTS}/{retail['id']}"))[0] == 204
    assert (await call(running, "GET", f"{LISTS}/{retail['id']}"))[0] == 404


async def test_managers_may_not_change_the_catalogue(service: Running) -> None:
    status, body = await call(service, "POST", PRODUCTS, CABLE, login="ivanova")
    assert (status, body["error"], body["field"]) == (403, "forbidden", "Authorization")
    status, product = await call(service, "POST", PRODUCTS, CABLE)
    for method, path, payload in (
        ("PUT", f"{PRODUCTS}/{product['id']}", CABLE),
        ("DELETE", f"{PRODUCTS}/{product['id']}", None),
        ("POST", LISTS, {"name": "Дилеры"}),
    ):
        status, body = await call(service, method, path, payload, login="ivanova")
        assert status == 403, (method, path, body)
    status, body = await call(
        service, "POST", f"{PRODUCTS}/import", login="ivanova", data=b"a;b\n"
    )
    assert status == 403


async def test_refusals_name_the_field(service: Running) -> None:
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({**CABLE, "price": "-1"}, 400, "price"),
        ({**CABLE, "price": "1.001"}, 400, "price"),
        ({**CABLE, "price": 0.001}, 400, "price"),
        ({**CABLE, "vat_rate": "18"}, 400, "vat_rate"),
        ({**CABLE, "name": "  "}, 400, "name"),
        ({k: v for k, v in CABLE.items() if k != "price"}, 400, "price"),
        ({**CABLE, "kind": "goods"}, 400, "kind"),
        ({**CABLE, "active": "yes"}, 400, "active"),
        (
            {**CABLE, "prices": [{"price_list_id": 9999, "price": 1}]},
            422,
            "prices.0.price_list_id",
        ),
        ({**CABLE, "prices": [{"price_list_id": 1}]}, 400, "prices.0.price"),
        ({**CABLE, "name": "x" * 501}, 422, "name"),
    ]
    for payload, expected, field in cases:
        status, body = await call(service, "POST", PRODUCTS, payload)
        assert (status, body.get("field")) == (expected, field), (payload, body)
    assert (await call(service, "POST", PRODUCTS, CABLE))[0] == 201
    status, body = await call(service, "POST", PRODUCTS, CABLE)
    assert (status, body["error"], body["field"]) == (409, "sku_taken", "sku")
    assert (await call(service, "POST", LISTS, {"name": "Опт"}))[0] == 201
    status, body = await call(service, "POST", LISTS, {"name": "Опт"})
    assert (status, body["field"]) == (409, "name")
    status, body = await call(
        service, "POST", LISTS, {"name": "Дилеры", "items": [{"product_id": 777, "price": 1}]}
    )
    assert (status, body["field"]) == (422, "items.0.product_id")
    status, body = await call(service, "GET", f"{PRODUCTS}?active=maybe")
    assert (status, body["field"]) == (400, "active")
    status, body = await call(service, "GET", f"{PRODUCTS}/abc")
    assert (status, body["field"]) == (400, "product_id")


ONE_C = (
    "Наименование;Артикул;Ед. изм.;Цена;Ставка НДС;Вид номенклатуры\n"
    "Клемма WAGO;221-412;шт;14,29;20%;Товар\n"
    "Пусконаладка;;усл;1 000,01;10%;Услуга\n"
)


async def test_a_csv_import_in_windows_1251(any_db_service: Running) -> None:
    running = any_db_service
    status, body = await call(running, "POST", f"{PRODUCTS}/import", data=ONE_C.encode("cp1251"))
    assert status == 200, body
    assert body == {"rows": 2, "created": 2, "updated": 0, "ignored_columns": []}
    status, page = await call(running, "GET", f"{PRODUCTS}?search=wago")
    assert [(p["sku"], p["price"], p["vat_rate"]) for p in page["items"]] == [
        ("221-412", "14.29", "20")
    ]
    status, body = await call(running, "POST", f"{PRODUCTS}/import", data=ONE_C.encode())
    assert body["updated"] == 2
    broken = ONE_C + "Лампа;L-1;шт;дорого;20%;Товар\nРозетка;R-1;шт;10;18%;Товар\n"
    status, body = await call(running, "POST", f"{PRODUCTS}/import", data=broken.encode())
    assert (status, body["error"], body["field"]) == (422, "invalid_file", "file")
    assert [(r["row"], r["column"]) for r in body["rows"]] == [(4, "Цена"), (5, "Ставка НДС")]
    status, body = await call(
        running, "POST", f"{PRODUCTS}/import?price_list_id=99", data=ONE_C.encode()
    )
    assert (status, body["field"]) == (404, "price_list_id")
    status, body = await call(running, "POST", f"{PRODUCTS}/import", data=b"\xff\xfe\x00garbage")
    assert (status, body["field"]) == (422, "file")
