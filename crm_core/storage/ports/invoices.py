"""Invoices with their lines and payments, and the payments that settle them."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.invoices_model import Invoice, InvoiceStatus, NewInvoice, NewPayment, Payment


class InvoiceRepository(Protocol):
    """Invoices (lines, what is paid on them) and payments, matched or waiting."""

    async def add_invoice(self, invoice: NewInvoice, now: datetime) -> int:
        """Store a draft invoice and its lines; its id."""

    async def get_invoice(self, invoice_id: int, *, for_update: bool = False) -> Invoice | None:
        """One invoice with its lines and what is paid on it."""

    async def invoice_by_sequence(self, year: int, sequence: int) -> Invoice | None:
        """The invoice numbered `sequence` in `year`."""

    async def invoices_of_deal(self, deal_id: int) -> list[Invoice]:
        """A deal's invoices with their lines, oldest first."""

    async def open_invoices_of_buyer(self, inn: str) -> list[Invoice]:
        """Invoices to a buyer with this INN that wait for money (issued, partly paid),
        oldest first."""

    async def open_invoices(self, limit: int) -> list[Invoice]:
        """Invoices that wait for money (issued, partly paid), oldest first, at most `limit`."""

    async def unpaid_count(self, deal_id: int) -> int:
        """How many of a deal's invoices are neither paid nor withdrawn."""

    async def set_invoice_status(
        self, invoice_id: int, status: InvoiceStatus, now: datetime
    ) -> None:
        """Change an invoice's status."""

    async def add_payment(self, payment: NewPayment, now: datetime) -> int | None:
        """Store a payment; its id, or None when a payment with its identity is stored
        (a payment without one, entered by hand, is always new)."""

    async def get_payment(self, payment_id: int, *, for_update: bool = False) -> Payment | None:
        """One payment."""

    async def list_payments(
        self, *, matched: bool | None, invoice_id: int | None, limit: int, offset: int
    ) -> list[Payment]:
        """Payments, newest first: matched or not, of one invoice."""

    async def match_payment(
        self, payment_id: int, invoice_id: int, actor: str, now: datetime
    ) -> None:
        """Settle an invoice with a waiting payment."""
