"""Shipments and acts: the closing documents of invoices."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.closing_model import ClosingDocument, ClosingStatus, NewClosingDocument


class ClosingDocumentRepository(Protocol):
    """Shipments and acts with the invoice lines they close."""

    async def add_document(self, document: NewClosingDocument, now: datetime) -> int:
        """Store a draft shipment or act and its lines; its id."""

    async def get_document(
        self, document_id: int, *, for_update: bool = False
    ) -> ClosingDocument | None:
        """One shipment or act."""

    async def documents_of_deal(self, deal_id: int) -> list[ClosingDocument]:
        """A deal's shipments and acts, oldest first."""

    async def documents_of_invoice(self, invoice_id: int) -> list[ClosingDocument]:
        """An invoice's shipments and acts, oldest first."""

    async def set_document_status(
        self, document_id: int, status: ClosingStatus, now: datetime
    ) -> None:
        """Change a document's status."""

    async def unshipped_count(self, deal_id: int) -> int:
        """How many of a deal's paid invoices have a line no done shipment or act closes."""
