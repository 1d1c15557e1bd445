"""Closing documents of an invoice (shipments and acts) as records, and which invoice lines
each kind takes."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from crm_core.catalogue import ProductKind
from crm_core.money import Line


class ClosingKind(StrEnum):
    """A shipment of goods (товарная накладная) or an act of services (акт)."""

    SHIPMENT = "shipment"
    ACT = "act"

    @property
    def label(self) -> str:
        """As managers read it."""
        return "Накладная" if self is ClosingKind.SHIPMENT else "Акт"


class ClosingStatus(StrEnum):
    """Draft, then done (shipped / signed), or cancelled (its lines are free again)."""

    DRAFT = "draft"
    DONE = "done"
    CANCELLED = "cancelled"

    def label(self, kind: ClosingKind) -> str:
        """As managers read it: a shipment is «Отгружено», an act «Подписан» when done."""
        if self is ClosingStatus.DONE:
            return "Отгружено" if kind is ClosingKind.SHIPMENT else "Подписан"
        return "Черновик" if self is ClosingStatus.DRAFT else "Отменён"


TRANSITIONS: Mapping[ClosingStatus, frozenset[ClosingStatus]] = {
    ClosingStatus.DRAFT: frozenset({ClosingStatus.DONE, ClosingStatus.CANCELLED}),
    # A signed act or a shipment entered by mistake can still be cancelled.
    ClosingStatus.DONE: frozenset({ClosingStatus.CANCELLED}),
    ClosingStatus.CANCELLED: frozenset(),
}
# Statuses that hold their lines (a line is closed by at most one of them).
LIVE = frozenset({ClosingStatus.DRAFT, ClosingStatus.DONE})


@dataclass(frozen=True, slots=True)
class NewClosingDocument:
    """A closing document about to be stored: numbered, its invoice lines chosen."""

    invoice_id: int
    deal_id: int
    kind: ClosingKind
    number: str
    year: int
    sequence: int
    document_date: date
    positions: tuple[int, ...]
    created_by: str


@dataclass(frozen=True, slots=True)
class ClosingDocument:
    """A stored shipment or act: the invoice lines it closes, by their positions (from 1)."""

    id: int
    invoice_id: int
    deal_id: int
    kind: ClosingKind
    number: str
    year: int
    sequence: int
    status: ClosingStatus
    document_date: date
    positions: tuple[int, ...]
    created_by: str
    created_at: datetime
    updated_at: datetime

    @property
    def status_label(self) -> str:
        """The status as managers read it."""
        return self.status.label(self.kind)


def line_kind(line: Line, product_kinds: Mapping[int, ProductKind]) -> ClosingKind | None:
    """Which document closes a line: a catalogue product's kind decides (goods are shipped,
    services acted), delivery is a service; a free line (no catalogue product) is None, and
    goes with whichever document the caller makes first."""
    if line.delivery:
        return ClosingKind.ACT
    kind = product_kinds.get(line.product_id) if line.product_id is not None else None
    if kind is None:
        return None
    return ClosingKind.SHIPMENT if kind is ProductKind.PRODUCT else ClosingKind.ACT


def positions_for(
    kind: ClosingKind,
    lines: tuple[Line, ...],
    product_kinds: Mapping[int, ProductKind],
    taken: frozenset[int],
) -> tuple[int, ...]:
    """The positions (from 1) of the invoice lines a new document of `kind` takes: those of
    its kind and the free ones, not already closed by a live document."""
    return tuple(
        position
        for position, line in enumerate(lines, start=1)
        if position not in taken and line_kind(line, product_kinds) in (kind, None)
    )


def closing_number(prefix: str, year: int, sequence: int) -> str:
    """ТН-2026-0001 / АКТ-2026-0001: prefix, year, the year's sequence."""
    return f"{prefix}{year}-{sequence:04d}"
