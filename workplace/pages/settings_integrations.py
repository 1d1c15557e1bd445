"""Настройки → Интеграции: the head sees each CRM connector and how its deliveries stand.

Read-only: connectors are set up through /api/v1/connectors (the same use cases in
`intake.connectors.setup`); this page shows their health as /readyz does.
"""

from __future__ import annotations

from aiohttp import web

from crm_core.access import may_change_settings
from intake.connectors import setup
from intake.http.keys import SERVICES
from workplace.pages.shared import render
from workplace.pages.team import heads_only
from workplace.viewer import viewer

SECTION = "/settings/integrations"
HEADS_ONLY = "Интеграции доступны только руководителю отдела продаж."
KIND_LABELS = {"bitrix24": "Битрикс24", "amocrm": "amoCRM"}
STATE_LABELS = {
    "ok": "работает",
    "idle": "ещё ничего не отправлено",
    "failing": "ошибка",
    "disabled": "выключена",
}


async def page(request: web.Request) -> web.StreamResponse:
    """Every connector with its state, last success and failure, and dead letters."""
    me = await viewer(request)
    if not may_change_settings(me):
        return heads_only(request, me, HEADS_ONLY)
    storage = request.app[SERVICES].storage
    found = await setup.connectors(storage)
    health = {h.id: h for h in await setup.health(storage)}
    rows = [
        {
            "connector": c,
            "kind": KIND_LABELS.get(c.connector or "", c.connector),
            "health": health.get(c.id),
            "state": setup.health_json(health[c.id], details=True)["state"]
            if c.id in health
            else "idle",
        }
        for c in found
    ]
    context = {"section": SECTION, "rows": rows, "state_labels": STATE_LABELS}
    return render(request, "settings_integrations.html", me, context)
