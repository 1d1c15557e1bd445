"""The managers' web workplace inside the service's aiohttp app: templates, static, pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from workplace.pages import lead_actions, lead_card, placeholders, triage
from workplace.pages.shared import FILTERS

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
ContextProcessor = Callable[[web.Request], Awaitable[dict[str, Any]]]


def setup_workplace(
    app: web.Application, context_processors: Iterable[ContextProcessor] = ()
) -> None:
    """Add the workplace's templates (autoescaped), static files and page routes to `app`.

    `context_processors` add template variables to every page (sign-in adds `csrf_token`).
    """
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        context_processors=[aiohttp_jinja2.request_processor, *context_processors],
        filters=FILTERS,
        undefined=jinja2.ChainableUndefined,
    )
    app.router.add_static("/static/", STATIC, name="static")
    app.router.add_get("/", triage.page, name="triage")
    app.router.add_get("/leads/{lead_id}", lead_card.page, name="lead_card")
    app.router.add_post("/leads/{lead_id}/take", lead_actions.take)
    app.router.add_post("/leads/{lead_id}/junk", lead_actions.junk)
    app.router.add_post("/leads/{lead_id}/reassign", lead_actions.reassign)
    app.router.add_post("/leads/{lead_id}/match/confirm", lead_actions.confirm_match)
    app.router.add_post("/leads/{lead_id}/match/reject", lead_actions.reject_match)
    for path, title in placeholders.SECTIONS.items():
        app.router.add_get(path, placeholders.page(title))
