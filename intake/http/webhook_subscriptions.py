"""/api/v1/webhooks: heads subscribe other systems to events and watch their deliveries."""

from __future__ import annotations

from aiohttp import web

from crm_core.access import may_change_settings
from crm_core.webhooks import DeliveryStatus
from intake.http.body import BadQuery, json_body, query_id, query_limit, required_path_id
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response
from intake.webhooks import subscriptions as subs
from intake.webhooks.subscriptions import SubscriptionInvalid

STATUSES = tuple(s.value for s in DeliveryStatus)


@require_manager
async def list_route(request: web.Request) -> web.StreamResponse:
    """Every subscription (never its secret); heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    found = await subs.list_subscriptions(request.app[SERVICES].storage)
    return json_response({"items": [subs.subscription_json(s) for s in found]})


@require_manager
async def create_route(request: web.Request) -> web.StreamResponse:
    """Subscribe a URL to events; the secret (generated unless given) is in this answer only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    services = request.app[SERVICES]
    try:
        new = subs.parse_subscription(await json_body(request), services.settings)
    except SubscriptionInvalid as err:
        return error_response(422, "invalid_field", err.message, field=err.field)
    created = await subs.create_subscription(services.storage, new, current_manager(request).login)
    body = subs.subscription_json(created.subscription) | {"secret": created.secret}
    return json_response(body, status=201)


@require_manager
async def get_route(request: web.Request) -> web.StreamResponse:
    """One subscription; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    found = await subs.get_subscription(request.app[SERVICES].storage, subscription_id)
    if found is None:
        return _not_found(subscription_id)
    return json_response(subs.subscription_json(found))


@require_manager
async def update_route(request: web.Request) -> web.StreamResponse:
    """Replace a subscription's URL, events, filters and state (and secret, when given)."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    services = request.app[SERVICES]
    try:
        new = subs.parse_subscription(await json_body(request), services.settings)
    except SubscriptionInvalid as err:
        return error_response(422, "invalid_field", err.message, field=err.field)
    changed = await subs.update_subscription(services.storage, subscription_id, new)
    if changed is None:
        return _not_found(subscription_id)
    return json_response(subs.subscription_json(changed))


@require_manager
async def delete_route(request: web.Request) -> web.StreamResponse:
    """Remove a subscription and its delivery log; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    if not await subs.delete_subscription(request.app[SERVICES].storage, subscription_id):
        return _not_found(subscription_id)
    return web.Response(status=204)


@require_manager
async def deliveries_route(request: web.Request) -> web.StreamResponse:
    """A subscription's deliveries, newest first (`status` filters, `before_id` pages)."""
    return await _log(request, None)


@require_manager
async def dead_letters_route(request: web.Request) -> web.StreamResponse:
    """A subscription's dead letters (deliveries given up on), newest first."""
    return await _log(request, DeliveryStatus.DEAD)


@require_manager
async def replay_route(request: web.Request) -> web.StreamResponse:
    """Send one delivery again (same webhook-id); 409 while it is still pending."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    delivery_id = required_path_id(request, "delivery_id")
    storage = request.app[SERVICES].storage
    async with storage.reader() as uow:
        found = await uow.webhooks.delivery(subscription_id, delivery_id)
    if found is None:
        return error_response(
            404,
            "not_found",
            f"no delivery {delivery_id} of webhook {subscription_id}",
            field="delivery_id",
        )
    if found.status is DeliveryStatus.PENDING:
        return error_response(
            409, "already_pending", "the delivery is still being tried", field="delivery_id"
        )
    await subs.replay(storage, subscription_id, [delivery_id])
    return json_response({"replayed": 1})


@require_manager
async def replay_dead_route(request: web.Request) -> web.StreamResponse:
    """Send every dead letter of a subscription again; returns how many."""
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    storage = request.app[SERVICES].storage
    if await subs.get_subscription(storage, subscription_id) is None:
        return _not_found(subscription_id)
    return json_response({"replayed": await subs.replay(storage, subscription_id, None)})


async def _log(request: web.Request, status: DeliveryStatus | None) -> web.StreamResponse:
    if (denied := _heads_only(request)) is not None:
        return denied
    subscription_id = required_path_id(request, "webhook_id")
    if status is None and (raw := request.query.get("status")):
        if raw not in STATUSES:
            raise BadQuery("status", "status must be one of: " + ", ".join(STATUSES))
        status = DeliveryStatus(raw)
    limit = query_limit(request)
    before_id = query_id(request, "before_id")
    storage = request.app[SERVICES].storage
    if await subs.get_subscription(storage, subscription_id) is None:
        return _not_found(subscription_id)
    found = await subs.deliveries(storage, subscription_id, status, limit, before_id)
    return json_response({"items": [subs.delivery_json(d) for d in found]})


def _not_found(subscription_id: int) -> web.Response:
    return error_response(404, "not_found", f"no webhook {subscription_id}", field="webhook_id")


def _heads_only(request: web.Request) -> web.Response | None:
    if may_change_settings(current_manager(request)):
        return None
    return error_response(
        403, "forbidden", "only a head of sales manages webhooks", field="Authorization"
    )
