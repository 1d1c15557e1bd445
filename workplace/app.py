"""The managers' web workplace inside the service's aiohttp app: templates, static, pages."""

from __future__ import annotations

from pathlib import Path

import aiohttp_jinja2
import jinja2
from aiohttp import web
from aiohttp.web_urldispatcher import AbstractResource

from intake.http.keys import EVENT_AUTHENTICATORS
from workplace.auth.routes import add_sign_in
from workplace.auth.session import stream_sign_in
from workplace.pages import (
    clients,
    contact_card,
    convert,
    deal_actions,
    deal_card,
    deal_work,
    deals_board,
    lead_actions,
    lead_card,
    lead_notes,
    merge,
    placeholders,
    replies,
    reports,
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
    add = app.router.add_route
    app.router.add_static("/static/", STATIC, name=f"{PREFIX}static")
    add("GET", "/", triage.page, name=f"{PREFIX}triage")
    add("GET", "/leads/{lead_id}", lead_card.page, name=f"{PREFIX}lead_card")
    add("POST", "/leads/{lead_id}/take", lead_actions.take, name=f"{PREFIX}take")
    add("POST", "/leads/{lead_id}/junk", lead_actions.junk, name=f"{PREFIX}junk")
    add("POST", "/leads/{lead_id}/reassign", lead_actions.reassign, name=f"{PREFIX}reassign")
    add(
        "POST",
        "/leads/{lead_id}/match/confirm",
        lead_actions.confirm_match,
        name=f"{PREFIX}match_confirm",
    )
    add(
        "POST",
        "/leads/{lead_id}/match/reject",
        lead_actions.reject_match,
        name=f"{PREFIX}match_reject",
    )
    add(
        "POST",
        "/leads/{lead_id}/joins/{join_id}/undo",
        lead_actions.undo_join,
        name=f"{PREFIX}lead_join_undo",
    )
    add("POST", "/leads/{lead_id}/notes", lead_notes.add_note, name=f"{PREFIX}lead_note")
    add("POST", "/leads/{lead_id}/tasks", lead_notes.add_lead_task, name=f"{PREFIX}lead_task")
    add("POST", "/leads/{lead_id}/messages", replies.lead_message, name=f"{PREFIX}lead_message")
    add(
        "GET",
        "/files/{entity}/{entity_id}/{attachment}",
        replies.download,
        name=f"{PREFIX}conversation_file",
    )
    add("POST", "/leads/{lead_id}/convert", convert.convert, name=f"{PREFIX}convert")
    add("GET", "/tasks", tasks.page, name=f"{PREFIX}tasks")
    add("POST", "/tasks/{task_id}/done", tasks.done, name=f"{PREFIX}task_done")
    add("GET", "/deals", deals_board.page, name=f"{PREFIX}deals")
    add("GET", "/deals/{deal_id}", deal_card.page, name=f"{PREFIX}deal_card")
    add("POST", "/deals/{deal_id}/move", deal_actions.move, name=f"{PREFIX}deal_move")
    add(
        "POST",
        "/deals/{deal_id}/lost/approve",
        deal_actions.approve_lost,
        name=f"{PREFIX}deal_lost_approve",
    )
    add(
        "POST",
        "/deals/{deal_id}/lost/reject",
        deal_actions.reject_lost,
        name=f"{PREFIX}deal_lost_reject",
    )
    add("POST", "/deals/{deal_id}/messages", replies.deal_message, name=f"{PREFIX}deal_message")
    add("POST", "/deals/{deal_id}/notes", deal_work.add_note, name=f"{PREFIX}deal_note")
    add("POST", "/deals/{deal_id}/tasks", deal_work.add_deal_task, name=f"{PREFIX}deal_task")
    add(
        "POST",
        "/deals/{deal_id}/tasks/{task_id}/done",
        deal_work.task_done,
        name=f"{PREFIX}deal_task_done",
    )
    add("GET", "/clients", clients.page, name=f"{PREFIX}clients")
    add("POST", "/clients", clients.page, name=f"{PREFIX}clients_search")
    add(
        "GET",
        "/clients/contacts/{contact_id}",
        contact_card.contact_page,
        name=f"{PREFIX}contact_card",
    )
    add(
        "GET",
        "/clients/companies/{company_id}",
        contact_card.company_page,
        name=f"{PREFIX}company_card",
    )
    add(
        "POST",
        "/clients/contacts/{contact_id}/messages",
        replies.contact_message,
        name=f"{PREFIX}contact_message",
    )
    add("GET", "/team", team.page, name=f"{PREFIX}team")
    add(
        "GET",
        "/clients/contacts/{contact_id}/merge",
        merge.page,
        name=f"{PREFIX}contact_merge",
    )
    add(
        "POST",
        "/clients/contacts/{contact_id}/merge/find",
        merge.page,
        name=f"{PREFIX}contact_merge_find",
    )
    add(
        "POST",
        "/clients/contacts/{contact_id}/merge",
        merge.merge,
        name=f"{PREFIX}contact_merge_post",
    )
    add(
        "POST",
        "/clients/merges/{merge_id}/undo",
        merge.undo,
        name=f"{PREFIX}contact_merge_undo",
    )
    add("GET", "/reports", reports.page, name=f"{PREFIX}reports")
    for path, title in placeholders.SECTIONS.items():
        add("GET", path, placeholders.page(title), name=f"{PREFIX}{path.strip('/')}")


def is_workplace(resource: AbstractResource | None) -> bool:
    """Whether a route's resource is one of the workplace's (pages, actions, static files),
    not the API's."""
    return resource is not None and (resource.name or "").startswith(PREFIX)
