"""A shipment's or an act's PDF for the API and the pages alike, rendered off the event loop."""

from __future__ import annotations

from crm_core.closing import visible_closing_document
from crm_core.closing_model import ClosingDocument, ClosingKind
from crm_core.model import Manager
from intake.bootstrap import Services
from workplace.documents import act_pdf, render_off_loop, shipment_pdf
from workplace.documents.closing_view import act_view, shipment_view


async def closing_document_pdf(
    services: Services, actor: Manager, document_id: int, kind: ClosingKind
) -> tuple[ClosingDocument, bytes]:
    """The shipment or act the actor may see and its PDF; NotFound, DocumentRenderError."""
    async with services.storage.reader() as uow:
        document = await visible_closing_document(uow, document_id, kind, actor)
        invoice = await uow.invoices.get_invoice(document.invoice_id)
    assert invoice is not None
    seller = services.settings.documents.seller
    if kind is ClosingKind.ACT:
        act = act_view(document, invoice, seller)
        return document, await render_off_loop(lambda: act_pdf(act))
    shipment = shipment_view(document, invoice, seller)
    return document, await render_off_loop(lambda: shipment_pdf(shipment))
