"""Shipments and acts in the workplace: their PDFs downloaded from the deal card's
«Отгрузки и акты» panel, by the API's flow (intake.closing_pdf: the same access rule)."""

from __future__ import annotations

from aiohttp import web

from crm_core.closing_model import ClosingKind
from crm_core.errors import NotFound
from intake.closing_pdf import closing_document_pdf
from intake.http.keys import SERVICES
from intake.http.pdf_files import pdf_file_name, pdf_response
from workplace.documents import DocumentRenderError
from workplace.pages.shared import not_found, path_id
from workplace.viewer import viewer

RENDER_FAILED = "PDF не получился: проверьте реквизиты и картинки в [documents.seller]."


async def shipment_pdf(request: web.Request) -> web.StreamResponse:
    """The shipment («Товарная накладная») as a PDF download."""
    return await _pdf(request, ClosingKind.SHIPMENT)


async def act_pdf(request: web.Request) -> web.StreamResponse:
    """The act as a PDF download."""
    return await _pdf(request, ClosingKind.ACT)


async def _pdf(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    me = await viewer(request)
    document_id = path_id(request, f"{kind.value}_id")
    if document_id is None:
        return not_found(request, me)
    try:
        document, content = await closing_document_pdf(
            request.app[SERVICES], me, document_id, kind
        )
    except NotFound:
        return not_found(request, me)
    except DocumentRenderError:
        raise web.HTTPInternalServerError(text=RENDER_FAILED) from None
    return pdf_response(content, pdf_file_name(document.number))
