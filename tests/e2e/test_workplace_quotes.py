"""The catalogue and quote pages over HTTP: wrong input and forbidden changes come back as
Russian sentences naming the field with a 4xx, never a 500 and never a half-made record."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from aiohttp import FormData

from tests.e2e.conftest import Running
from tests.e2e.test_workplace import page, two_leads
from tests.e2e.test_workplace_deals import api, deal_of


async def post(running: Running, path: str, login: str, form: Any) -> tuple[int, str]:
    """POST a page's form as a login (a bearer token needs no CSRF token)."""
    async with running.client.post(
        path, data=form, headers=running.auth(login), allow_redirects=False
    ) as response:
        return response.status, await response.text()


async def test_catalogue_changes_are_checked_and_kept_to_heads(
    any_db_service: Running,
) -> None:
    running = any_db_service
    product = {"name": "Кресло", "price": "12,5", "vat_rate": "20", "unit": "шт"}
    status, html = await post(running, "/catalogue/products", "ivanova", product)
    assert status == 403 and "только руководитель" in html
    wrong = {**product, "price": "1,234"}
    status, html = await post(running, "/catalogue/products", "head", wrong)
    assert status == 422 and "Цена: не больше двух знаков после запятой" in html
    assert (await api(running, "GET", "/api/v1/products", "head"))["items"] == []
    status, _ = await post(running, "/catalogue/products", "head", {**product, "active": "on"})
    assert status == 303
    [made] = (await api(running, "GET", "/api/v1/products", "head"))["items"]
    assert (made["price"], made["active"], made["vat_included"]) == ("12.50", True, False)
    status, html = await page(running, f"/catalogue/products/{made['id']}", "ivanova")
    assert status == 200 and "<fieldset disabled>" in html and "Сохранить" not in html

    empty = FormData()
    empty.add_field("file", b"", filename="empty.csv", content_type="text/csv")
    status, html = await post(running, "/catalogue/import", "head", empty)
    assert status == 422 and "Выберите файл CSV" in html
    no_price = FormData()
    no_price.add_field("file", "Название;НДС\nСтул;20\n".encode(), filename="a.csv")
    status, html = await post(running, "/catalogue/import", "head", no_price)
    assert status == 422 and "в файле нет обязательного столбца" in html and "«Цена»" in html
    status, html = await post(running, "/catalogue/price-lists", "head", {"name": " "})
    assert status == 422 and "Название: заполните это поле" in html


async def test_quote_pages_refuse_what_the_core_refuses(any_db_service: Running) -> None:
    running = any_db_service
    held = await two_leads(running)
    deal_id = await deal_of(running, held["ivanova"], pipeline="main")
    base = {"vat_mode": "per_line", "valid_until": "", "discount_percent": ""}
    status, html = await post(running, f"/deals/{deal_id}/quotes", "ivanova", base)
    assert status == 422 and "Строки: добавьте хотя бы одну строку" in html
    status, _ = await page(running, f"/deals/{deal_id}/quotes/new", "petrov")
    assert status == 404  # not his deal

    line = {"line_product_id": "", "line_sku": "", "line_delivery": "0", "line_name": "Монтаж"}
    line |= {"line_unit": "ч", "line_quantity": "1,5", "line_price": "2000", "line_vat_rate": "20"}
    bad = {**base, **line, "line_discount": "120"}
    status, html = await post(running, f"/deals/{deal_id}/quotes/draft", "ivanova", bad)
    assert status == 200 and "Скидка, %: от 0 до 100" in html
    status, html = await post(running, f"/deals/{deal_id}/quotes", "ivanova", bad)
    assert status == 422 and "строка 1, Скидка, %: от 0 до 100" in html
    good = {**base, **line, "line_discount": ""}
    status, html = await post(running, f"/deals/{deal_id}/quotes/draft", "ivanova", good)
    assert status == 200 and 'id="quote-total"' in html and "3\u202f600,00\u00a0₽" in html
    status, _ = await post(running, f"/deals/{deal_id}/quotes", "ivanova", good)
    assert status == 303
    [quote] = (await api(running, "GET", f"/api/v1/deals/{deal_id}/quotes", "head"))["items"]
    assert (quote["total"], quote["items"][0]["quantity"]) == ("3600.00", "1.5")

    path = f"/quotes/{quote['id']}/status"
    status, html = await post(running, path, "ivanova", {"status": "accepted"})
    assert status == 422 and "«Черновик» не может стать «Принято»" in html
    status, _ = await post(running, path, "ivanova", {"status": "sent"})
    assert status == 303
    status, html = await post(running, path, "ivanova", {"status": "rejected", "reason": " "})
    assert status == 422 and "Причина: укажите причину отказа" in html
    status, _ = await post(running, path, "petrov", {"status": "rejected", "reason": "Дорого"})
    assert status == 404
    status, html = await page(running, f"/quotes/{quote['id']}", "ivanova")
    assert status == 200 and "Отправлено" in html and "Скачать PDF" in html
    status, _ = await post(running, path, "ivanova", {"status": "rejected", "reason": "Дорого"})
    assert status == 303
    status, html = await page(running, f"/quotes/{quote['id']}", "ivanova")
    assert "Клиент отказался: Дорого" in html and 'action="/quotes/' not in html
    status, html = await page(running, f"/deals/{deal_id}", "ivanova")
    assert f"Коммерческое предложение {quote['number']}: Отклонено (Дорого)" in html
    status, _ = await page(running, "/quotes/999999", "ivanova")
    assert status == 404


async def test_a_multipart_form_whose_body_comes_after_its_headers_is_read_whole(
    any_db_service: Running,
) -> None:
    # Browsers often send a file form's body in packets after the headers; the body timeout
    # middleware then waits for it, and the form must still reach CSRF and the handler.
    running = any_db_service
    boundary = "----LeadIntakeBoundary7MA4YWxkTrZu0gW"
    csv = "Название;Цена;НДС;Артикул\nСтул;1500,00;20;ST-1\n".encode("cp1251")
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + csv
        + f"\r\n--{boundary}--\r\n".encode()
    )

    async def in_packets() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 40):
            await asyncio.sleep(0.02)
            yield body[start : start + 40]

    headers = {
        **running.auth("head"),
        "Content-Type": f"multipart/form-data; boundary={boundary}",
    }
    async with running.client.post(
        "/catalogue/import", data=in_packets(), headers=headers, allow_redirects=False
    ) as response:
        assert response.status in (200, 303), await response.text()
    [made] = (await api(running, "GET", "/api/v1/products", "head"))["items"]
    assert (made["name"], made["price"], made["sku"]) == ("Стул", "1500.00", "ST-1")
