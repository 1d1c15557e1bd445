"""Operations endpoints: liveness, readiness and Prometheus metrics."""

from __future__ import annotations

from collections.abc import Mapping

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from crm_core.model import InboxStats
from crm_core.storage import StorageUnavailable
from intake.bootstrap import Services
from intake.channel_polling import ChannelPoller
from intake.clock import utcnow
from intake.http.keys import CHANNEL_POLLERS, SERVICES, WORKER_IN_PROCESS
from intake.http.responses import json_response

# The worker loops at least every poll interval; this much silence means it is stuck.
WORKER_SILENCE_FACTOR = 20
MIN_WORKER_SILENCE_SECONDS = 10.0


async def healthz(request: web.Request) -> web.Response:
    """The process is up and serving."""
    return json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    """Database reachable, worker alive, inbox lag; 503 when not ready."""
    services = request.app[SERVICES]
    checks: dict[str, object] = {}
    ready = True
    try:
        await services.storage.ping()
        stats = await _inbox_stats(services)
        checks["database"] = {"ok": True, "dialect": services.storage.dialect}
        checks["inbox"] = {
            "pending": stats.pending,
            "failed": stats.failed,
            "lag_seconds": _lag(stats),
        }
    except StorageUnavailable as err:
        ready = False
        checks["database"] = {"ok": False, "error": str(err)}
    silence = max(
        MIN_WORKER_SILENCE_SECONDS,
        services.settings.intake.worker_poll_seconds * WORKER_SILENCE_FACTOR,
    )
    if request.app.get(WORKER_IN_PROCESS, True):
        alive = services.worker.alive(silence)
        ready = ready and alive
        checks["worker"] = {"ok": alive, "last_error": services.worker.last_error}
    else:
        # Another process drains the inbox: its health shows as the inbox lag above.
        checks["worker"] = {"ok": True, "in_process": False}
    # A channel that cannot reach its platform is reported, not fatal: the service still takes
    # every other channel's requests.
    checks["channels"] = {
        name: {
            "connected": poller.connected,
            "last_event_at": poller.last_event_at.isoformat() if poller.last_event_at else None,
            "last_error": poller.last_error,
            "updates_stored": poller.updates_stored,
            "failing_since": poller.failing_since.isoformat() if poller.failing_since else None,
            "backlog": poller.backlog,
        }
        for name, poller in request.app.get(CHANNEL_POLLERS, {}).items()
    }
    # Webhooks and forms: only the time of their last delivery is known (quiet is not broken).
    checks["pushed"] = {
        source: {"last_event_at": at.isoformat()}
        for source, at in sorted(services.last_pushed.items())
    }
    return json_response(
        {"status": "ready" if ready else "not_ready", "checks": checks},
        status=200 if ready else 503,
    )


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
    pollers: dict[str, ChannelPoller] = request.app.get(CHANNEL_POLLERS, {})
    _channel_gauges(services, pollers)
    body = generate_latest(services.metrics.registry)
    response = web.Response(body=body)
    response.headers["Content-Type"] = CONTENT_TYPE_LATEST
    return response


async def _inbox_stats(services: Services) -> InboxStats:
    async with services.storage.reader() as uow:
        return await uow.inbox.stats()


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
