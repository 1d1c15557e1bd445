"""Quotes (коммерческие предложения) on a deal: lines from the catalogue or free, VAT by one
of the three modes, numbered per year without gaps, and their statuses in the deal's
timeline.

A quote is made by whoever may work on its deal (its owner, or a head) and only on an open
deal. Its number comes from a counter row updated in the quote's own transaction
(`SalesDocumentRepository.next_number`): two quotes made at once wait for each other, and a
quote that fails gives its number back, so numbers have no gaps and no duplicates.

Statuses: Черновик → Отправлено → Принято / Отклонено (with a reason); only a draft's lines
and terms may be replaced. Each change is an audit entry on the deal (`quote_created`,
`quote_edited`, `quote_status`), which the deal's timeline shows.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from crm_core.catalogue import Product
from crm_core.deals import seen_deal, visible_deal
from crm_core.document_events import quote_status_event
from crm_core.errors import DomainError, RuleError
from crm_core.model import AuditEntry, Manager
from crm_core.money import (
    HUNDRED,
    MONEY_MAX,
    ZERO,
    Line,
    MoneyError,
    Totals,
    VatMode,
    compute_totals,
    kopecks,
    money,
    parse_vat_rate,
    percent,
    quantity,
)
from crm_core.quotes_model import (
    TRANSITIONS,
    NewQuote,
    Quote,
    QuoteStatus,
    QuoteTerms,
    quote_number,
)
from crm_core.sales import DealStatus

if TYPE_CHECKING:  # the storage ports import this module's records
    from crm_core.storage.ports import UnitOfWork

QUOTE_COUNTER = "quote"
MAX_LINES = 200
NAME_MAX = 500


def document_year(now: datetime, timezone: str) -> int:
    """The year a document made now belongs to, in the company's time zone."""
    return now.astimezone(ZoneInfo(timezone)).year


# ---------------------------------------------------------------- reading a request


@dataclass(frozen=True, slots=True)
class QuoteRequest:
    """A quote as asked for: its lines as given (a product's, or free), mode, discount."""

    vat_mode: VatMode
    items: tuple[Mapping[str, Any], ...]
    discount_percent: Decimal = ZERO
    price_list_id: int | None = None
    valid_until: date | None = None


def quote_request(body: Mapping[str, Any]) -> QuoteRequest:
    """A quote request from an API body; DomainError naming the field."""
    mode = body.get("vat_mode")
    if not isinstance(mode, str) or mode not in {m.value for m in VatMode}:
        raise DomainError("vat_mode", "vat_mode must be per_line, on_total or included")
    items = body.get("items")
    if not isinstance(items, list) or not items:
        raise DomainError("items", "items must be a non-empty list of lines")
    if len(items) > MAX_LINES:
        raise DomainError("items", f"a quote has at most {MAX_LINES} lines")
    for index, item in enumerate(items):
        if not isinstance(item, Mapping):
            raise DomainError(f"items.{index}", "each line must be an object")
    price_list_id = body.get("price_list_id")
    if price_list_id is not None and (
        isinstance(price_list_id, bool) or not isinstance(price_list_id, int) or price_list_id < 1
    ):
        raise DomainError("price_list_id", "price_list_id must be a positive integer")
    raw_until = body.get("valid_until")
    valid_until = None
    if raw_until is not None:
        try:
            valid_until = date.fromisoformat(str(raw_until))
        except ValueError as err:
            raise DomainError("valid_until", "valid_until must be a date, YYYY-MM-DD") from err
    discount = body.get("discount_percent")
    return QuoteRequest(
        vat_mode=VatMode(mode),
        items=tuple(items),
        discount_percent=ZERO if discount is None else percent(discount),
        price_list_id=price_list_id,
        valid_until=valid_until,
    )


def catalogue_price(product: Product, price_list_id: int | None, mode: VatMode) -> Decimal:
    """A product's price in the list, as the quote's mode needs it: a price that includes VAT
    on a quote whose VAT is added on top loses its VAT (and the other way round), each
    rounded to kopecks half up."""
    price = product.price_in(price_list_id)
    rate = product.fields.vat_rate.percent
    if product.fields.vat_included and mode is not VatMode.INCLUDED:
        return kopecks(price * HUNDRED / (HUNDRED + rate))
    if not product.fields.vat_included and mode is VatMode.INCLUDED:
        return kopecks(price * (HUNDRED + rate) / HUNDRED)
    return price


def priced_line(
    item: Mapping[str, Any],
    products: Mapping[int, Product],
    price_list_id: int | None,
    mode: VatMode,
    index: int,
) -> Line:
    """One line of a request: a catalogue product's (what the item gives overrides it) or a
    free one (name, price and VAT rate required); MoneyError naming `items.N.field`."""
    where = f"items.{index}."
    try:
        product_id = item.get("product_id")
        product: Product | None = None
        if product_id is not None:
            if isinstance(product_id, bool) or not isinstance(product_id, int):
                raise MoneyError("product_id", "product_id must be a positive integer")
            product = products.get(product_id)
            if product is None:
                raise MoneyError("product_id", f"no product {product_id}")
            if not product.fields.active:
                raise MoneyError("product_id", f"product {product_id} is not offered any more")
        name = item.get("name") or (product.fields.name if product else None)
        if not isinstance(name, str) or not name.strip():
            raise MoneyError("name", "name is required for a line without a product")
        if len(name) > NAME_MAX:
            raise MoneyError("name", f"name may be at most {NAME_MAX} characters")
        if item.get("price") is not None:
            price = money(item["price"], "price")
        elif product is not None:
            price = catalogue_price(product, price_list_id, mode)
        else:
            raise MoneyError("price", "price is required for a line without a product")
        if item.get("vat_rate") is not None:
            rate = parse_vat_rate(item["vat_rate"])
        elif product is not None:
            rate = product.fields.vat_rate
        else:
            raise MoneyError("vat_rate", "vat_rate is required for a line without a product")
        unit = item.get("unit") or (product.fields.unit if product else "шт")
        if not isinstance(unit, str) or len(unit) > 20:
            raise MoneyError("unit", "unit must be a string of at most 20 characters")
        delivery = item.get("delivery", False)
        if not isinstance(delivery, bool):
            raise MoneyError("delivery", "delivery must be true or false")
        raw_discount = item.get("discount_percent")
        return Line(
            name=" ".join(name.split()),
            quantity=quantity(item.get("quantity")),
            price=price,
            vat_rate=rate,
            discount_percent=ZERO if raw_discount is None else percent(raw_discount),
            unit=unit.strip() or "шт",
            delivery=delivery,
            product_id=product.id if product else None,
            sku=product.fields.sku if product else None,
        )
    except DomainError as err:
        raise MoneyError(where + err.field, err.message) from err


async def priced_request(
    uow: UnitOfWork, request: QuoteRequest
) -> tuple[tuple[Line, ...], Totals]:
    """A request's lines priced (from its price list, or as given) and the document's
    amounts; DomainError naming the field (an unknown price list or product, amounts over
    the maximum)."""
    if request.price_list_id is not None and not await uow.catalogue.existing_price_lists(
        [request.price_list_id]
    ):
        raise DomainError("price_list_id", f"no price list {request.price_list_id}")
    ids = [
        i["product_id"]
        for i in request.items
        if isinstance(i.get("product_id"), int) and not isinstance(i.get("product_id"), bool)
    ]
    products = await uow.catalogue.products(ids)
    lines = tuple(
        priced_line(item, products, request.price_list_id, request.vat_mode, n)
        for n, item in enumerate(request.items)
    )
    totals = compute_totals(lines, request.vat_mode, request.discount_percent)
    if max(totals.gross, totals.total) > MONEY_MAX:
        raise DomainError("items", f"a document's amounts may be at most {MONEY_MAX}")
    return lines, totals


# ---------------------------------------------------------------- commands


async def create_quote(
    uow: UnitOfWork,
    deal_id: int,
    actor: Manager,
    request: QuoteRequest,
    prefix: str,
    timezone: str,
    valid_days: int,
    now: datetime,
) -> Quote:
    """Make a draft quote on an open deal the actor may work on, numbered in this
    transaction; its client is the deal's contact and company; without a date it holds for
    `valid_days` from today (in the company's time zone)."""
    deal = await visible_deal(uow, deal_id, actor)
    if deal.status is not DealStatus.OPEN:
        raise RuleError("deal_closed", "deal_id", "сделка закрыта: КП делают на открытой сделке")
    today = now.astimezone(ZoneInfo(timezone)).date()
    if request.valid_until is not None and request.valid_until < today:
        raise DomainError("valid_until", "valid_until must not be in the past")
    lines, totals = await priced_request(uow, request)
    year = document_year(now, timezone)
    sequence = await uow.sales_documents.next_number(QUOTE_COUNTER, year)
    number = quote_number(prefix, year, sequence)
    quote_id = await uow.sales_documents.add_quote(
        NewQuote(
            deal_id=deal.id,
            number=number,
            year=year,
            sequence=sequence,
            vat_mode=request.vat_mode,
            discount_percent=request.discount_percent,
            price_list_id=request.price_list_id,
            valid_until=request.valid_until or today + timedelta(days=valid_days),
            contact_id=deal.contact_id,
            company_id=deal.company_id,
            lines=lines,
            totals=totals,
            created_by=actor.login,
        ),
        now,
    )
    await document_audit(
        uow,
        actor,
        deal.id,
        "quote_created",
        None,
        {"quote_id": quote_id, "number": number, "total": str(totals.total)},
        now,
    )
    return await _reload(uow, quote_id)


async def edit_quote(
    uow: UnitOfWork,
    quote_id: int,
    actor: Manager,
    request: QuoteRequest,
    timezone: str,
    valid_days: int,
    now: datetime,
) -> Quote:
    """Replace a draft quote's lines and terms (read as `create_quote` reads them), by whoever
    may work on its open deal; a quote already sent or decided is refused (409), as the
    client may hold it. Its number, client and status stay."""
    found = await visible_quote(uow, quote_id, actor)
    deal = await visible_deal(uow, found.deal_id, actor)  # locks the deal: one change at a time
    quote = await uow.sales_documents.get_quote(quote_id, for_update=True)
    assert quote is not None
    if quote.status is not QuoteStatus.DRAFT:
        raise RuleError(
            "quote_not_draft",
            "quote_id",
            f"КП {quote.number} в статусе «{quote.status.label}»: изменяют только черновик",
        )
    if deal.status is not DealStatus.OPEN:
        raise RuleError("deal_closed", "deal_id", "сделка закрыта: КП меняют на открытой сделке")
    today = now.astimezone(ZoneInfo(timezone)).date()
    if request.valid_until is not None and request.valid_until < today:
        raise DomainError("valid_until", "valid_until must not be in the past")
    lines, totals = await priced_request(uow, request)
    terms = QuoteTerms(
        vat_mode=request.vat_mode,
        discount_percent=request.discount_percent,
        price_list_id=request.price_list_id,
        valid_until=request.valid_until or today + timedelta(days=valid_days),
        lines=lines,
        totals=totals,
    )
    await uow.sales_documents.replace_quote_terms(quote_id, terms, now)
    before = {"quote_id": quote_id, "number": quote.number, "total": str(quote.total)}
    after = {"quote_id": quote_id, "number": quote.number, "total": str(totals.total)}
    await document_audit(uow, actor, deal.id, "quote_edited", before, after, now)
    return await _reload(uow, quote_id)


async def visible_quote(uow: UnitOfWork, quote_id: int, actor: Manager) -> Quote:
    """A quote whose deal the actor may see; NotFound (as if absent) otherwise."""
    quote = await uow.sales_documents.get_quote(quote_id)
    await seen_deal(
        uow, quote.deal_id if quote else None, actor, "quote_id", f"no quote {quote_id}"
    )
    assert quote is not None
    return quote


async def deal_quotes(uow: UnitOfWork, deal_id: int, actor: Manager) -> list[Quote]:
    """A deal's quotes, oldest first, if the actor may see the deal."""
    await seen_deal(uow, deal_id, actor, "deal_id", f"no deal {deal_id}")
    return await uow.sales_documents.quotes_of_deal(deal_id)


async def change_quote_status(
    uow: UnitOfWork,
    quote_id: int,
    actor: Manager,
    status: QuoteStatus,
    reason: str | None,
    now: datetime,
) -> Quote:
    """Move a quote on (Черновик → Отправлено → Принято / Отклонено with a reason), by whoever
    may work on its deal; the change goes to the deal's timeline. Asking for the status it
    already has changes nothing."""
    found = await visible_quote(uow, quote_id, actor)
    deal = await visible_deal(uow, found.deal_id, actor)  # locks the deal: one change at a time
    quote = await uow.sales_documents.get_quote(quote_id, for_update=True)
    assert quote is not None
    if quote.status is status:
        return quote
    if status not in TRANSITIONS[quote.status]:
        raise RuleError(
            "quote_status",
            "status",
            f"КП в статусе «{quote.status.label}» не может стать «{status.label}»",
        )
    text = " ".join((reason or "").split())
    if status is QuoteStatus.REJECTED and not text:
        raise DomainError("reason", "укажите причину отказа")
    if len(text) > 1000:
        raise DomainError("reason", "reason may be at most 1000 characters")
    rejection = text if status is QuoteStatus.REJECTED else None
    await uow.sales_documents.set_quote_status(quote_id, status, rejection, now)
    after: dict[str, Any] = {"quote_id": quote_id, "number": quote.number, "status": status.value}
    if rejection:
        after["reason"] = rejection
    await document_audit(
        uow,
        actor,
        quote.deal_id,
        "quote_status",
        {"status": quote.status.value},
        after,
        now,
    )
    changed = await _reload(uow, quote_id)
    uow.webhooks.record(quote_status_event(changed, quote.status, status, deal.pipeline, now))
    return changed


async def _reload(uow: UnitOfWork, quote_id: int) -> Quote:
    quote = await uow.sales_documents.get_quote(quote_id)
    assert quote is not None
    return quote


async def document_audit(
    uow: UnitOfWork,
    actor: Manager,
    deal_id: int,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any],
    now: datetime,
) -> None:
    """One entry on a deal's timeline and audit about one of its documents."""
    await uow.audit.add_many(
        [AuditEntry(actor.login, "deal", deal_id, action, now, before=before, after=after)]
    )
