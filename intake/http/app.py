"""create_app: routes in one place, every long-lived resource in cleanup_ctx."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack

from aiohttp import web
from aiohttp.typedefs import Handler

from channels.registry import CHANNELS
from channels.webhook import Webhook
from config import Settings
from intake.bootstrap import (
    Services,
    build_services,
    load_team,
    prepare_storage,
    refreshing_team,
)
from intake.channel_polling import PrefixedPollers
from intake.channel_watch import channel_watch
from intake.clock import utcnow
from intake.form_submissions import flushing
from intake.http import (
    calls,
    catalogue,
    closing,
    connectors,
    contacts,
    conversations,
    events,
    invoice_documents,
    invoices,
    leads,
    merges,
    money_reports,
    ops,
    payments,
    persons,
    queue_preview,
    quote_documents,
    quotes,
    reports,
    sales,
    settings_managers,
    team,
    tokens,
    webhook_subscriptions,
)
from intake.http.errors import error_middleware, metrics_middleware
from intake.http.keys import CHANNEL_POLLERS, SERVICES, WORKER_IN_PROCESS
from intake.http.openapi import openapi_document
from intake.http.ratelimit import FORM_LIMITER, FormRateLimiter
from intake.http.request_validation import request_validation_middleware
from intake.http.responses import json_response
from intake.http.settings_documents import document_routes, move_deals_route
from intake.http.slow_clients import body_timeout_middleware, server_args
from intake.http.smartcaptcha import smartcaptcha_ctx
from intake.http.uploads import upload_middleware
from intake.http.webhook import webhook_handler
from intake.notifying import running_notifications
from intake.replies.wiring import running_replies
from intake.retention import running_retention
from intake.settings_changes import EDITABLE
from intake.webhooks.wiring import running_webhooks
from workplace.app import setup_workplace
from workplace.bot import wiring as manager_bot


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
            # Before the body timeout: a message with a file has a larger cap of its own.
            upload_middleware,
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
    app.cleanup_ctx.append(_form_log_ctx)
    # After the inbox: pollers stop before the writer they store through.
    app.cleanup_ctx.append(_channels_ctx)
    app.cleanup_ctx.append(_notify_ctx)
    app.cleanup_ctx.append(_replies_ctx)
    app.cleanup_ctx.append(_webhooks_ctx)
    app.cleanup_ctx.append(_retention_ctx)
    app.cleanup_ctx.append(smartcaptcha_ctx)
    # After storage and notifications: the bot's handlers use both.
    manager_bot.setup_manager_bot(app)
    app.on_shutdown.append(_end_event_streams)
    return app


async def _openapi(request: web.Request) -> web.Response:
    """The OpenAPI 3.1 description of every route."""
    return json_response(openapi_document(request.app[SERVICES].settings))


# Every fixed route of the service, in order, one per line (the OpenAPI document lists the
# same ones); the channels' webhooks and forms come from their specs (add_channel_routes).
ROUTES: tuple[tuple[str, str, Handler], ...] = (
    ("GET", "/healthz", ops.healthz),
    ("GET", "/readyz", ops.readyz),
    ("GET", "/metrics", ops.metrics),
    ("GET", "/api/v1/openapi.json", _openapi),
    ("POST", manager_bot.WEBHOOK_PATH, manager_bot.webhook),
    ("GET", "/api/v1/leads", leads.list_leads),
    ("GET", "/api/v1/leads/{lead_id}", leads.get_lead),
    ("POST", "/api/v1/leads/joins/{join_id}/undo", merges.undo_lead_join_route),
    ("POST", "/api/v1/leads/{lead_id}/match/confirm", contacts.confirm),
    ("POST", "/api/v1/leads/{lead_id}/match/reject", contacts.reject),
    ("GET", "/api/v1/contacts/{contact_id}", contacts.get_contact),
    ("POST", "/api/v1/contacts/merge", merges.merge_contacts_route),
    ("POST", "/api/v1/contacts/merges/{merge_id}/undo", merges.undo_contact_merge),
    ("GET", "/api/v1/companies/{company_id}", merges.get_company),
    ("POST", "/api/v1/companies/merge", merges.merge_companies_route),
    ("POST", "/api/v1/companies/merges/{merge_id}/undo", merges.undo_company_merge),
    ("POST", "/api/v1/leads/{lead_id}/take", sales.take),
    ("POST", "/api/v1/leads/{lead_id}/junk", sales.junk),
    ("POST", "/api/v1/leads/{lead_id}/reassign", sales.reassign),
    ("POST", "/api/v1/leads/{lead_id}/convert", sales.convert),
    ("GET", "/api/v1/leads/{lead_id}/assignments", sales.assignments),
    ("GET", "/api/v1/deals", sales.list_deals),
    ("GET", "/api/v1/deals/{deal_id}", sales.get_deal),
    ("POST", "/api/v1/deals/{deal_id}/stage", sales.move_stage),
    ("POST", "/api/v1/deals/{deal_id}/lost/approve", sales.approve_lost),
    ("POST", "/api/v1/deals/{deal_id}/lost/reject", sales.reject_lost),
    ("POST", "/api/v1/tasks", sales.create_task),
    ("POST", "/api/v1/tasks/{task_id}/done", sales.complete_task),
    ("POST", "/api/v1/activities", sales.create_activity),
    ("GET", "/api/v1/calls", calls.list_calls),
    ("POST", "/api/v1/conversations/{entity}/{entity_id}/messages", conversations.send_message),
    ("GET", "/api/v1/conversations/{entity}/{entity_id}/messages", conversations.list_messages),
    (
        "GET",
        "/api/v1/conversations/{entity}/{entity_id}/attachments/{attachment}",
        conversations.download_attachment,
    ),
    ("GET", "/api/v1/calls/{call_id}", calls.get_call),
    ("GET", "/api/v1/events", events.events),
    ("GET", "/api/v1/reports/funnel", reports.funnel),
    ("GET", "/api/v1/reports/lead-quality", reports.lead_quality),
    ("GET", "/api/v1/reports/revenue", money_reports.revenue),
    ("GET", "/api/v1/reports/receivables", money_reports.receivables),
    ("GET", "/api/v1/reports/documents-conversion", money_reports.documents_conversion),
    ("GET", "/api/v1/team", team.team_route),
    ("GET", "/api/v1/tokens", tokens.list_tokens_route),
    ("POST", "/api/v1/tokens", tokens.issue_token_route),
    ("POST", "/api/v1/tokens/{token_id}/revoke", tokens.revoke_token_route),
    ("GET", "/api/v1/settings/managers", settings_managers.list_route),
    ("POST", "/api/v1/settings/managers", settings_managers.create_route),
    ("GET", "/api/v1/settings/managers/{login}", settings_managers.get_route),
    ("PUT", "/api/v1/settings/managers/{login}", settings_managers.update_route),
    ("DELETE", "/api/v1/settings/managers/{login}", settings_managers.deactivate_route),
    ("POST", "/api/v1/settings/pipelines/{key}/stages/{stage}/move-deals", move_deals_route),
    # Before the queues' `/{key}` routes (document_routes), which would take "preview" for a key.
    ("GET", "/api/v1/settings/queues/preview", queue_preview.route_preview_route),
    ("GET", "/api/v1/settings/queues/{key}/preview", queue_preview.queue_preview_route),
    ("GET", "/api/v1/products", catalogue.list_products_route),
    ("POST", "/api/v1/products", catalogue.create_product_route),
    ("POST", "/api/v1/products/import", catalogue.import_products_route),
    ("GET", "/api/v1/products/{product_id}", catalogue.get_product_route),
    ("PUT", "/api/v1/products/{product_id}", catalogue.update_product_route),
    ("DELETE", "/api/v1/products/{product_id}", catalogue.delete_product_route),
    ("GET", "/api/v1/price-lists", catalogue.list_price_lists_route),
    ("POST", "/api/v1/price-lists", catalogue.create_price_list_route),
    ("GET", "/api/v1/price-lists/{price_list_id}", catalogue.get_price_list_route),
    ("PUT", "/api/v1/price-lists/{price_list_id}", catalogue.update_price_list_route),
    ("DELETE", "/api/v1/price-lists/{price_list_id}", catalogue.delete_price_list_route),
    ("POST", "/api/v1/deals/{deal_id}/quotes", quotes.create_quote_route),
    ("GET", "/api/v1/deals/{deal_id}/quotes", quotes.list_deal_quotes_route),
    ("GET", "/api/v1/quotes/{quote_id}", quotes.get_quote_route),
    ("PUT", "/api/v1/quotes/{quote_id}", quotes.edit_quote_route),
    ("POST", "/api/v1/quotes/{quote_id}/status", quotes.change_status_route),
    ("GET", "/api/v1/quotes/{quote_id}/pdf", quote_documents.quote_pdf_route),
    ("POST", "/api/v1/quotes/{quote_id}/send", quote_documents.send_quote_route),
    ("POST", "/api/v1/quotes/{quote_id}/invoice", invoices.invoice_from_quote_route),
    ("POST", "/api/v1/deals/{deal_id}/invoices", invoices.create_invoice_route),
    ("GET", "/api/v1/deals/{deal_id}/invoices", invoices.list_deal_invoices_route),
    ("GET", "/api/v1/invoices/{invoice_id}", invoices.get_invoice_route),
    ("GET", "/api/v1/invoices/{invoice_id}/pdf", invoice_documents.invoice_pdf_route),
    ("POST", "/api/v1/invoices/{invoice_id}/send", invoice_documents.send_invoice_route),
    ("POST", "/api/v1/invoices/{invoice_id}/status", invoices.change_invoice_status_route),
    ("POST", "/api/v1/invoices/{invoice_id}/shipments", closing.create_shipment_route),
    ("POST", "/api/v1/invoices/{invoice_id}/acts", closing.create_act_route),
    ("GET", "/api/v1/deals/{deal_id}/shipments", closing.list_deal_closing_route),
    ("GET", "/api/v1/shipments/{shipment_id}", closing.get_shipment_route),
    ("POST", "/api/v1/shipments/{shipment_id}/status", closing.shipment_status_route),
    ("GET", "/api/v1/shipments/{shipment_id}/pdf", closing.shipment_pdf_route),
    ("GET", "/api/v1/acts/{act_id}", closing.get_act_route),
    ("POST", "/api/v1/acts/{act_id}/status", closing.act_status_route),
    ("GET", "/api/v1/acts/{act_id}/pdf", closing.act_pdf_route),
    ("POST", "/api/v1/payments", payments.create_payment_route),
    ("POST", "/api/v1/payments/import", payments.import_payments_route),
    ("GET", "/api/v1/payments", payments.list_payments_route),
    ("POST", "/api/v1/payments/{payment_id}/match", payments.match_payment_route),
    ("GET", "/api/v1/webhooks", webhook_subscriptions.list_route),
    ("POST", "/api/v1/webhooks", webhook_subscriptions.create_route),
    ("GET", "/api/v1/webhooks/{webhook_id}", webhook_subscriptions.get_route),
    ("PUT", "/api/v1/webhooks/{webhook_id}", webhook_subscriptions.update_route),
    ("DELETE", "/api/v1/webhooks/{webhook_id}", webhook_subscriptions.delete_route),
    ("GET", "/api/v1/webhooks/{webhook_id}/deliveries", webhook_subscriptions.deliveries_route),
    (
        "POST",
        "/api/v1/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
        webhook_subscriptions.replay_route,
    ),
    (
        "GET",
        "/api/v1/webhooks/{webhook_id}/dead-letters",
        webhook_subscriptions.dead_letters_route,
    ),
    (
        "POST",
        "/api/v1/webhooks/{webhook_id}/dead-letters/replay",
        webhook_subscriptions.replay_dead_route,
    ),
    ("GET", "/api/v1/persons", persons.find_route),
    ("GET", "/api/v1/persons/export", persons.export_route),
    ("POST", "/api/v1/persons/erase", persons.erase_route),
    ("GET", "/api/v1/persons/erasures/{erasure_id}/act", persons.act_route),
    ("GET", "/api/v1/connectors", connectors.list_route),
    ("POST", "/api/v1/connectors", connectors.create_route),
    ("GET", "/api/v1/connectors/{connector_id}", connectors.get_route),
    ("PUT", "/api/v1/connectors/{connector_id}", connectors.update_route),
    ("DELETE", "/api/v1/connectors/{connector_id}", connectors.delete_route),
    ("POST", "/api/v1/connectors/{connector_id}/test", connectors.test_route),
    ("GET", "/api/v1/connectors/{connector_id}/deliveries", connectors.deliveries_route),
    (
        "POST",
        "/api/v1/connectors/{connector_id}/dead-letters/replay",
        connectors.replay_dead_route,
    ),
)


def add_routes(app: web.Application) -> None:
    """Every route of the service (the OpenAPI document lists the same ones)."""
    for method, path, handler in ROUTES:
        if method == "GET":
            app.router.add_get(path, handler)  # with HEAD, as aiohttp adds it
        else:
            app.router.add_route(method, path, handler)
    for kind in EDITABLE:
        for method, path, handler in document_routes(kind):
            app.router.add_route(method, path, handler)
    add_channel_routes(app)


def add_channel_routes(app: web.Application) -> None:
    """Every route the registered channels declare (channels/registry.py)."""
    for spec in CHANNELS:
        for route in spec.routes:
            handler = (
                webhook_handler(route.handler)
                if isinstance(route.handler, Webhook)
                else route.handler.load()
            )
            app.router.add_route(route.method, route.path, handler)


async def _storage_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    await prepare_storage(services.settings, services.storage)
    await load_team(services)
    async with refreshing_team(services):
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


async def _form_log_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    async with flushing(services.form_log, services.storage):
        yield


async def _channels_ctx(app: web.Application) -> AsyncIterator[None]:
    """Every poller the registered channels declare, watched, and stopped in reverse."""
    services = app[SERVICES]
    async with AsyncExitStack() as stack:
        # Live: a group following the settings starts and stops pollers as they change.
        pollers = PrefixedPollers()
        for spec in CHANNELS:
            for group in spec.pollers:
                pollers.add(
                    group.prefix, await stack.enter_async_context(group.start.load()(services))
                )
        app[CHANNEL_POLLERS] = pollers
        watch = channel_watch(services, pollers)
        watch.start()
        try:
            yield
        finally:
            await watch.stop()


async def _end_event_streams(app: web.Application) -> None:
    # Before aiohttp waits for running handlers: an open stream (every workplace page has
    # one) would otherwise hold a stop for the whole grace period.
    app[SERVICES].events.close()


async def _retention_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    async with running_retention(
        services.storage, services.settings.privacy.retention_days, utcnow
    ):
        yield


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


async def _replies_ctx(app: web.Application) -> AsyncIterator[None]:
    services = app[SERVICES]
    async with running_replies(services.settings, services.storage, services.outgoing_wakeup):
        yield


async def _webhooks_ctx(app: web.Application) -> AsyncIterator[None]:
    async with running_webhooks(app[SERVICES]):
        yield
