"""Shipments and acts on the invoice page: «Создать накладную» / «Создать акт» and, on each
document, «Отгружено» / «Подписан» and «Отменить». The API's use cases (crm_core.closing),
each answering with a redirect to the invoice page carrying a notice once (Post/Redirect/Get).
"""

from __future__ import annotations

from aiohttp import web

from crm_core.closing import change_closing_status, create_closing_document
from crm_core.closing import visible_closing_document as visible_document
from crm_core.closing_model import ClosingKind, ClosingStatus
from crm_core.errors import DomainError
from intake.clock import utcnow
from intake.http.closing import closing_terms
from intake.http.keys import SERVICES
from workplace.pages.flash import Flash, redirect_with
from workplace.pages.invoice_page import FLASH_SCOPE, invoice_path, render_invoice
from workplace.pages.shared import not_found, path_id
from workplace.viewer import viewer

# What each form may ask for, and the notice after it, by kind.
ASKED = {ClosingStatus.DONE.value, ClosingStatus.CANCELLED.value}
CREATED = {ClosingKind.SHIPMENT: "Накладная {} создана.", ClosingKind.ACT: "Акт {} создан."}


async def create_shipment(request: web.Request) -> web.StreamResponse:
    """«Создать накладную»: a draft shipment of the invoice's goods."""
    return await _create(request, ClosingKind.SHIPMENT)


async def create_act(request: web.Request) -> web.StreamResponse:
    """«Создать акт»: a draft act of the invoice's services."""
    return await _create(request, ClosingKind.ACT)


async def shipment_status(request: web.Request) -> web.StreamResponse:
    """«Отгружено» or «Отменить» on a shipment."""
    return await _status(request, ClosingKind.SHIPMENT)


async def act_status(request: web.Request) -> web.StreamResponse:
    """«Подписан» or «Отменить» on an act."""
    return await _status(request, ClosingKind.ACT)


async def _create(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    me = await viewer(request)
    invoice_id = path_id(request, "invoice_id")
    if invoice_id is None:
        return not_found(request, me)
    pipelines = request.app[SERVICES].sales.pipelines
    terms = closing_terms(request)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            made = await create_closing_document(
                uow, invoice_id, kind, me, None, pipelines, terms, utcnow()
            )
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        return await render_invoice(request, me, _refusal(err), status=422)
    notice = CREATED[kind].format(made.number)
    raise await redirect_with(request, _target(invoice_id), Flash(notice), FLASH_SCOPE)


async def _status(request: web.Request, kind: ClosingKind) -> web.StreamResponse:
    me = await viewer(request)
    document_id = path_id(request, f"{kind.value}_id")
    if document_id is None:
        return not_found(request, me)
    try:
        async with request.app[SERVICES].storage.reader() as uow:
            found = await visible_document(uow, document_id, kind, me)
    except DomainError:
        return not_found(request, me)
    form = await request.post()
    raw = str(form.get("status", ""))
    if raw not in ASKED:
        problem = f"{kind.label}: выберите новый статус."
        return await render_invoice(request, me, problem, status=422, invoice_id=found.invoice_id)
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            changed = await change_closing_status(
                uow, document_id, kind, me, ClosingStatus(raw), utcnow()
            )
    except DomainError as err:
        if err.status == 404:
            return not_found(request, me)
        message = _refusal(err)
        return await render_invoice(request, me, message, status=422, invoice_id=found.invoice_id)
    notice = f"{kind.label} {changed.number}: {changed.status_label}."
    raise await redirect_with(request, _target(found.invoice_id), Flash(notice), FLASH_SCOPE)


def _target(invoice_id: int) -> str:
    return invoice_path(invoice_id)


def _refusal(err: DomainError) -> str:
    """The closing rules word their refusals in Russian already."""
    return err.message[:1].upper() + err.message[1:]
