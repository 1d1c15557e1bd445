"""The channel registry: every spec is well formed and the shell serves exactly what it lists."""

from __future__ import annotations

import inspect
from collections import Counter

from aiohttp import web

from channels.registry import CHANNELS, identity_kinds
from channels.spec import ShellRef
from channels.webhook import Webhook
from config import Settings
from intake.http.app import add_channel_routes
from intake.http.contract import Operation
from intake.http.openapi import openapi_document


def test_channel_names_settings_and_routes_are_unique() -> None:
    assert len({spec.name for spec in CHANNELS}) == len(CHANNELS)
    attributes = [s.attribute for spec in CHANNELS for s in spec.settings]
    assert len(set(attributes)) == len(attributes)
    routes = Counter((r.method, r.path) for spec in CHANNELS for r in spec.routes)
    assert [route for route, count in routes.items() if count > 1] == []


def test_every_shell_reference_resolves_to_the_right_kind_of_object() -> None:
    for spec in CHANNELS:
        for route in spec.routes:
            if isinstance(route.handler, ShellRef):
                assert inspect.iscoroutinefunction(route.handler.load()), route
        for group in spec.pollers:
            assert callable(group.start.load()), group
        for table in spec.openapi:
            operations = table.load()
            assert operations and all(isinstance(op, Operation) for op in operations), table


def test_each_route_is_documented_by_its_own_channel() -> None:
    for spec in CHANNELS:
        documented = {(op.method, op.path) for t in spec.openapi for op in t.load()}
        documented |= {(r.method, r.path) for r in spec.routes if isinstance(r.handler, Webhook)}
        assert documented == {(r.method, r.path) for r in spec.routes}, spec.name


def test_the_app_serves_every_registered_route(settings: Settings) -> None:
    app = web.Application()
    add_channel_routes(app)
    served = {
        (route.method, route.resource.canonical)
        for route in app.router.routes()
        if route.resource is not None and route.method != "HEAD"
    }
    assert served == {(r.method, r.path) for spec in CHANNELS for r in spec.routes}
    paths = openapi_document(settings)["paths"]
    assert all(path in paths for _, path in served)


def test_identity_kinds_are_the_messenger_ids_the_channels_produce() -> None:
    kinds = identity_kinds()

    assert {"telegram_id", "telegram_username", "vk_id", "avito_id"} <= kinds


def test_the_channels_that_answer_clients_declare_a_sender_of_their_own_settings() -> None:
    answering = {spec.name: spec.sender for spec in CHANNELS if spec.sender is not None}

    assert set(answering) == {"telegram", "vk", "email"}
    for name, sender in answering.items():
        spec = next(s for s in CHANNELS if s.name == name)
        assert sender.settings in {section.attribute for section in spec.settings}
