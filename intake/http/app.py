"""create_app: routes in one place, every long-lived resource in cleanup_ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from config import Settings
from intake.asterisk_client import running_asterisk_clients
from intake.bootstrap import Services, build_services, load_team, prepare_storage
from intake.channel_polling import ChannelPoller
from intake.channel_watch import channel_watch
from intake.email_polling import running_email_pollers
from intake.http import (
    calls,
    contacts,
    events,
    forms,
    leads,
    merges,
    ops,
    reports,
    sales,
    telegram_hook,
    telephony_hooks,
    tokens,
    vk_hook,
)
from intake.http.errors import error_middleware, metrics_middleware
from intake.http.keys import CHANNEL_POLLERS, SERVICES, WORKER_IN_PROCESS
from intake.http.openapi import openapi_document
from intake.http.ratelimit import FORM_LIMITER, FormRateLimiter
from intake.http.request_validation import request_validation_middleware
from intake.http.responses import json_response
from intake.http.slow_clients import body_timeout_middleware, server_args
from intake.http.smartcaptcha import smartcaptcha_ctx
from intake.notifying import running_notifications
from intake.telegram_polling import running_pollers
from intake.telegram_webhook_watch import running_webhook_watches
from intake.vk_polling import running_vk_pollers
from workplace.setup import setup_workplace


def create_app(
    settings: Settings, services: Services | None = None, *, worker: bool = True
) -> web.Application:
    """Build the application; storage opens and the worker starts only when it runs
    (`worker=False`: a `leadintake worker` process drains the inbox instead)."""
    app = web.Application(
        # Innermost: bodies are validated once read within the timeout, and failures are JSON.
        middlewares=[
            metrics_middleware,
            error_middleware,
            body_timeout_middleware,
            request_validation_middleware,
        ],
        # aiohttp's own cap sits above ours so an oversize body gets our JSON 413.
        client_max_size=settings.http.max_body_bytes + 1,
        handler_args=server_args(settings),
    )
    app[SERVICES] = services or build_services(settings)
    app[WORKER_IN_PROCESS] = worker
    app[FORM_LIMITER] = FormRateLimiter(app[SERVICES].settings)
    add_routes(app)
    setup_workplace(app)
    app.cleanup_ctx.append(_storage_ctx)
    app.cleanup_ctx.append(_inbox_ctx)
    # After the inbox: pollers stop before the writer they store through.
    app.cleanup_ctx.append(_telegram_ctx)
    app.cleanup_ctx.append(_notify_ctx)
    app.cleanup_ctx.append(smartcaptcha_ctx)
    return app


def add_routes(app: web.Application) -> None:
    """Every route of the service (the OpenAPI document lists the same ones)."""
    app.router.add_get("/healthz", ops.healthz)
    app.router.add_get("/readyz", ops.readyz)
    app.router.add_get("/metrics", ops.metrics)
    app.router.add_get("/api/v1/openapi.json", _openapi)
    app.router.add_post("/api/v1/forms/{form_key}", forms.post_form)
    app.router.add_post("/hooks/telegram/{bot_name}", telegram_hook.post_update)
    app.router.add_post("/hooks/vk/{group_id}", vk_hook.post_update)
    app.router.add_post("/hooks/telephony/mango/events/{kind}", telephony_hooks.post_mango)
    app.router.add_get("/hooks/telephony/zadarma", telephony_hooks.echo_zadarma)
    app.router.add_post("/hooks/telephony/zadarma", telephony_hooks.post_zadarma)
    app.router.add_get("/hooks/telephony/novofon", telephony_hooks.echo_novofon)
    app.router.add_post("/hooks/telephony/novofon", telephony_hooks.post_novofon)
    app.router.add_post("/hooks/telephony/generic/{source}", telephony_hooks.post_generic)
    app.router.add_get("/api/v1/leads", leads.list_leads)
    app.router.add_get("/api/v1/leads/{lead_id}", leads.get_lead)
    app.router.add_post("/api/v1/leads/{lead_id}/match/confirm", contacts.confirm)
    app.router.add_post("/api/v1/leads/{lead_id}/match/reject", contacts.reject)
    app.router.add_get("/api/v1/contacts/{contact_id}", contacts.get_contact)
    app.router.add_post("/api/v1/contacts/merge", merges.merge_contacts_route)
    app.router.add_post("/api/v1/contacts/merges/{merge_id}/undo", merges.undo_contact_merge)
    app.router.add_get("/api/v1/companies/{company_id}", merges.get_company)
    app.router.add_post("/api/v1/companies/merge", merges.merge_companies_route)
    app.router.add_post("/api/v1/companies/merges/{merge_id}/undo", merges.undo_company_merge)
    app.router.add_post("/api/v1/leads/{lead_id}/take", sales.take)
    app.router.add_post("/api/v1/leads/{lead_id}/junk", sales.junk)
    app.router.add_post("/api/v1/leads/{lead_id}/reassign", sales.reassign)
    app.router.add_post("/api/v1/leads/{lead_id}/convert", sales.convert)
    app.router.add_get("/api/v1/leads/{lead_id}/assignments", sales.assignments)
    app.router.add_get("/api/v1/deals", sales.list_deals)
    app.router.add_get("/api/v1/deals/{deal_id}", sales.get_deal)
    app.router.add_post("/api/v1/deals/{deal_id}/stage", sales.move_stage)
    app.router.add_post("/api/v1/deals/{deal_id}/lost/approve", sales.approve_lost)
    app.router.add_post("/api/v1/deals/{deal_id}/lost/reject", sales.reject_lost)
    app.router.add_post("/api/v1/tasks", sales.create_task)
    app.router.add_post("/api/v1/tasks/{task_id}/done", sales.complete_task)
    app.router.add_post("/api/v1/activities", sales.create_activity)
    app.router.add_get("/api/v1/calls", calls.list_calls)
    app.router.add_get("/api/v1/calls/{call_id}", calls.get_call)
    app.router.add_get("/api/v1/events", events.events)
    app.router.add_get("/api/v1/reports/funnel", reports.funnel)
    app.router.add_get("/api/v1/reports/lead-quality", reports.lead_quality)
    app.router.add_get("/api/v1/tokens", tokens.list_tokens_route)
    app.router.add_post("/api/v1/tokens/{token_id}/revoke", tokens.revoke_token_route)


async def _openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of every route."""
    return json_response(openapi_document(request.app[SERVICES].settings))


async def _storage_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    await prepare_storage(services.settings, services.storage)
    await load_team(services)
    yield
    await services.storage.close()


async def _inbox_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    services.writer.start()
    if app[WORKER_IN_PROCESS]:
        services.worker.start()
    yield
    await services.writer.stop()
    await services.worker.stop()


async def _telegram_ctx(app: web.Application) -> AsyncIterator[None]:
    async with (
        running_pollers(app[SERVICES]) as telegram,
        running_vk_pollers(app[SERVICES]) as vk,
        running_email_pollers(app[SERVICES]) as email,
        running_asterisk_clients(app[SERVICES]) as asterisk,
        running_webhook_watches(app[SERVICES]) as webhooks,
    ):
        pollers: dict[str, ChannelPoller] = {
            f"telegram:{name}": poller for name, poller in telegram.items()
        }
        pollers.update({f"vk:{group}": poller for group, poller in vk.items()})
        pollers.update({f"email:{name}": poller for name, poller in email.items()})
        pollers.update({f"asterisk:{name}": poller for name, poller in asterisk.items()})
        pollers.update({f"telegram:{name}": watch for name, watch in webhooks.items()})
        app[CHANNEL_POLLERS] = pollers
        watch = channel_watch(app[SERVICES], pollers)
        watch.start()
        try:
            yield
        finally:
            await watch.stop()


async def _notify_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    async with running_notifications(
        services.settings,
        services.storage,
        services.sales,
        services.events,
        services.notify_wakeup,
        services.live_wakeup,
    ):
        yield
