"""«Оплаты»: the head (who may import statements) uploads the bank statement in the 1C exchange
format and sees what the import did (matched, partly, overpaid, waiting, repeated, not ours),
then settles each waiting payment with an invoice chosen from the open ones (issued or partly
paid: number · client · due date) or typed by its number («Привязать к счёту»).

Both actions are the API's use cases (crm_core.payments) and answer with a redirect carrying
the result once (workplace.pages.flash), so a refresh neither imports nor matches again.
"""

from __future__ import annotations

import json

from aiohttp import web

from crm_core.access import may_import_statements
from crm_core.errors import DomainError
from crm_core.invoices_model import Invoice
from crm_core.model import Manager
from crm_core.payments import (
    ImportSummary,
    Outcome,
    import_statement,
    invoice_numbers,
    match_payment,
    matchable_invoices,
    visible_payments,
)
from crm_core.storage.ports.unit_of_work import UnitOfWork
from intake.clock import utcnow
from intake.http.body import parse_int
from intake.http.keys import SERVICES
from intake.http.payments import STATEMENT_MAX_BYTES
from workplace.pages.flash import Flash, forget_flash, redirect_with, take_flash
from workplace.pages.invoice_page import refusal_text
from workplace.pages.shared import path_id, render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

PATH = "/payments"
WAITING_SHOWN = 200
OPEN_INVOICES_SHOWN = 300
# The import's counts as the page names them, in the order it shows them.
SUMMARY = (
    ("matched", "Зачтено по счетам"),
    ("partial", "из них частично"),
    ("overpaid", "из них с переплатой"),
    ("unmatched", "Ждут привязки"),
    ("duplicates", "Повторы (уже загружены)"),
    ("skipped", "Не на наш счёт"),
)
_SUMMARY_MARK = "summary:"
FORBIDDEN = "Выписки загружает руководитель отдела продаж."


async def page(request: web.Request) -> web.StreamResponse:
    """The upload form, the last import's summary (once) and the payments that wait."""
    me = await viewer(request)
    if not may_import_statements(me):
        return heads_only(request, me, FORBIDDEN)
    flash = await take_flash(request)
    response = await render_payments(request, me, flash.notice if flash else "")
    forget_flash(request, response, PATH)
    return response


async def upload(request: web.Request) -> web.StreamResponse:
    """Import the statement file; back to the page with its summary."""
    me = await viewer(request)
    if not may_import_statements(me):
        return heads_only(request, me, FORBIDDEN)
    form = await request.post()
    file = form.get("statement")
    data = file.file.read(STATEMENT_MAX_BYTES + 1) if isinstance(file, web.FileField) else b""
    if not data:
        return await render_payments(request, me, "", "Выберите файл выписки.", 422)
    if len(data) > STATEMENT_MAX_BYTES:
        return await render_payments(request, me, "", "Файл больше 2 МБ.", 422)
    documents = request.app[SERVICES].settings.documents
    pipelines = request.app[SERVICES].sales.pipelines
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            summary = await import_statement(
                uow,
                me,
                data,
                documents.seller_party,
                documents.invoice_prefix,
                pipelines,
                utcnow(),
            )
    except DomainError as err:
        problem = statement_problem(err)
        return await render_payments(request, me, "", problem, 422)
    raise await redirect_with(request, PATH, Flash(summary_notice(summary)), PATH)


async def match(request: web.Request) -> web.StreamResponse:
    """«Привязать к счёту»: the waiting payment settles the invoice chosen from the list, or
    (none chosen) the invoice of the number typed."""
    me = await viewer(request)
    if not may_import_statements(me):
        return heads_only(request, me, FORBIDDEN)
    payment_id = path_id(request, "payment_id")
    form = await request.post()
    number = str(form.get("invoice_number") or "").strip()
    chosen = str(form.get("invoice_id") or "").strip()
    pipelines = request.app[SERVICES].sales.pipelines
    prefix = request.app[SERVICES].settings.documents.invoice_prefix
    try:
        async with request.app[SERVICES].storage.transaction() as uow:
            if chosen:
                invoice_id = parse_int(chosen)
            else:
                invoice = await _invoice_numbered(uow, number, prefix)
                invoice_id = invoice.id if invoice is not None else None
            if invoice_id is None or payment_id is None:
                problem = _not_found(number, prefix)
                return await render_payments(request, me, "", problem, 422)
            applied = await match_payment(uow, payment_id, invoice_id, me, pipelines, utcnow())
    except DomainError as err:
        return await render_payments(request, me, "", refusal_text(err), 422)
    assert applied.invoice is not None
    notice = f"Оплата привязана к счёту {applied.invoice.number}: {applied.invoice.status.label}."
    raise await redirect_with(request, PATH, Flash(notice), PATH)


def _not_found(number: str, prefix: str) -> str:
    if not number:
        return f"Выберите счёт из списка или введите его номер, например {prefix}2026-0001."
    return f"Счёт «{number}» не найден: введите номер, например {prefix}2026-0001."


async def _invoice_numbered(uow: UnitOfWork, number: str, prefix: str) -> Invoice | None:
    for year, sequence in invoice_numbers(number, prefix):
        invoice = await uow.invoices.invoice_by_sequence(year, sequence)
        if invoice is not None:
            return invoice
    return None


def summary_notice(summary: ImportSummary) -> str:
    """The import's counts, carried to the page by the flash."""
    counts = summary.counts
    values = {
        "matched": counts[Outcome.MATCHED] + counts[Outcome.PARTIAL] + counts[Outcome.OVERPAID],
        "partial": counts[Outcome.PARTIAL],
        "overpaid": counts[Outcome.OVERPAID],
        "unmatched": counts[Outcome.UNMATCHED],
        "duplicates": counts[Outcome.DUPLICATE],
        "skipped": counts[Outcome.SKIPPED],
    }
    return _SUMMARY_MARK + json.dumps(values)


def summary_rows(notice: str) -> list[tuple[str, str, int]] | None:
    """(key, label, count) of an import's notice; None for another notice."""
    if not notice.startswith(_SUMMARY_MARK):
        return None
    try:
        values = json.loads(notice.removeprefix(_SUMMARY_MARK))
    except ValueError:
        return None
    return [(key, label, int(values.get(key, 0))) for key, label in SUMMARY]


def statement_problem(err: DomainError) -> str:
    """Why a statement was refused, in Russian."""
    if getattr(err, "rule", None) == "seller_not_configured":
        return "Расчётный счёт продавца не задан: заполните account в [documents.seller]."
    if err.field == "body":
        return "Это не выписка 1С: файл должен начинаться со строки 1CClientBankExchange."
    if err.field.startswith("documents."):
        number = int(err.field.split(".")[1]) + 1
        return f"В документе {number} выписки ошибка в поле «{err.field.split('.')[-1]}»."
    return refusal_text(err)


async def render_payments(
    request: web.Request,
    me: Manager,
    notice: str,
    problem: str = "",
    status: int = 200,
) -> web.Response:
    """The payments page: a notice or the import's summary, a refusal, the waiting list."""
    async with request.app[SERVICES].storage.reader() as uow:
        waiting = await visible_payments(uow, me, False, None, WAITING_SHOWN, 0)
        invoices = await matchable_invoices(uow, me, OPEN_INVOICES_SHOWN) if waiting else []
    rows = summary_rows(notice)
    context = {
        "summary": rows,
        "notice": "" if rows is not None else notice,
        "problem": problem,
        "waiting": waiting,
        "invoices": invoices,
        "prefix": request.app[SERVICES].settings.documents.invoice_prefix,
    }
    return render(request, "payments.html", me, context, status=status, section=PATH)
