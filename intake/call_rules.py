"""Wiring: the `[telephony]` settings as the call use case's rules (lines, extensions)."""

from __future__ import annotations

from config import Settings
from crm_core.inbound import CallRules, LineInfo
from intake.sales_context import SalesContext

UTM_KEYS = ("utm_source", "utm_medium", "utm_campaign")


def call_rules(settings: Settings, sales: SalesContext) -> CallRules:
    """Line → source/UTM/queue, extension → manager (looked up when a call ends, since the
    managers' ids are known only once they are stored), from the setup as last loaded: a
    head's new line or extension counts for the next call, without a restart."""

    def line(number: str | None) -> LineInfo | None:
        route = sales.settings.telephony.line(number)
        if route is None:
            return None
        utm = {key: value for key in UTM_KEYS if (value := getattr(route, key))}
        return LineInfo(route.source, utm, route.queue, route.pipeline)

    def extension_manager(extension: str | None) -> int | None:
        return sales.manager_id(sales.settings.telephony.manager_for_extension(extension))

    return CallRules(settings.telephony.missed_callback_minutes, line, extension_manager)
