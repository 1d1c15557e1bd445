"""Settings turned into the sales-process domain: pipelines, queues, availability, routing.

Pure: no I/O. Manager ids live in the database, so the caller passes them in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from channels.registry import CHANNELS
from config.reader import ConfigError
from config.settings import (
    FALLBACK_WAIT,
    ManagerSettings,
    PipelineSettings,
    QueueMemberSettings,
    QueueSettings,
    Settings,
)
from crm_core.assignment import Fallback, FallbackManager, Queue, QueueMember, WaitForDuty
from crm_core.pipelines import Pipeline, Stage, StageKind, StageOrder, StageTask
from crm_core.schedule import Absence, Availability, WorkingHours

StoredManagers = Mapping[str, tuple[int, str]]
"""Login → (manager id, name) as stored in the database."""


def build_pipelines(settings: Settings) -> dict[str, Pipeline]:
    """Every configured pipeline by key; a rule the domain refuses is a ConfigError."""
    pipelines: dict[str, Pipeline] = {}
    for i, configured in enumerate(settings.pipelines):
        try:
            pipelines[configured.key] = pipeline_of(configured)
        except ValueError as err:
            raise ConfigError(
                f"{settings.source}: pipelines[{i}] ({configured.key}): {err}"
            ) from err
    return pipelines


def pipeline_of(configured: PipelineSettings) -> Pipeline:
    """One pipeline as the domain sees it (ValueError if it breaks a pipeline rule)."""
    stages = tuple(
        Stage(
            key=stage.key,
            name=stage.name,
            kind=StageKind(stage.kind),
            required_fields=stage.required_fields,
            tasks_on_enter=tuple(StageTask(t.title, t.due_in, t.task_type) for t in stage.tasks),
            color=stage.color,
            on_invoice=stage.on_invoice,
            on_payment=stage.on_payment,
        )
        for stage in configured.stages
    )
    return Pipeline(
        key=configured.key,
        name=configured.name,
        stages=stages,
        stage_order=StageOrder(configured.stage_order),
        require_next_activity=configured.require_next_activity,
        lost_requires_approval=configured.lost_requires_approval,
        lost_reasons=configured.lost_reasons,
        won_requires_shipment=configured.won_requires_shipment,
        ship_before_payment=configured.ship_before_payment,
    )


def availability_of(manager: ManagerSettings) -> Availability:
    """The manager's working hours (always on duty when none are set) minus their absences."""
    if manager.working_hours is None:
        hours = WorkingHours.always(manager.timezone)
    else:
        hours = WorkingHours.parse(manager.working_hours, manager.timezone)
    absences = tuple(Absence(a.start, a.end, a.note) for a in manager.absences)
    return Availability(hours, absences)


def build_queue(
    queue: QueueSettings, managers_by_login: StoredManagers, settings: Settings
) -> Queue:
    """The queue with stored manager ids; a login missing from the database is a ValueError."""
    return Queue(
        key=queue.key,
        name=queue.name,
        members=tuple(_member(queue, m, managers_by_login, settings) for m in queue.members),
        fallback=_fallback(queue, managers_by_login, settings),
        acceptance_timeout=queue.acceptance_timeout,
    )


def queue_for(settings: Settings, *, form: str | None, channel: str) -> str | None:
    """The form's queue, else the first queue listing the channel, else the first queue."""
    return queue_choice(settings, form=form, channel=channel)[0]


class RoutedBy(StrEnum):
    """Which rule picked a lead's queue."""

    SOURCE = "source"  # the channel's source (a bot, VK community, mailbox) names it
    FORM = "form"
    CHANNEL = "channel"  # the queue lists the channel
    FIRST_QUEUE = "first_queue"
    NONE = "none"  # no queue is configured


def queue_choice(
    settings: Settings, *, form: str | None, channel: str
) -> tuple[str | None, RoutedBy]:
    """`queue_for` and which rule gave it."""
    configured = settings.form(form) if form is not None else None
    if configured is not None and configured.queue is not None:
        return configured.queue, RoutedBy.FORM
    listing = next((q.key for q in settings.queues if channel in q.channels), None)
    if listing is not None:
        return listing, RoutedBy.CHANNEL
    if settings.queues:
        return settings.queues[0].key, RoutedBy.FIRST_QUEUE
    return None, RoutedBy.NONE


@dataclass(frozen=True, slots=True)
class LeadRoute:
    """The queue and pipeline a channel's lead goes to, and which rule picked the queue."""

    queue: str | None
    pipeline: str | None
    routed_by: RoutedBy
    form: str | None = None


def lead_route(settings: Settings, channel: str, source: str) -> LeadRoute:
    """Where a lead from a channel's source goes: a form's own queue and pipeline, a Telegram
    bot's or VK community's own, else the channel's queue and the first pipeline."""
    form = source if channel == "webform" and settings.form(source) else None
    own_queue, own_pipeline = source_route(settings, channel, source)
    queue: str | None
    if own_queue:
        queue, routed_by = own_queue, RoutedBy.SOURCE
    else:
        queue, routed_by = queue_choice(settings, form=form, channel=channel)
    pipeline = own_pipeline or pipeline_for(settings, form=form, queue=queue)
    return LeadRoute(queue, pipeline, routed_by, form)


def source_route(settings: Settings, channel: str, source: str) -> tuple[str | None, str | None]:
    """The queue and pipeline a channel's source (a bot, VK community, mailbox, Avito account)
    names for its leads, if any: the sources of its spec's routed settings sections."""
    spec = next((s for s in CHANNELS if s.name == channel), None)
    for section in spec.settings if spec is not None else ():
        if section.routed:
            for found in settings.channel(section.attribute):
                if found.name == source:
                    return found.queue, found.pipeline
    return None, None


def pipeline_for(settings: Settings, *, form: str | None, queue: str | None) -> str | None:
    """The form's pipeline, else the first pipeline.

    `queue` is accepted so callers need not change once queues can name a pipeline; today
    no queue does, so it does not affect the answer.
    """
    configured = settings.form(form) if form is not None else None
    if configured is not None and configured.pipeline is not None:
        return configured.pipeline
    return settings.pipelines[0].key if settings.pipelines else None


def junk_reasons(settings: Settings) -> dict[str, str]:
    """Junk reasons in configured order: key → name shown to managers."""
    return {r.key: r.name for r in settings.leads.junk_reasons}


def _member(
    queue: QueueSettings, member: QueueMemberSettings, stored: StoredManagers, settings: Settings
) -> QueueMember:
    manager_id, name = _stored(queue, stored, member.login)
    configured = _configured(queue, settings, member.login)
    return QueueMember(
        manager_id=manager_id,
        name=name,
        weight=member.weight,
        daily_capacity=member.capacity,
        availability=availability_of(configured),
        active=configured.active,
    )


# How an assignment reason names the fallback manager (Russian: it is shown to managers).
ROLE_TITLES = {"head": "руководитель", "manager": "менеджер"}


def _fallback(queue: QueueSettings, stored: StoredManagers, settings: Settings) -> Fallback:
    if queue.fallback is None or queue.fallback == FALLBACK_WAIT:
        return WaitForDuty()
    manager_id, name = _stored(queue, stored, queue.fallback)
    role = _configured(queue, settings, queue.fallback).role
    return FallbackManager(manager_id, name, ROLE_TITLES.get(role, role))


def _stored(queue: QueueSettings, stored: StoredManagers, login: str) -> tuple[int, str]:
    try:
        return stored[login]
    except KeyError:
        raise ValueError(
            f"queue {queue.key!r}: manager {login!r} is not among the stored managers"
        ) from None


def _configured(queue: QueueSettings, settings: Settings, login: str) -> ManagerSettings:
    manager = settings.manager(login)
    if manager is None:
        raise ValueError(f"queue {queue.key!r}: manager {login!r} is not configured")
    return manager
