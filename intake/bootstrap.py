"""The composition root: settings in, storage, inbox writer, worker and channels wired up."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from channels.webform.spec import FormSpec
from config import Settings
from crm_core.inbound import Handled, InboundSetup, Route, SalesHooks
from crm_core.model import InboxItem, NewManager
from crm_core.storage import Storage, open_storage
from dedupe.detector import Detector
from intake.call_rules import call_rules
from intake.channel_overrides import stored_overrides, with_overrides
from intake.clock import utcnow
from intake.form_submissions import SubmissionLog
from intake.inbox import InboxWriter
from intake.metrics import Metrics
from intake.notify.sse import EventHub
from intake.pbx_clocks import PbxClocks
from intake.processing import InboundBatchHandler
from intake.reply_gate import ReplyGate
from intake.sales_context import SalesContext
from intake.sales_setup import build_pipelines, junk_reasons, lead_route
from intake.team_settings import (
    declared_channels,
    new_manager,
    seed_and_sync,
    stored_sales,
    with_sales,
)
from intake.worker import InboxWorker

log = logging.getLogger(__name__)
# How often a process reloads the team from the database: a manager who linked the managers'
# bot through another process gets its notifications within about this long (the bar: 2 s).
TEAM_REFRESH_SECONDS = 1.0


@dataclass(slots=True)
class Services:
    """Everything long-lived the HTTP layer and the CLI use."""

    settings: Settings
    storage: Storage
    metrics: Metrics
    writer: InboxWriter
    worker: InboxWorker
    forms: dict[str, FormSpec]
    sales: SalesContext
    events: EventHub
    notify_wakeup: asyncio.Event
    live_wakeup: asyncio.Event
    replies: ReplyGate = field(default_factory=lambda: ReplyGate(utcnow))
    # Set when a manager's message to a client is queued: the replies dispatcher sends it.
    outgoing_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # Set when the inbox worker committed leads or messages: the webhook sender looks at once
    # (other changes wait for its next poll).
    webhook_wakeup: asyncio.Event = field(default_factory=asyncio.Event)
    # When each pushed source ("vk:123", "call:mango", "webform:site") last delivered an event.
    last_pushed: dict[str, datetime] = field(default_factory=dict)
    # How far each PBX's clock is from ours, from its events' own times (/readyz warns).
    pbx_clocks: PbxClocks = field(default_factory=PbxClocks)
    # The sales-settings version the team and queues were last built from.
    settings_version: int = -1
    # Each form's last submission and its fate (the head's forms page).
    form_log: SubmissionLog = field(default_factory=SubmissionLog)
    # The channel sections as declared (the stored declarations once seeded, else the
    # file's), before the heads' overrides (intake.channel_overrides) go over them.
    file_channels: Mapping[str, Any] | None = None
    # The declared channel sections this process started its pollers with: a declaration
    # changed since that only some pollers follow shows "после перезапуска" on the page.
    started_channels: Mapping[str, Any] | None = None
    # The poller groups' catch-up with the settings as loaded (channel_polling): a process
    # that changed them itself calls these rather than wait for the groups' next look.
    follow_settings: list[Callable[[], Awaitable[None]]] = field(default_factory=list)


def build_storage(settings: Settings) -> Storage:
    """An unopened storage for the configured database."""
    db = settings.database
    return open_storage(db.url, pool_min=db.pool_min, pool_max=db.pool_max)


async def prepare_storage(settings: Settings, storage: Storage) -> list[str]:
    """Open, migrate and sync the configured managers; returns the migrations applied.

    On failure the storage is closed again: its connection threads would keep the process
    from exiting after a refused start.
    """
    await storage.open()
    try:
        applied = await storage.migrate()
        async with storage.transaction() as uow:
            await seed_and_sync(uow, settings, utcnow())
    except BaseException:
        await storage.close()
        raise
    return applied


async def load_team(services: Services) -> bool:
    """Build the pipelines, forms, queues and team from the sales setup as stored (the
    database's in place of the file's once seeded), unless neither it nor the managers
    changed since the last load; whether they changed."""
    async with services.storage.reader() as uow:
        version = await uow.settings.version()
        managers = await uow.managers.list()
        if version == services.settings_version and sorted(managers, key=lambda m: m.id) == sorted(
            services.sales.team.managers.values(), key=lambda m: m.id
        ):
            return False
        stored = await stored_sales(uow, services.settings)
        overrides = await stored_overrides(uow)
    declared = declared_channels(services.settings, stored)
    if declared is not None:
        services.file_channels = declared
    elif services.file_channels is None:
        services.file_channels = services.settings.channel_sections
    if services.started_channels is None:
        services.started_channels = services.file_channels
    channels = with_overrides(services.file_channels, overrides)
    # The stored lines and extensions go over the file's `[telephony]`, so after the channels.
    settings = with_sales(replace(services.settings, channel_sections=channels), stored)
    services.settings = settings
    services.forms = form_specs(settings)
    services.sales.settings = with_sales(
        replace(services.sales.settings, channel_sections=channels), stored
    )
    services.sales.pipelines = build_pipelines(services.sales.settings)
    # In place: whoever holds the dict (a page, the bot's keyboard) sees the new reasons.
    reasons = services.sales.junk_reasons
    reasons.clear()
    reasons.update(junk_reasons(services.sales.settings))
    services.sales.refresh(managers)
    services.settings_version = version
    return True


@asynccontextmanager
async def refreshing_team(
    services: Services, every: float = TEAM_REFRESH_SECONDS
) -> AsyncIterator[None]:
    """Reload the team every `every` s while the block runs, so what another process or
    instance changed (a head's settings change, a manager linking the bot) counts here too:
    a poll of the settings version and the managers, the same on SQLite and PostgreSQL."""

    async def refresh() -> None:
        while True:
            await asyncio.sleep(every)
            try:
                if await load_team(services):
                    log.info(
                        "team_reloaded managers=%d settings_version=%d",
                        len(services.sales.team.managers),
                        services.settings_version,
                    )
            except Exception as err:
                log.error("team_reload_failed error=%s", type(err).__name__)

    task = asyncio.create_task(refresh(), name="team-refresh")
    try:
        yield
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def configured_managers(settings: Settings) -> list[NewManager]:
    """The file's sales team as the domain sees it (the first-start seed)."""
    return [new_manager(m) for m in settings.managers]


def form_specs(settings: Settings) -> dict[str, FormSpec]:
    """The webform channel's view of the configured forms."""
    return {
        f.key: FormSpec(
            key=f.key,
            name=f.name,
            secret=f.secret,
            secret_header=f.secret_header,
            secret_field=f.secret_field,
            field_map=f.field_map,
            honeypot_fields=f.honeypot_fields,
            consent_text_version=f.consent_text_version,
            redirect_url=f.redirect_url,
            allowed_redirect_hosts=f.allowed_redirect_hosts,
            preset=f.preset,
        )
        for f in settings.forms
    }


def build_services(settings: Settings, storage: Storage | None = None) -> Services:
    """Wire the service; nothing connects or starts until the app's cleanup contexts run."""
    storage = storage or build_storage(settings)
    metrics = Metrics()

    sales = SalesContext.from_settings(settings)
    notify_wakeup = asyncio.Event()
    live_wakeup = asyncio.Event()
    webhook_wakeup = asyncio.Event()

    def resolve_route(channel: str, source: str) -> Route:
        # The sales setup as last loaded: a head's change routes the next lead.
        route = lead_route(sales.settings, channel, source)
        return Route(queue=route.queue, pipeline=route.pipeline)

    def processed(item: InboxItem, handled: Handled) -> None:
        if handled.lead_created:
            metrics.leads_created.labels(item.channel).inc()
        if handled.activity_id is not None:
            metrics.messages_attached.labels(item.channel).inc()
        if handled.lead_created or handled.activity_id is not None or handled.notified:
            notify_wakeup.set()
            live_wakeup.set()
            webhook_wakeup.set()

    setup = InboundSetup(
        resolve_route,
        settings.intake.default_region,
        Detector(settings.dedupe),
        SalesHooks(
            route=sales.route,
            assign_answered=sales.assign_answered,
            notify_message=sales.notify_message,
            notify_ringing=sales.notify_ringing,
        ),
        call_rules(settings, sales),
    )
    worker = InboxWorker(
        storage,
        InboundBatchHandler(setup),
        batch=settings.intake.worker_batch,
        poll_seconds=settings.intake.worker_poll_seconds,
        coalesce_seconds=settings.intake.worker_coalesce_ms / 1000,
        max_attempts=settings.intake.max_attempts,
        on_processed=processed,
        on_parked=sales.alert_parked,
    )

    def committed(batch_size: int) -> None:
        metrics.commit_batch.observe(batch_size)
        worker.wake()

    writer = InboxWriter(storage, settings.intake.max_commit_batch, on_commit=committed)
    return Services(
        settings,
        storage,
        metrics,
        writer,
        worker,
        form_specs(settings),
        sales,
        EventHub(),
        notify_wakeup,
        live_wakeup,
        webhook_wakeup=webhook_wakeup,
    )
