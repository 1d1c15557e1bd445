"""Sales documents (quotes now; invoices and acts next) and their yearly number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from crm_core.quotes_model import NewQuote, Quote, QuoteStatus, QuoteTerms


class SalesDocumentRepository(Protocol):
    """Quotes with their lines, and the counters that number documents."""

    async def next_number(self, kind: str, year: int) -> int:
        """The next number of a kind of document in a year (1 for the first), taken by
        updating its counter row in the caller's transaction: a concurrent caller waits until
        this transaction ends, and a rollback gives the number back."""

    async def add_quote(self, quote: NewQuote, now: datetime) -> int:
        """Store a draft quote and its lines; its id."""

    async def get_quote(self, quote_id: int, *, for_update: bool = False) -> Quote | None:
        """One quote with its lines."""

    async def quotes_of_deal(self, deal_id: int) -> list[Quote]:
        """A deal's quotes with their lines, oldest first."""

    async def set_quote_status(
        self, quote_id: int, status: QuoteStatus, rejection_reason: str | None, now: datetime
    ) -> None:
        """Change a quote's status (and its rejection reason)."""

    async def replace_quote_terms(self, quote_id: int, terms: QuoteTerms, now: datetime) -> None:
        """Replace a quote's lines, amounts and terms (its number and status stay)."""
