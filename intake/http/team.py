"""GET /api/v1/team: the head's team panel as JSON (the workplace's Команда page in data)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from aiohttp import web

from crm_core.access import listing_scope
from crm_core.team_panel import TeamPanel, team_panel
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response


@require_manager
async def team_route(request: web.Request) -> web.StreamResponse:
    """Every active manager's load, speed and duty; 403 for a manager who sees only their own."""
    if listing_scope(current_manager(request)) is not None:
        return error_response(
            403, "forbidden", "only a head of sales sees the team panel", field="Authorization"
        )
    services = request.app[SERVICES]
    now = utcnow()
    async with services.storage.reader() as uow:
        panel = await team_panel(uow, services.sales.team, now)
    return json_response(team_json(panel, now))


def team_json(panel: TeamPanel, now: datetime) -> dict[str, Any]:
    """The panel as the API shows it."""
    return {
        "at": now.isoformat(),
        "take_since": panel.since.isoformat(),
        "unassigned_new_leads": panel.unassigned_new,
        "members": [
            {
                "id": row.manager.id,
                "login": row.manager.login,
                "name": row.manager.name,
                "role": row.manager.role.value,
                "new_leads": row.leads.new,
                "leads_in_work": row.leads.in_work,
                "overdue_tasks": row.overdue_tasks,
                "median_seconds_to_take": row.median_take_seconds,
                "open_deals": row.open_deals,
                "open_amount": {currency: str(amount) for currency, amount in row.deal_amounts},
                "on_duty": row.on_duty,
                "absent": row.absent,
            }
            for row in panel.rows
        ],
    }
