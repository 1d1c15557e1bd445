"""Конвертировать: a lead becomes contact + company + deal through the API's own command.

On success the browser goes to the new deal's card; bad input and the domain's refusals come
back in place of the form, in Russian, with what the manager typed kept.
"""

from __future__ import annotations

import re
from decimal import Decimal

from aiohttp import web

from crm_core.conversion import ConvertRequest, convert_lead
from crm_core.errors import DomainError
from crm_core.model import Manager
from intake.clock import utcnow
from intake.http.body import parse_amount
from intake.http.keys import SERVICES
from workplace.pages.lead_card import load_card
from workplace.pages.shared import error_text, path_id, render
from workplace.viewer import viewer

FIELDS = ("contact_id", "pipeline", "amount", "title")
TITLE_MAX = 500
CONVERT_MESSAGES = {
    "unknown_pipeline": "Такой воронки нет в настройках: выберите другую.",
    "lead_closed": "Заявка закрыта как брак: её нельзя конвертировать.",
}
BAD_AMOUNT = "Сумма: введите число не меньше нуля, например 150000 или 150\u00a0000,50."
# Thousands separators people type: spaces, no-break and thin spaces.
SPACES = re.compile(r"[\s\u00a0\u202f]")


async def convert(request: web.Request) -> web.StreamResponse:
    """Run the conversion once; a repeated post finds the lead converted and the same deal."""
    me = await viewer(request)
    lead_id = path_id(request, "lead_id") or 0
    form = await request.post()
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    amount = None
    contact_id = values["contact_id"]
    problem = None
    if values["amount"]:
        amount = money(values["amount"])
        problem = BAD_AMOUNT if amount is None else None
    if contact_id and not (contact_id.isdecimal() and len(contact_id) < 19):
        problem = "Выберите клиента из списка."
    if len(values["title"]) > TITLE_MAX:
        problem = f"Название сделки слишком длинное: не больше {TITLE_MAX} символов."
    if problem:
        return await _form_again(request, me, lead_id, problem, values)
    services = request.app[SERVICES]
    wanted = ConvertRequest(
        create_deal=True,
        contact_id=int(contact_id) if contact_id else None,
        pipeline=values["pipeline"] or None,
        title=values["title"] or None,
        amount=amount,
    )
    try:
        async with services.storage.transaction() as uow:
            result = await convert_lead(
                uow,
                lead_id,
                me,
                wanted,
                services.sales.pipelines,
                services.settings.intake.default_region,
                utcnow(),
            )
    except DomainError as err:
        rule: str | None = getattr(err, "rule", None)
        message = CONVERT_MESSAGES.get(rule or "") or error_text(err)
        return await _form_again(request, me, lead_id, message, values)
    target = f"/deals/{result.deal_id}" if result.deal_id else f"/leads/{lead_id}"
    if "HX-Request" not in request.headers:
        raise web.HTTPSeeOther(target)
    response = web.Response(text="", content_type="text/html")
    response.headers["HX-Redirect"] = target
    return response


def money(text: str) -> Decimal | None:
    """An amount as people type it ("150 000,50"), to kopecks; None when it is not one."""
    try:
        return parse_amount(SPACES.sub("", text).replace(",", "."))
    except ValueError:
        return None


async def _form_again(
    request: web.Request, me: Manager, lead_id: int, message: str, values: dict[str, str]
) -> web.StreamResponse:
    """The form with the message on top (htmx), or back to the card with nothing changed."""
    if "HX-Request" not in request.headers:
        raise web.HTTPSeeOther(f"/leads/{lead_id}")
    card = await load_card(request, me, lead_id) or {"lead": None}
    context = {**card, "message": message, "ok": False, "convert": values, "open": True}
    return render(request, "_convert_form.html", me, context)
