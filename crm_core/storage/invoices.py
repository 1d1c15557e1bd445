"""Invoices in `invoices` and `invoice_lines`, payments in `payments`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from crm_core.invoices_model import (
    Invoice,
    InvoiceStatus,
    NewInvoice,
    NewPayment,
    Payment,
    PaymentSource,
)
from crm_core.money import Line, VatMode
from crm_core.requisites import Requisites
from crm_core.storage.catalogue import from_kopecks, to_kopecks
from crm_core.storage.sales_documents import (
    line_rows,
    stored_line,
    stored_percent,
    to_hundredths,
)
from crm_core.storage.session import (
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
)

# Every invoice column, and what its payments add up to.
_INVOICE = (
    "i.id, i.deal_id, i.quote_id, i.number, i.year, i.sequence, i.status, i.vat_mode,"
    " i.discount_bp, i.invoice_date, i.due_date, i.contact_id, i.company_id, i.seller, i.buyer,"
    " i.subtotal_kopecks, i.vat_kopecks, i.total_kopecks, i.created_by, i.created_at,"
    " i.updated_at, (SELECT COALESCE(SUM(p.amount_kopecks), 0) FROM payments p"
    " WHERE p.invoice_id = i.id) AS paid_kopecks"
)
_LINE = (
    "invoice_id, position, product_id, name, sku, unit, quantity_milli, price_kopecks,"
    " discount_bp, vat_rate, delivery"
)
_PAYMENT = (
    "id, invoice_id, amount_kopecks, paid_on, document_number, payer_name, payer_inn, purpose,"
    " source, matched_by, matched_at, created_by, created_at"
)
# Statuses whose invoices still ask for money, and those counted as paid.
_OPEN = ("draft", "issued", "partially_paid")


class SqlInvoiceRepository:
    """Invoices with their lines and what is paid on them; payments."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    def _lock(self, for_update: bool) -> str:
        return " FOR UPDATE OF i" if for_update and self._s.dialect == "postgres" else ""

    # ------------------------------------------------------------ invoices

    async def add_invoice(self, invoice: NewInvoice, now: datetime) -> int:
        """Store a draft invoice and its lines; its id."""
        row = await self._s.fetchrow(
            "INSERT INTO invoices (deal_id, quote_id, number, year, sequence, status, vat_mode,"
            " discount_bp, invoice_date, due_date, contact_id, company_id, seller, buyer,"
            " buyer_inn, subtotal_kopecks, vat_kopecks, total_kopecks, created_by, created_at,"
            " updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,"
            " $15, $16, $17, $18, $19, $20, $20) RETURNING id",
            invoice.deal_id,
            invoice.quote_id,
            invoice.number,
            invoice.year,
            invoice.sequence,
            InvoiceStatus.DRAFT.value,
            invoice.vat_mode.value,
            to_hundredths(invoice.discount_percent),
            invoice.invoice_date.isoformat(),
            invoice.due_date.isoformat(),
            invoice.contact_id,
            invoice.company_id,
            to_json(invoice.seller.to_json()),
            to_json(invoice.buyer.to_json()),
            invoice.buyer.inn,
            to_kopecks(invoice.totals.subtotal),
            to_kopecks(invoice.totals.vat_total),
            to_kopecks(invoice.totals.total),
            invoice.created_by,
            now,
        )
        assert row is not None
        invoice_id = int(row["id"])
        await self._s.executemany(
            f"INSERT INTO invoice_lines ({_LINE}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
            " $10, $11)",
            line_rows(invoice_id, invoice.lines),
        )
        return invoice_id

    async def get_invoice(self, invoice_id: int, *, for_update: bool = False) -> Invoice | None:
        """One invoice with its lines and what is paid on it."""
        rows = await self._invoices("i.id = $1", invoice_id, lock=self._lock(for_update))
        return rows[0] if rows else None

    async def invoice_by_sequence(self, year: int, sequence: int) -> Invoice | None:
        """The invoice numbered `sequence` in `year`."""
        rows = await self._invoices("i.year = $1 AND i.sequence = $2", year, sequence)
        return rows[0] if rows else None

    async def invoices_of_deal(self, deal_id: int) -> list[Invoice]:
        """A deal's invoices with their lines, oldest first."""
        return await self._invoices("i.deal_id = $1", deal_id)

    async def open_invoices_of_buyer(self, inn: str) -> list[Invoice]:
        """Invoices to a buyer with this INN that wait for money (issued, partly paid),
        oldest first."""
        return await self._invoices(
            "i.buyer_inn = $1 AND i.status IN ('issued', 'partially_paid')", inn
        )

    async def open_invoices(self, limit: int) -> list[Invoice]:
        """Invoices that wait for money (issued, partly paid), oldest first, at most `limit`."""
        return await self._invoices(
            "i.status IN ('issued', 'partially_paid')", limit=max(int(limit), 0)
        )

    async def unpaid_count(self, deal_id: int) -> int:
        """How many of a deal's invoices are neither paid nor withdrawn."""
        row = await self._s.fetchrow(
            "SELECT COUNT(*) AS n FROM invoices WHERE deal_id = $1"
            f" AND status IN ({', '.join(repr(s) for s in _OPEN)})",
            deal_id,
        )
        return int(row["n"]) if row else 0

    async def set_invoice_status(
        self, invoice_id: int, status: InvoiceStatus, now: datetime
    ) -> None:
        """Change an invoice's status."""
        await self._s.execute(
            "UPDATE invoices SET status = $2, updated_at = $3 WHERE id = $1",
            invoice_id,
            status.value,
            now,
        )

    async def _invoices(
        self, where: str, *args: Any, lock: str = "", limit: int | None = None
    ) -> list[Invoice]:
        tail = f" LIMIT {int(limit)}" if limit is not None else ""
        rows = await self._s.fetch(
            f"SELECT {_INVOICE} FROM invoices i WHERE {where} ORDER BY i.id{tail}{lock}", *args
        )
        lines = await self._lines([int(r["id"]) for r in rows])
        return [_invoice(r, lines.get(int(r["id"]), ())) for r in rows]

    async def _lines(self, invoice_ids: Sequence[int]) -> dict[int, tuple[Line, ...]]:
        if not invoice_ids:
            return {}
        marks = ", ".join(f"${n}" for n in range(1, len(invoice_ids) + 1))
        rows = await self._s.fetch(
            f"SELECT {_LINE} FROM invoice_lines WHERE invoice_id IN ({marks})"
            " ORDER BY invoice_id, position",
            *invoice_ids,
        )
        lines: dict[int, list[Line]] = {}
        for r in rows:
            lines.setdefault(int(r["invoice_id"]), []).append(stored_line(r))
        return {k: tuple(v) for k, v in lines.items()}

    # ------------------------------------------------------------ payments

    async def add_payment(self, payment: NewPayment, now: datetime) -> int | None:
        """Store a payment; its id, or None when a payment with its identity is stored
        (a payment without one, entered by hand, is always new)."""
        matched = payment.invoice_id is not None
        row = await self._s.fetchrow(
            "INSERT INTO payments (invoice_id, amount_kopecks, paid_on, document_number,"
            " payer_name, payer_inn, purpose, source, identity_key, matched_by, matched_at,"
            " created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11,"
            " $12, $13) ON CONFLICT (identity_key) DO NOTHING RETURNING id",
            payment.invoice_id,
            to_kopecks(payment.amount),
            payment.paid_on.isoformat(),
            payment.document_number,
            payment.payer_name,
            payment.payer_inn,
            payment.purpose,
            payment.source.value,
            payment.identity_key,
            payment.created_by if matched else None,
            now if matched else None,
            payment.created_by,
            now,
        )
        return int(row["id"]) if row else None

    async def get_payment(self, payment_id: int, *, for_update: bool = False) -> Payment | None:
        """One payment."""
        lock = " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""
        row = await self._s.fetchrow(
            f"SELECT {_PAYMENT} FROM payments WHERE id = $1{lock}", payment_id
        )
        return _payment(row) if row else None

    async def list_payments(
        self, *, matched: bool | None, invoice_id: int | None, limit: int, offset: int
    ) -> list[Payment]:
        """Payments, newest first: matched or not, of one invoice."""
        where = []
        args: list[Any] = []
        if matched is not None:
            where.append("invoice_id IS NOT NULL" if matched else "invoice_id IS NULL")
        if invoice_id is not None:
            args.append(invoice_id)
            where.append(f"invoice_id = ${len(args)}")
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = await self._s.fetch(
            f"SELECT {_PAYMENT} FROM payments{clause} ORDER BY id DESC"
            f" LIMIT ${len(args) + 1} OFFSET ${len(args) + 2}",
            *args,
            limit,
            offset,
        )
        return [_payment(r) for r in rows]

    async def match_payment(
        self, payment_id: int, invoice_id: int, actor: str, now: datetime
    ) -> None:
        """Settle an invoice with a waiting payment."""
        await self._s.execute(
            "UPDATE payments SET invoice_id = $2, matched_by = $3, matched_at = $4 WHERE id = $1",
            payment_id,
            invoice_id,
            actor,
            now,
        )


def _invoice(r: Row, lines: tuple[Line, ...]) -> Invoice:
    return Invoice(
        id=int(r["id"]),
        deal_id=int(r["deal_id"]),
        quote_id=r["quote_id"],
        number=r["number"],
        year=int(r["year"]),
        sequence=int(r["sequence"]),
        status=InvoiceStatus(r["status"]),
        vat_mode=VatMode(r["vat_mode"]),
        discount_percent=stored_percent(r["discount_bp"]),
        invoice_date=date.fromisoformat(r["invoice_date"]),
        due_date=date.fromisoformat(r["due_date"]),
        contact_id=r["contact_id"],
        company_id=r["company_id"],
        seller=Requisites.from_json(from_json(r["seller"])),
        buyer=Requisites.from_json(from_json(r["buyer"])),
        lines=lines,
        subtotal=from_kopecks(r["subtotal_kopecks"]),
        vat_total=from_kopecks(r["vat_kopecks"]),
        total=from_kopecks(r["total_kopecks"]),
        paid=from_kopecks(r["paid_kopecks"]),
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
    )


def _payment(r: Row) -> Payment:
    return Payment(
        id=int(r["id"]),
        invoice_id=r["invoice_id"],
        amount=from_kopecks(r["amount_kopecks"]),
        paid_on=date.fromisoformat(r["paid_on"]),
        document_number=r["document_number"],
        payer_name=r["payer_name"],
        payer_inn=r["payer_inn"],
        purpose=r["purpose"],
        source=PaymentSource(r["source"]),
        matched_by=r["matched_by"],
        matched_at=as_optional_datetime(r["matched_at"]),
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
    )
