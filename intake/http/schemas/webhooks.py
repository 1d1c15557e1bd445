"""Webhook bodies: subscriptions, their delivery log, and the events subscribers receive."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import Field, WithJsonSchema

from crm_core.webhooks import DeliveryStatus, EventType
from intake.http.schemas.base import Body, Flag, NonBlank, Shape, enum_schema

EventName = Annotated[str, WithJsonSchema(enum_schema(EventType))]
StatusName = Annotated[str, WithJsonSchema(enum_schema(DeliveryStatus))]


class NewWebhook(Body):
    """POST/PUT: where to send which events; `secret` is generated when left out."""

    url: NonBlank = Field(description="http(s) URL of the receiver")
    events: list[EventName] = Field(description="The event types to send, at least one")
    secret: str | None = Field(
        None, description="Signing secret (16-200 characters, e.g. whsec_ + base64)"
    )
    queue: str | None = Field(None, description="Only events of leads of this queue")
    pipeline: str | None = Field(None, description="Only events of deals of this pipeline")
    active: Flag | None = Field(None, description="false: keep the subscription, send nothing")


class Webhook(Shape):
    """A subscription (never its secret)."""

    id: int
    url: str
    events: list[EventName]
    queue: str | None
    pipeline: str | None
    active: bool
    disabled_reason: str | None = Field(description="Why the service disabled it (410 Gone)")
    created_by: str
    created_at: datetime
    updated_at: datetime


class CreatedWebhook(Webhook):
    """A subscription just created: its secret is in `secret`, shown this once."""

    secret: str = Field(description="Verify `webhook-signature` with it (Standard Webhooks)")


class WebhookPage(Shape):
    """Every subscription, oldest first."""

    items: list[Webhook]


class WebhookDelivery(Shape):
    """One event to one subscription: status and the last attempt's outcome."""

    id: int
    webhook_id: str = Field(description="The `webhook-id` header: the same on every attempt")
    event_id: str
    event_type: EventName
    status: StatusName
    attempts: int
    created_at: datetime
    next_attempt_at: datetime | None
    last_attempt_at: datetime | None
    delivered_at: datetime | None
    response_status: int | None
    response_body: str | None = Field(description="The first 1 KiB of the receiver's answer")
    latency_ms: int | None
    last_error: str | None


class WebhookDeliveryPage(Shape):
    """Deliveries, newest first."""

    items: list[WebhookDelivery]


class Replayed(Shape):
    """How many deliveries were queued again."""

    replayed: int


class LeadEventData(Shape):
    """A lead as it is after the change."""

    lead_id: int
    status: str
    channel: str
    source: str
    queue: str | None
    pipeline: str | None
    assignee_id: int | None
    assignee: str | None
    junk_reason: str | None
    deal_id: int | None
    contact_id: int | None
    company_id: int | None
    name: str | None
    phone: str | None
    email: str | None
    company: str | None
    comment: str | None
    utm: dict[str, str]
    received_at: datetime
    created_at: datetime


class DealEventData(Shape):
    """A deal after it entered a stage."""

    deal_id: int
    title: str
    pipeline: str
    stage: str
    previous_stage: str
    status: str
    amount: str | None = Field(description="Decimal as a string, e.g. '150000.00'")
    currency: str
    lead_id: int | None
    contact_id: int | None
    company_id: int | None
    owner_id: int | None
    lost_reason: str | None


class CallEventData(Shape):
    """A client's call nobody answered, on the lead or deal it was logged on."""

    call_id: str
    provider: str
    entity: str
    entity_id: int
    phone: str | None
    line: str | None
    started_at: datetime | None
    ended_at: datetime | None


class MessageEventData(Shape):
    """A client's message logged on their open lead or deal."""

    activity_id: int
    entity: str
    entity_id: int
    lead_id: int | None
    channel: str
    source: str
    text: str | None
    received_at: datetime


class TaskEventData(Shape):
    """A task whose due time passed while it was open."""

    task_id: int
    entity: str
    entity_id: int
    task_type: str
    title: str
    due_at: datetime
    assignee_id: int | None


class QuoteEventData(Shape):
    """A quote after its status changed."""

    quote_id: int
    deal_id: int
    number: str
    status: str
    previous_status: str
    total: str = Field(description="Decimal as a string, e.g. '150000.00'")
    rejection_reason: str | None


class InvoiceEventData(Shape):
    """An invoice after its status changed, with what is paid on it by then."""

    invoice_id: int
    deal_id: int
    quote_id: int | None
    number: str
    status: str
    previous_status: str
    total: str = Field(description="Decimal as a string")
    paid: str = Field(description="Decimal as a string")
    due_date: date


class PaymentEventData(Shape):
    """A payment matched to an invoice."""

    payment_id: int
    invoice_id: int
    deal_id: int
    invoice_number: str
    amount: str = Field(description="Decimal as a string")
    paid_on: date
    source: str
    invoice_paid: str = Field(description="Decimal as a string: paid on the invoice by now")
    invoice_total: str = Field(description="Decimal as a string")


class _Event(Shape):
    id: str = Field(description="The event's id (the same for every subscription)")
    timestamp: datetime


class LeadEvent(_Event):
    """lead.created, lead.assigned, lead.taken, lead.junked, lead.converted."""

    type: Literal["lead.created", "lead.assigned", "lead.taken", "lead.junked", "lead.converted"]
    data: LeadEventData


class DealEvent(_Event):
    """deal.stage_changed, deal.won, deal.lost."""

    type: Literal["deal.stage_changed", "deal.won", "deal.lost"]
    data: DealEventData


class CallMissedEvent(_Event):
    """call.missed."""

    type: Literal["call.missed"]
    data: CallEventData


class MessageReceivedEvent(_Event):
    """message.received."""

    type: Literal["message.received"]
    data: MessageEventData


class TaskOverdueEvent(_Event):
    """task.overdue."""

    type: Literal["task.overdue"]
    data: TaskEventData


class QuoteStatusEvent(_Event):
    """quote.status_changed."""

    type: Literal["quote.status_changed"]
    data: QuoteEventData


class InvoiceStatusEvent(_Event):
    """invoice.status_changed."""

    type: Literal["invoice.status_changed"]
    data: InvoiceEventData


class PaymentReceivedEvent(_Event):
    """payment.received."""

    type: Literal["payment.received"]
    data: PaymentEventData


EVENT_MODELS: dict[EventType, type[_Event]] = {
    **dict.fromkeys(
        (
            EventType.LEAD_CREATED,
            EventType.LEAD_ASSIGNED,
            EventType.LEAD_TAKEN,
            EventType.LEAD_JUNKED,
            EventType.LEAD_CONVERTED,
        ),
        LeadEvent,
    ),
    **dict.fromkeys(
        (EventType.DEAL_STAGE_CHANGED, EventType.DEAL_WON, EventType.DEAL_LOST), DealEvent
    ),
    EventType.CALL_MISSED: CallMissedEvent,
    EventType.MESSAGE_RECEIVED: MessageReceivedEvent,
    EventType.TASK_OVERDUE: TaskOverdueEvent,
    EventType.QUOTE_STATUS_CHANGED: QuoteStatusEvent,
    EventType.INVOICE_STATUS_CHANGED: InvoiceStatusEvent,
    EventType.PAYMENT_RECEIVED: PaymentReceivedEvent,
}
