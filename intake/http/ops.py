"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import logging
from collections.abc import Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from crm_core.model import InboxStats
from crm_core.storage import StorageUnavailable
from crm_core.webhooks import ConnectorHealth
from intake.auth import manager_for_token
from intake.bootstrap import Services
from intake.channel_polling import ChannelPoller
from intake.clock import utcnow
from intake.connectors.setup import health, health_json
from intake.http.keys import CHANNEL_POLLERS, SERVICES, WORKER_IN_PROCESS
from intake.http.responses import json_response
from intake.pbx_clocks import WARN_SECONDS as PBX_CLOCK_WARN_SECONDS

log = logging.getLogger(__name__)
# The worker loops at least every poll interval; this much silence means it is stuck.
WORKER_SILENCE_FACTOR = 20
MIN_WORKER_SILENCE_SECONDS = 10.0


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Check names and states; 503 when not ready. Error texts only to a head's token.

    Not ready: the database is unreachable, the in-process worker is stuck, or the worker
    parked rows as failed (an acknowledged request that made no lead). Channels, CRM connectors
    and PBX clocks are reported, never fatal: the service still takes every request.
    """
    services = request.app[SERVICES]
    details = await _head_asks(request)
    checks: dict[str, object] = {}
    warnings: list[dict[str, object]] = []
    ready = True
    try:
        await services.storage.ping()
        stats = await _inbox_stats(services)
        checks["database"] = {"ok": True, "state": "ok", "dialect": services.storage.dialect}
        failed = stats.failed > 0
        ready = not failed
        checks["inbox"] = {
            "ok": not failed,
            "state": "failed_rows" if failed else "ok",
            "pending": stats.pending,
            "failed": stats.failed,
            "lag_seconds": _lag(stats),
        }
    except StorageUnavailable as err:
        ready = False
        log.warning("readyz_database_unavailable error=%s", str(err)[:300])
        # The text names the database's host and port: for heads only.
        checks["database"] = {"ok": False, "state": "unavailable"} | _detail(
            details, "error", str(err)
        )
    worker = _worker(request, services, details)
    checks["worker"] = worker
    ready = ready and bool(worker["ok"])
    checks["channels"], checks["pushed"] = channel_checks(request.app, details)
    checks["pbx_clocks"], warnings = _pbx_clocks(services)
    checks["connectors"] = await _connectors(services, details)
    return json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks, "warnings": warnings},
        status=200 if ready else 503,
    )


def channel_checks(
    app: web.Application, details: bool
) -> tuple[dict[str, dict[str, object]], dict[str, dict[str, object]]]:
    """The channels' part of /readyz: each poller's state by "<channel>:<name>" (error texts
    with `details`), and when each pushed source last delivered (the channels page too)."""
    services = app[SERVICES]
    polled = {
        name: _channel(poller, details) for name, poller in app.get(CHANNEL_POLLERS, {}).items()
    }
    # Webhooks and forms: only the time of their last delivery is known (quiet is not broken).
    pushed: dict[str, dict[str, object]] = {
        source: {"last_event_at": at.isoformat()}
        for source, at in sorted(services.last_pushed.items())
    }
    return polled, pushed


async def _head_asks(request: web.Request) -> bool:
    """True when the request carries a head's valid bearer token (a probe carries none)."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return False
    try:
        manager = await manager_for_token(request.app[SERVICES].storage, token.strip())
    except StorageUnavailable:
        return False  # the token cannot be checked: no details
    return manager is not None and manager.is_head


def _detail(shown: bool, key: str, value: object) -> dict[str, object]:
    return {key: value} if shown else {}


def _worker(request: web.Request, services: Services, details: bool) -> dict[str, object]:
    if not request.app.get(WORKER_IN_PROCESS, True):
        # Another process drains the inbox: its health shows as the inbox lag above.
        return {"ok": True, "state": "external", "in_process": False}
    silence = max(
        MIN_WORKER_SILENCE_SECONDS,
        services.settings.intake.worker_poll_seconds * WORKER_SILENCE_FACTOR,
    )
    alive = services.worker.alive(silence)
    return {"ok": alive, "state": "running" if alive else "stalled"} | _detail(
        details, "last_error", services.worker.last_error
    )


def _channel(poller: ChannelPoller, details: bool) -> dict[str, object]:
    if poller.connected:
        state = "connected"
    elif poller.failing_since is not None:
        state = "failing"
    else:
        state = "connecting"
    return {
        "state": state,
        "connected": poller.connected,
        "last_event_at": poller.last_event_at.isoformat() if poller.last_event_at else None,
        "updates_stored": poller.updates_stored,
        "failing_since": poller.failing_since.isoformat() if poller.failing_since else None,
        "backlog": poller.backlog,
    } | _detail(details, "last_error", poller.last_error)


def _pbx_clocks(services: Services) -> tuple[dict[str, object], list[dict[str, object]]]:
    """Each PBX's clock offset; a warning (never not-ready) for one off by over 5 minutes."""
    skewed = services.pbx_clocks.skewed(PBX_CLOCK_WARN_SECONDS)
    checks: dict[str, object] = {
        source: {"state": "skewed" if source in skewed else "ok", "offset_seconds": round(offset)}
        for source, offset in services.pbx_clocks.offsets().items()
    }
    warnings: list[dict[str, object]] = [
        {
            "check": "pbx_clocks",
            "source": source,
            "state": "skewed",
            "offset_seconds": round(offset),
            "message": (
                f"Часы АТС {source} {'спешат' if offset > 0 else 'отстают'} на "
                f"{abs(round(offset / 60))} мин: проверьте время и часовой пояс АТС в настройках"
            ),
        }
        for source, offset in skewed.items()
    ]
    return checks, warnings


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text exposition, with inbox gauges read fresh from the database."""
    services = request.app[SERVICES]
    try:
        stats = await _inbox_stats(services)
    except StorageUnavailable:
        services.metrics.errors.labels("storage_unavailable").inc()
    else:
        services.metrics.inbox_pending.set(stats.pending)
        services.metrics.inbox_failed.set(stats.failed)
        services.metrics.inbox_lag.set(_lag(stats))
        deliveries = await _webhook_counts(services)
        services.metrics.webhook_pending.set(deliveries["pending"])
        services.metrics.webhook_dead_letters.set(deliveries["dead"])
        _connector_gauges(services, await health(services.storage))
    pollers: Mapping[str, ChannelPoller] = request.app.get(CHANNEL_POLLERS, {})
    _channel_gauges(services, pollers)
    body = generate_latest(services.metrics.registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def _inbox_stats(services: Services) -> InboxStats:
    async with services.storage.reader() as uow:
        return await uow.inbox.stats()


async def _webhook_counts(services: Services) -> dict[str, int]:
    async with services.storage.reader() as uow:
        return await uow.webhooks.counts()


async def _connectors(services: Services, details: bool) -> dict[str, object]:
    """Each CRM connector's state by "<kind>:<id>" (nothing when the database is down)."""
    try:
        found = await health(services.storage)
    except StorageUnavailable:
        return {}
    return {f"{c.kind}:{c.id}": health_json(c, details=details) for c in found}


def _connector_gauges(services: Services, found: list[ConnectorHealth]) -> None:
    metrics = services.metrics
    for gauge in (
        metrics.connector_last_success,
        metrics.connector_last_failure,
        metrics.connector_pending,
        metrics.connector_dead_letters,
    ):
        gauge.clear()  # a deleted connector's series go with it
    for c in found:
        labels = (f"{c.kind}:{c.id}", c.kind)
        if c.last_success_at is not None:
            metrics.connector_last_success.labels(*labels).set(c.last_success_at.timestamp())
        if c.last_failure_at is not None:
            metrics.connector_last_failure.labels(*labels).set(c.last_failure_at.timestamp())
        metrics.connector_pending.labels(*labels).set(c.pending)
        metrics.connector_dead_letters.labels(*labels).set(c.dead)


def _lag(stats: InboxStats) -> float:
    if stats.oldest_pending_at is None:
        return 0.0
    return max(0.0, (utcnow() - stats.oldest_pending_at).total_seconds())


def _channel_gauges(services: Services, pollers: Mapping[str, ChannelPoller]) -> None:
    m = services.metrics
    now = utcnow()
    for source, at in services.last_pushed.items():
        m.channel_last_event.labels(source).set(at.timestamp())
    for name, poller in pollers.items():
        m.channel_up.labels(name).set(1 if poller.connected else 0)
        since = poller.failing_since
        m.channel_failing.labels(name).set((now - since).total_seconds() if since else 0)
        last = poller.last_event_at
        m.channel_last_event.labels(name).set(last.timestamp() if last else 0)
        m.channel_stored.labels(name).set(poller.updates_stored)
        m.channel_backlog.labels(name).set(poller.backlog)
