"""The managers' web workplace inside the service's aiohttp app: templates, static, pages."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.typedefs import Handler
from aiohttp.web_urldispatcher import AbstractResource

from intake.http.keys import EVENT_AUTHENTICATORS
from workplace.auth.routes import add_sign_in
from workplace.auth.session import stream_sign_in
from workplace.pages import (
    catalogue,
    catalogue_products,
    channels,
    clients,
    closing_documents,
    contact_card,
    convert,
    deal_actions,
    deal_card,
    deal_work,
    deals_board,
    form_settings,
    invite,
    invoice_closing,
    invoice_documents,
    invoice_page,
    lead_actions,
    lead_card,
    lead_notes,
    merge,
    money_reports,
    payments_page,
    placeholders,
    price_lists,
    quote_builder,
    quote_documents,
    quote_page,
    replies,
    reports,
    settings_integrations,
    settings_lists,
    settings_managers,
    settings_pipelines,
    settings_queues,
    settings_webhooks,
    tasks,
    team,
    triage,
)
from workplace.pages.shared import FILTERS
from workplace.security_headers import security_headers_middleware

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
# Every workplace route is named with this prefix, so API checks can tell them apart.
PREFIX = "workplace."


# (method, path, handler, name): each route is added as `workplace.<name>`.
ROUTES: tuple[tuple[str, str, Handler, str], ...] = (
    ("GET", "/", triage.page, "triage"),
    ("GET", "/leads/{lead_id}", lead_card.page, "lead_card"),
    ("POST", "/leads/{lead_id}/take", lead_actions.take, "take"),
    ("POST", "/leads/{lead_id}/junk", lead_actions.junk, "junk"),
    ("POST", "/leads/{lead_id}/reassign", lead_actions.reassign, "reassign"),
    ("POST", "/leads/{lead_id}/match/confirm", lead_actions.confirm_match, "match_confirm"),
    ("POST", "/leads/{lead_id}/match/reject", lead_actions.reject_match, "match_reject"),
    ("POST", "/leads/{lead_id}/joins/{join_id}/undo", lead_actions.undo_join, "lead_join_undo"),
    ("POST", "/leads/{lead_id}/notes", lead_notes.add_note, "lead_note"),
    ("POST", "/leads/{lead_id}/tasks", lead_notes.add_lead_task, "lead_task"),
    ("POST", "/leads/{lead_id}/messages", replies.lead_message, "lead_message"),
    ("GET", "/files/{entity}/{entity_id}/{attachment}", replies.download, "conversation_file"),
    ("POST", "/leads/{lead_id}/convert", convert.convert, "convert"),
    ("GET", "/tasks", tasks.page, "tasks"),
    ("POST", "/tasks/{task_id}/done", tasks.done, "task_done"),
    ("GET", "/deals", deals_board.page, "deals"),
    ("GET", "/deals/{deal_id}", deal_card.page, "deal_card"),
    ("POST", "/deals/{deal_id}/move", deal_actions.move, "deal_move"),
    ("POST", "/deals/{deal_id}/lost/approve", deal_actions.approve_lost, "deal_lost_approve"),
    ("POST", "/deals/{deal_id}/lost/reject", deal_actions.reject_lost, "deal_lost_reject"),
    ("POST", "/deals/{deal_id}/messages", replies.deal_message, "deal_message"),
    ("POST", "/deals/{deal_id}/notes", deal_work.add_note, "deal_note"),
    ("POST", "/deals/{deal_id}/tasks", deal_work.add_deal_task, "deal_task"),
    ("POST", "/deals/{deal_id}/tasks/{task_id}/done", deal_work.task_done, "deal_task_done"),
    ("GET", "/clients", clients.page, "clients"),
    ("POST", "/clients", clients.page, "clients_search"),
    ("GET", "/clients/contacts/{contact_id}", contact_card.contact_page, "contact_card"),
    ("GET", "/clients/companies/{company_id}", contact_card.company_page, "company_card"),
    (
        "POST",
        "/clients/contacts/{contact_id}/messages",
        replies.contact_message,
        "contact_message",
    ),
    ("GET", "/team", team.page, "team"),
    ("GET", "/settings", placeholders.settings_home, "settings"),
    ("GET", "/settings/forms", form_settings.list_page, "settings_forms"),
    ("POST", "/settings/forms", form_settings.create, "settings_form_create"),
    ("GET", "/settings/forms/{key}", form_settings.form_page, "settings_form"),
    ("POST", "/settings/forms/{key}", form_settings.update, "settings_form_update"),
    ("POST", "/settings/forms/{key}/delete", form_settings.delete, "settings_form_delete"),
    ("GET", "/settings/channels", channels.page, "settings_channels"),
    ("POST", "/settings/channels/telegram/{bot_name}", channels.save_telegram, "channel_telegram"),
    (
        "POST",
        "/settings/channels/telegram/{bot_name}/webhook",
        channels.register_telegram,
        "channel_telegram_webhook",
    ),
    ("POST", "/settings/channels/vk/{group_id}/callback", channels.register_vk, "channel_vk"),
    ("GET", "/settings/managers", settings_managers.page, "settings_managers"),
    ("POST", "/settings/managers", settings_managers.create, "settings_managers_create"),
    ("GET", "/settings/managers/{login}", settings_managers.manager_page, "settings_manager"),
    ("POST", "/settings/managers/{login}", settings_managers.update, "settings_manager_update"),
    (
        "POST",
        "/settings/managers/{login}/absences",
        settings_managers.add_absence,
        "settings_manager_absence",
    ),
    (
        "POST",
        "/settings/managers/{login}/absences/remove",
        settings_managers.remove_absence,
        "settings_manager_absence_remove",
    ),
    (
        "POST",
        "/settings/managers/{login}/deactivate",
        settings_managers.deactivate,
        "settings_manager_deactivate",
    ),
    (
        "POST",
        "/settings/managers/{login}/activate",
        settings_managers.activate,
        "settings_manager_activate",
    ),
    ("POST", "/settings/managers/{login}/access", settings_managers.access, "settings_access"),
    ("POST", "/settings/managers/{login}/tokens", settings_managers.issue_token, "settings_token"),
    (
        "POST",
        "/settings/managers/{login}/tokens/{token_id}/revoke",
        settings_managers.revoke,
        "settings_token_revoke",
    ),
    ("GET", "/invite/{token}", invite.page, "invite"),
    ("POST", "/invite/{token}", invite.accept, "invite_accept"),
    ("GET", "/settings/pipelines", settings_pipelines.page, "settings_pipelines"),
    ("POST", "/settings/pipelines", settings_pipelines.add_pipeline, "settings_pipeline_add"),
    ("POST", "/settings/pipelines/{key}", settings_pipelines.save_pipeline, "settings_pipeline"),
    (
        "POST",
        "/settings/pipelines/{key}/stages/{stage}/move-deals",
        settings_pipelines.move_deals,
        "settings_pipeline_move_deals",
    ),
    ("GET", "/settings/lists", settings_lists.page, "settings_lists"),
    ("POST", "/settings/lists/{kind}", settings_lists.create, "settings_list_create"),
    ("POST", "/settings/lists/{kind}/{key}", settings_lists.update, "settings_list_update"),
    ("POST", "/settings/lists/{kind}/{key}/delete", settings_lists.delete, "settings_list_delete"),
    ("GET", "/settings/queues", settings_queues.page, "settings_queues"),
    ("GET", "/settings/webhooks", settings_webhooks.page, "settings_webhooks"),
    ("GET", "/settings/integrations", settings_integrations.page, "settings_integrations"),
    (
        "POST",
        "/settings/integrations",
        settings_integrations.create,
        "settings_integration_create",
    ),
    (
        "GET",
        "/settings/integrations/new",
        settings_integrations.new_form,
        "settings_integration_new",
    ),
    (
        "GET",
        "/settings/integrations/{connector_id}",
        settings_integrations.edit_form,
        "settings_integration",
    ),
    (
        "POST",
        "/settings/integrations/{connector_id}",
        settings_integrations.update,
        "settings_integration_update",
    ),
    (
        "POST",
        "/settings/integrations/{connector_id}/active",
        settings_integrations.toggle,
        "settings_integration_active",
    ),
    (
        "POST",
        "/settings/integrations/{connector_id}/test",
        settings_integrations.test_lead,
        "settings_integration_test",
    ),
    ("POST", "/settings/webhooks", settings_webhooks.create, "settings_webhook_create"),
    ("GET", "/settings/webhooks/{webhook_id}", settings_webhooks.log, "settings_webhook_log"),
    (
        "POST",
        "/settings/webhooks/{webhook_id}/active",
        settings_webhooks.toggle,
        "settings_webhook_active",
    ),
    (
        "POST",
        "/settings/webhooks/{webhook_id}/delete",
        settings_webhooks.delete,
        "settings_webhook_delete",
    ),
    (
        "POST",
        "/settings/webhooks/{webhook_id}/deliveries/{delivery_id}/replay",
        settings_webhooks.replay_one,
        "settings_webhook_replay",
    ),
    (
        "POST",
        "/settings/webhooks/{webhook_id}/dead-letters/replay",
        settings_webhooks.replay_dead,
        "settings_webhook_replay_dead",
    ),
    ("POST", "/settings/queues", settings_queues.create, "settings_queue_create"),
    ("POST", "/settings/queues/{key}", settings_queues.update, "settings_queue_update"),
    ("POST", "/settings/queues/{key}/delete", settings_queues.delete, "settings_queue_delete"),
    ("GET", "/clients/contacts/{contact_id}/merge", merge.page, "contact_merge"),
    ("POST", "/clients/contacts/{contact_id}/merge/find", merge.page, "contact_merge_find"),
    ("POST", "/clients/contacts/{contact_id}/merge", merge.merge, "contact_merge_post"),
    ("POST", "/clients/merges/{merge_id}/undo", merge.undo, "contact_merge_undo"),
    ("GET", "/reports", reports.page, "reports"),
    ("GET", "/reports/money", money_reports.page, "money_reports"),
    ("GET", "/catalogue", catalogue.page, "catalogue"),
    ("POST", "/catalogue/import", catalogue.upload, "catalogue_import"),
    ("GET", "/catalogue/products/new", catalogue_products.new_page, "catalogue_product_new"),
    ("POST", "/catalogue/products", catalogue_products.create, "catalogue_product_create"),
    ("GET", "/catalogue/products/{product_id}", catalogue_products.edit_page, "catalogue_product"),
    (
        "POST",
        "/catalogue/products/{product_id}",
        catalogue_products.update,
        "catalogue_product_update",
    ),
    ("POST", "/catalogue/price-lists", price_lists.create, "catalogue_price_list_create"),
    ("GET", "/catalogue/price-lists/{price_list_id}", price_lists.page, "catalogue_price_list"),
    (
        "POST",
        "/catalogue/price-lists/{price_list_id}",
        price_lists.update,
        "catalogue_price_list_update",
    ),
    ("GET", "/deals/{deal_id}/quotes/new", quote_builder.page, "quote_new"),
    ("POST", "/deals/{deal_id}/quotes/draft", quote_builder.draft, "quote_draft"),
    ("GET", "/deals/{deal_id}/quotes/products", quote_builder.products, "quote_products"),
    ("POST", "/deals/{deal_id}/quotes", quote_builder.save, "quote_create"),
    ("GET", "/quotes/{quote_id}", quote_page.page, "quote"),
    ("GET", "/quotes/{quote_id}/edit", quote_builder.edit_page, "quote_edit"),
    ("POST", "/quotes/{quote_id}/edit", quote_builder.update, "quote_update"),
    ("POST", "/quotes/{quote_id}/status", quote_page.status, "quote_status"),
    ("GET", "/quotes/{quote_id}/pdf", quote_documents.pdf, "quote_pdf"),
    ("POST", "/quotes/{quote_id}/send", quote_documents.send, "quote_send"),
    ("POST", "/quotes/{quote_id}/invoice", invoice_page.from_quote, "quote_invoice"),
    ("GET", "/invoices/{invoice_id}", invoice_page.page, "invoice"),
    ("POST", "/invoices/{invoice_id}/status", invoice_page.status, "invoice_status"),
    ("POST", "/invoices/{invoice_id}/payments", invoice_page.payment, "invoice_payment"),
    ("GET", "/invoices/{invoice_id}/pdf", invoice_documents.pdf, "invoice_pdf"),
    ("POST", "/invoices/{invoice_id}/send", invoice_documents.send, "invoice_send"),
    ("GET", "/payments", payments_page.page, "payments"),
    ("POST", "/payments/import", payments_page.upload, "payments_import"),
    ("POST", "/payments/{payment_id}/match", payments_page.match, "payment_match"),
    ("GET", "/shipments/{shipment_id}/pdf", closing_documents.shipment_pdf, "shipment_pdf"),
    ("GET", "/acts/{act_id}/pdf", closing_documents.act_pdf, "act_pdf"),
    ("POST", "/invoices/{invoice_id}/shipments", invoice_closing.create_shipment, "shipment_new"),
    ("POST", "/invoices/{invoice_id}/acts", invoice_closing.create_act, "act_new"),
    ("POST", "/shipments/{shipment_id}/status", invoice_closing.shipment_status, "shipment_mark"),
    ("POST", "/acts/{act_id}/status", invoice_closing.act_status, "act_mark"),
)


def setup_workplace(app: web.Application) -> None:
    """Add the workplace's templates (autoescaped), static files and page routes to `app`.

    No context processors: aiohttp_jinja2 runs them in a middleware, for every request of
    the API too; pages get the request and `csrf_token` from `pages.shared.render`.
    """
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        filters=FILTERS,
        undefined=jinja2.ChainableUndefined,
    )
    app.middlewares.append(security_headers_middleware)
    add_sign_in(app, PREFIX)
    # The pages' EventSource('/api/v1/events') signs in with the session cookie.
    app[EVENT_AUTHENTICATORS] = [*app.get(EVENT_AUTHENTICATORS, ()), stream_sign_in]
    app.router.add_static("/static/", STATIC, name=f"{PREFIX}static")
    for method, path, handler, name in ROUTES:
        app.router.add_route(method, path, handler, name=f"{PREFIX}{name}")
    for path, title in placeholders.SECTIONS.items():
        app.router.add_route(
            "GET",
            path,
            placeholders.page(title),
            name=f"{PREFIX}{path.strip('/').replace('/', '_')}",
        )


def is_workplace(resource: AbstractResource | None) -> bool:
    """Whether a route's resource is one of the workplace's (pages, actions, static files),
    not the API's."""
    return resource is not None and (resource.name or "").startswith(PREFIX)
