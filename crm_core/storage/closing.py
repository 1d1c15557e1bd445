"""Shipments and acts in `closing_documents` and `closing_document_lines`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from crm_core.closing_model import (
    ClosingDocument,
    ClosingKind,
    ClosingStatus,
    NewClosingDocument,
)
from crm_core.storage.session import Row, SqlSession, as_datetime

_DOCUMENT = (
    "id, invoice_id, deal_id, kind, number, year, sequence, status, document_date, created_by,"
    " created_at, updated_at"
)


class SqlClosingDocumentRepository:
    """Shipments and acts with the invoice lines they close."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add_document(self, document: NewClosingDocument, now: datetime) -> int:
        """Store a draft shipment or act and its lines; its id."""
        row = await self._s.fetchrow(
            "INSERT INTO closing_documents (invoice_id, deal_id, kind, number, year, sequence,"
            " status, document_date, created_by, created_at, updated_at)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
            document.invoice_id,
            document.deal_id,
            document.kind.value,
            document.number,
            document.year,
            document.sequence,
            ClosingStatus.DRAFT.value,
            document.document_date.isoformat(),
            document.created_by,
            now,
        )
        assert row is not None
        document_id = int(row["id"])
        await self._s.executemany(
            "INSERT INTO closing_document_lines (document_id, invoice_id, position)"
            " VALUES ($1, $2, $3)",
            [(document_id, document.invoice_id, p) for p in document.positions],
        )
        return document_id

    async def get_document(
        self, document_id: int, *, for_update: bool = False
    ) -> ClosingDocument | None:
        """One shipment or act."""
        lock = " FOR UPDATE" if for_update and self._s.dialect == "postgres" else ""
        rows = await self._s.fetch(
            f"SELECT {_DOCUMENT} FROM closing_documents WHERE id = $1{lock}", document_id
        )
        found = await self._with_lines(rows)
        return found[0] if found else None

    async def documents_of_deal(self, deal_id: int) -> list[ClosingDocument]:
        """A deal's shipments and acts, oldest first."""
        rows = await self._s.fetch(
            f"SELECT {_DOCUMENT} FROM closing_documents WHERE deal_id = $1 ORDER BY id", deal_id
        )
        return await self._with_lines(rows)

    async def documents_of_invoice(self, invoice_id: int) -> list[ClosingDocument]:
        """An invoice's shipments and acts, oldest first."""
        rows = await self._s.fetch(
            f"SELECT {_DOCUMENT} FROM closing_documents WHERE invoice_id = $1 ORDER BY id",
            invoice_id,
        )
        return await self._with_lines(rows)

    async def set_document_status(
        self, document_id: int, status: ClosingStatus, now: datetime
    ) -> None:
        """Change a document's status."""
        await self._s.execute(
            "UPDATE closing_documents SET status = $2, updated_at = $3 WHERE id = $1",
            document_id,
            status.value,
            now,
        )

    async def unshipped_count(self, deal_id: int) -> int:
        """How many of a deal's paid invoices have a line no done shipment or act closes."""
        row = await self._s.fetchrow(
            "SELECT COUNT(DISTINCT l.invoice_id) AS n FROM invoice_lines l"
            " JOIN invoices i ON i.id = l.invoice_id"
            " WHERE i.deal_id = $1 AND i.status = 'paid' AND NOT EXISTS ("
            "  SELECT 1 FROM closing_document_lines c"
            "  JOIN closing_documents d ON d.id = c.document_id"
            "  WHERE c.invoice_id = l.invoice_id AND c.position = l.position"
            "  AND d.status = 'done')",
            deal_id,
        )
        return int(row["n"]) if row else 0

    async def _with_lines(self, rows: Sequence[Row]) -> list[ClosingDocument]:
        if not rows:
            return []
        ids = [int(r["id"]) for r in rows]
        marks = ", ".join(f"${n}" for n in range(1, len(ids) + 1))
        line_rows = await self._s.fetch(
            "SELECT document_id, position FROM closing_document_lines"
            f" WHERE document_id IN ({marks}) ORDER BY document_id, position",
            *ids,
        )
        positions: dict[int, list[int]] = {}
        for r in line_rows:
            positions.setdefault(int(r["document_id"]), []).append(int(r["position"]))
        return [_document(r, tuple(positions.get(int(r["id"]), ()))) for r in rows]


def _document(r: Row, positions: tuple[int, ...]) -> ClosingDocument:
    return ClosingDocument(
        id=int(r["id"]),
        invoice_id=int(r["invoice_id"]),
        deal_id=int(r["deal_id"]),
        kind=ClosingKind(r["kind"]),
        number=r["number"],
        year=int(r["year"]),
        sequence=int(r["sequence"]),
        status=ClosingStatus(r["status"]),
        document_date=date.fromisoformat(r["document_date"]),
        positions=positions,
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
    )
