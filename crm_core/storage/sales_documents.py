"""Quotes in `quotes` and `quote_lines`, numbered by `document_counters`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from crm_core.money import Line, VatMode, VatRate, plain_quantity
from crm_core.quotes_model import NewQuote, Quote, QuoteStatus, QuoteTerms
from crm_core.storage.catalogue import from_kopecks, to_kopecks
from crm_core.storage.session import Row, SqlSession, as_datetime

_QUOTE = (
    "id, deal_id, number, year, sequence, status, vat_mode, discount_bp, price_list_id,"
    " valid_until, contact_id, company_id, subtotal_kopecks, vat_kopecks, total_kopecks,"
    " rejection_reason, created_by, created_at, updated_at"
)
_LINE = (
    "quote_id, position, product_id, name, sku, unit, quantity_milli, price_kopecks,"
    " discount_bp, vat_rate, delivery"
)


def to_hundredths(value: Decimal) -> int:
    """A percentage with two decimals as hundredths of a percent."""
    return int(value * 100)


def to_thousandths(value: Decimal) -> int:
    """A quantity with three decimals as thousandths."""
    return int(value * 1000)


class SqlSalesDocumentRepository:
    """Quotes and their lines; the counters that number documents."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def next_number(self, kind: str, year: int) -> int:
        """The next number of a kind in a year, from its counter row in this transaction.

        The upsert takes the row's lock on PostgreSQL (a concurrent one waits for this
        transaction, then sees its number); SQLite has one writer at a time.
        """
        row = await self._s.fetchrow(
            "INSERT INTO document_counters (kind, year, last_number) VALUES ($1, $2, 1)"
            " ON CONFLICT (kind, year)"
            " DO UPDATE SET last_number = document_counters.last_number + 1"
            " RETURNING last_number",
            kind,
            year,
        )
        assert row is not None
        return int(row["last_number"])

    async def add_quote(self, quote: NewQuote, now: datetime) -> int:
        """Store a draft quote and its lines; its id."""
        row = await self._s.fetchrow(
            "INSERT INTO quotes (deal_id, number, year, sequence, status, vat_mode,"
            " discount_bp, price_list_id, valid_until, contact_id, company_id,"
            " subtotal_kopecks, vat_kopecks, total_kopecks, created_by, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
            " $16) RETURNING id",
            quote.deal_id,
            quote.number,
            quote.year,
            quote.sequence,
            QuoteStatus.DRAFT.value,
            quote.vat_mode.value,
            to_hundredths(quote.discount_percent),
            quote.price_list_id,
            quote.valid_until.isoformat() if quote.valid_until else None,
            quote.contact_id,
            quote.company_id,
            to_kopecks(quote.totals.subtotal),
            to_kopecks(quote.totals.vat_total),
            to_kopecks(quote.totals.total),
            quote.created_by,
            now,
        )
        assert row is not None
        quote_id = int(row["id"])
        await self._s.executemany(
            f"INSERT INTO quote_lines ({_LINE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $10, $11)",
            line_rows(quote_id, quote.lines),
        )
        return quote_id

    async def get_quote(self, quote_id: int, *, for_update: bool = False) -> Quote | None:
        """One quote with its lines."""
        lock = " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(f"SELECT {_QUOTE} FROM quotes WHERE id = $1{lock}", quote_id)
        if row is None:
            return None
        lines = await self._lines([quote_id])
        return _quote(row, lines.get(quote_id, ()))

    async def quotes_of_deal(self, deal_id: int) -> list[Quote]:
        """A deal's quotes with their lines, oldest first."""
        rows = await self._s.fetch(
            f"SELECT {_QUOTE} FROM quotes WHERE deal_id = $1 ORDER BY id", deal_id
        )
        lines = await self._lines([int(r["id"]) for r in rows])
        return [_quote(r, lines.get(int(r["id"]), ())) for r in rows]

    async def set_quote_status(
        self, quote_id: int, status: QuoteStatus, rejection_reason: str | None, now: datetime
    ) -> None:
        """Change a quote's status (and its rejection reason)."""
        await self._s.execute(
            "UPDATE quotes SET status = $2, rejection_reason = $3, updated_at = $4 WHERE id = $1",
            quote_id,
            status.value,
            rejection_reason,
            now,
        )

    async def replace_quote_terms(self, quote_id: int, terms: QuoteTerms, now: datetime) -> None:
        """Replace a quote's lines, amounts and terms (its number and status stay)."""
        await self._s.execute(
            "UPDATE quotes SET vat_mode = $2, discount_bp = $3, price_list_id = $4,"
            " valid_until = $5, subtotal_kopecks = $6, vat_kopecks = $7, total_kopecks = $8,"
            " updated_at = $9 WHERE id = $1",
            quote_id,
            terms.vat_mode.value,
            to_hundredths(terms.discount_percent),
            terms.price_list_id,
            terms.valid_until.isoformat(),
            to_kopecks(terms.totals.subtotal),
            to_kopecks(terms.totals.vat_total),
            to_kopecks(terms.totals.total),
            now,
        )
        await self._s.execute("DELETE FROM quote_lines WHERE quote_id = $1", quote_id)
        await self._s.executemany(
            f"INSERT INTO quote_lines ({_LINE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $10, $11)",
            line_rows(quote_id, terms.lines),
        )

    async def _lines(self, quote_ids: Sequence[int]) -> dict[int, tuple[Line, ...]]:
        if not quote_ids:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(quote_ids) + 1))
        rows = await self._s.fetch(
            f"SELECT {_LINE} FROM quote_lines WHERE quote_id IN ({marks})"
            " ORDER BY quote_id, position",
            *quote_ids,
        )
        lines: dict[int, list[Line]] = {}
        for r in rows:
            lines.setdefault(int(r["quote_id"]), []).append(stored_line(r))
        return {k: tuple(v) for k, v in lines.items()}


def line_rows(owner_id: int, lines: Sequence[Line]) -> list[tuple[Any, ...]]:
    """A document's lines as rows of its lines table (positions from 1), in `_LINE` order."""
    return [
        (
            owner_id,
            position,
            line.product_id,
            line.name,
            line.sku,
            line.unit,
            to_thousandths(line.quantity),
            to_kopecks(line.price),
            to_hundredths(line.discount_percent),
            line.vat_rate.value,
            line.delivery,
        )
        for position, line in enumerate(lines, start=1)
    ]


def stored_line(r: Row) -> Line:
    """A line from a row of a document's lines table."""
    return Line(
        name=r["name"],
        quantity=plain_quantity(Decimal(int(r["quantity_milli"])) / 1000),
        price=from_kopecks(r["price_kopecks"]),
        vat_rate=VatRate(r["vat_rate"]),
        discount_percent=stored_percent(r["discount_bp"]),
        unit=r["unit"],
        delivery=bool(r["delivery"]),
        product_id=r["product_id"],
        sku=r["sku"],
    )


def stored_percent(value: Any) -> Decimal:
    """Hundredths of a percent as a percentage with two decimals."""
    return (Decimal(int(value)) / 100).quantize(Decimal("0.01"))


def _quote(r: Row, lines: tuple[Line, ...]) -> Quote:
    return Quote(
        id=int(r["id"]),
        deal_id=int(r["deal_id"]),
        number=r["number"],
        year=int(r["year"]),
        sequence=int(r["sequence"]),
        status=QuoteStatus(r["status"]),
        vat_mode=VatMode(r["vat_mode"]),
        discount_percent=stored_percent(r["discount_bp"]),
        price_list_id=r["price_list_id"],
        valid_until=date.fromisoformat(r["valid_until"]) if r["valid_until"] else None,
        contact_id=r["contact_id"],
        company_id=r["company_id"],
        lines=lines,
        subtotal=from_kopecks(r["subtotal_kopecks"]),
        vat_total=from_kopecks(r["vat_kopecks"]),
        total=from_kopecks(r["total_kopecks"]),
        rejection_reason=r["rejection_reason"],
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
    )
