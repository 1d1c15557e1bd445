"""The head's sales-settings bodies: a manager as stored, with its version."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field, Strict

from intake.http.schemas.base import Body, Flag, NonBlank, Shape


class Absence(Shape):
    """A vacation or sick leave: [from, to), date-times with a UTC offset."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    from_: str = Field(alias="from", description="ISO 8601 with offset, 2026-12-29T00:00:00+03:00")
    to: str = Field(description="ISO 8601 with offset, after `from`")
    note: str | None = Field(default=None, description="Отпуск, больничный...")


class ManagerFields(Body):
    """A manager's settings as `[[managers]]` holds them (unknown keys are refused, 422)."""

    name: NonBlank = Field(description="Shown to managers and clients")
    role: Literal["manager", "head"] = "manager"
    email: str | None = None
    telegram_chat_id: str | None = None
    timezone: str = Field(default="Europe/Moscow", description="IANA time zone")
    active: Flag = True
    working_hours: dict[str, str] | None = Field(
        default=None,
        description='{"mon-fri": "09:00-18:00"} in the manager\'s time zone; null: always on duty',
    )
    absences: list[Absence] = Field(default_factory=list)


class NewManager(ManagerFields):
    """POST: a new manager."""

    login: NonBlank = Field(description="Lowercase letters, digits, '_' or '-'")


class ManagerEdit(ManagerFields):
    """PUT: the whole manager, with the version it edits."""

    version: Annotated[int, Strict()] = Field(
        ge=1, description="The version read; a stale one is 409"
    )


class StoredManager(Shape):
    """A manager as stored, with its version for the next PUT."""

    login: str
    name: str
    role: Literal["manager", "head"]
    email: str | None
    telegram_chat_id: str | None
    timezone: str
    active: bool
    working_hours: dict[str, str] | None
    absences: list[Absence]
    version: int
    updated_at: datetime
    updated_by: str = Field(description="Login of who changed it last; `seed` for the file")


class ManagerPage(Shape):
    """Every manager, by login."""

    items: list[StoredManager]


class HandedOver(Shape):
    """Where a deactivated manager's open work went: id → login of the new owner."""

    leads: dict[str, str]
    deals: dict[str, str]


class DeactivatedManager(Shape):
    """The manager, now inactive, and their open work re-owned."""

    manager: StoredManager
    handed_over: HandedOver


class QueueMember(Body):
    """A queue member with a weight (share of leads) and a daily capacity."""

    login: NonBlank
    weight: Annotated[int, Strict()] = Field(default=1, ge=1, le=1000)
    capacity: Annotated[int, Strict()] | None = Field(default=None, ge=1, le=100_000)


class QueueFields(Body):
    """A queue as `[[queues]]` holds it."""

    name: NonBlank
    managers: list[str | QueueMember] = Field(
        default_factory=list, description="Logins, or {login, weight, capacity}"
    )
    fallback: str | None = Field(
        default=None, description="A head's login who takes what nobody on duty can, or `wait`"
    )
    acceptance_timeout: str | None = Field(
        default=None, description='How long a manager has to take a lead: "15m", "1h30m"'
    )
    channels: list[str] = Field(default_factory=list, description="Channels routed here")


class NewQueue(QueueFields):
    """POST: a new queue."""

    key: NonBlank = Field(description="URL-safe: lowercase letters, digits, '_' or '-'")


class QueueEdit(QueueFields):
    """PUT: the whole queue, with the version it edits."""

    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class StageTaskFields(Body):
    """A task created when a deal enters the stage."""

    title: NonBlank
    type: str = "call"
    due_in: str = Field(description='"2h", "3d"')


class StageFields(Body):
    """A stage of a pipeline."""

    key: NonBlank
    name: NonBlank
    kind: Literal["open", "won", "lost"] = "open"
    required_fields: list[str] = Field(default_factory=list)
    tasks: list[StageTaskFields] = Field(default_factory=list)
    color: str | None = Field(
        default=None, description='The stage\'s colour on the board, "#rrggbb"; null: none'
    )
    on_invoice: Flag = Field(default=False, description="An issued invoice moves deals here")
    on_payment: Flag = Field(default=False, description="A fully paid invoice moves deals here")


class PipelineFields(Body):
    """A pipeline as `[[pipelines]]` holds it (stages in order)."""

    name: NonBlank
    stage_order: Literal["strict", "semi_strict", "free"] = "free"
    require_next_activity: Flag = True
    lost_requires_approval: Flag = False
    won_requires_shipment: Flag = Field(
        default=False,
        description="A deal is won only when its paid invoices are fully shipped or acted",
    )
    ship_before_payment: Flag = Field(
        default=False, description="Shipments and acts may be made from an issued invoice"
    )
    lost_reasons: list[str] = Field(default_factory=list)
    stages: list[StageFields]


class NewPipeline(PipelineFields):
    """POST: a new pipeline."""

    key: NonBlank = Field(description="URL-safe: lowercase letters, digits, '_' or '-'")


class PipelineEdit(PipelineFields):
    """PUT: the whole pipeline, with the version it edits."""

    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class MoveDeals(Body):
    """Where a stage's deals go before the stage is deleted."""

    to: NonBlank = Field(
        description="Key of a stage of the same pipeline and kind (open → open, lost → lost)"
    )


class MovedDeals(Shape):
    """The deals moved, each recorded in its stage history like a normal move."""

    moved: list[int] = Field(description="Ids of the deals moved")
    to: str


class FormFields(Body):
    """A website form as `[[forms]]` holds it."""

    name: str | None = None
    queue: str | None = None
    pipeline: str | None = None
    preset: str | None = None
    secret: str | None = Field(default=None, description="Shown back masked")
    secret_header: str | None = None
    secret_field: str | None = None
    field_map: dict[str, str] | None = None
    honeypot_fields: list[str] | None = None
    consent_text_version: str | None = None
    redirect_url: str | None = None
    allowed_redirect_hosts: list[str] | None = None
    rate_per_minute: Annotated[int, Strict()] | None = Field(default=None, ge=0)
    rate_burst: Annotated[int, Strict()] | None = Field(default=None, ge=1)
    smartcaptcha: Flag | None = None
    generate_secret: Flag | None = Field(
        default=None,
        description="true: a new secret is generated and shown in full once, in this answer",
    )


class NewForm(FormFields):
    """POST: a new form."""

    key: NonBlank = Field(description="URL-safe: lowercase letters, digits, '_' or '-'")


class FormEdit(FormFields):
    """PUT: the whole form, with the version it edits."""

    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class NewJunkReason(Body):
    """POST: a new junk reason (`[leads] junk_reasons`), offered at once."""

    key: NonBlank = Field(description="URL-safe: lowercase letters, digits, '_' or '-'")
    name: NonBlank = Field(description="What managers see")


class JunkReasonEdit(Body):
    """PUT: a junk reason's new name, with the version it edits (its key stays)."""

    name: NonBlank
    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class LineFields(Body):
    """A company phone number's rules as `[telephony.lines."<number>"]` holds them."""

    source: str | None = Field(default=None, description="The lead's source, e.g. yandex-direct")
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    queue: str | None = Field(default=None, description="The queue the line's calls go to")
    pipeline: str | None = None


class NewLine(LineFields):
    """POST: a new phone line; its calls follow it at once."""

    line: NonBlank = Field(description='The number in any spelling: "+7 (495) 123-45-67"')


class LineEdit(LineFields):
    """PUT: the whole line, with the version it edits."""

    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class NewExtension(Body):
    """POST: an internal extension and the manager on it (`[telephony.extensions]`)."""

    extension: NonBlank = Field(description="URL-safe, e.g. 101")
    login: NonBlank = Field(description="The manager's login")


class ExtensionEdit(Body):
    """PUT: the manager on the extension, with the version it edits."""

    login: NonBlank
    version: Annotated[int, Strict()] = Field(ge=1, description="The version read; stale: 409")


class StoredDocument(Shape):
    """A stored queue, pipeline or form: its `[[...]]` document (secrets masked), version."""

    key: str
    data: dict[str, Any]
    version: int
    updated_at: datetime
    updated_by: str = Field(description="Login of who changed it last; `seed` for the file")
    secret: str | None = Field(
        default=None,
        description="A form's secret just generated (`generate_secret`), in full: only here",
    )


class DocumentPage(Shape):
    """Every object of the kind, in order."""

    items: list[StoredDocument]


class DeletedDocument(Shape):
    """What was deleted."""

    deleted: StoredDocument


class FormSnippet(Shape):
    """What to paste into the site for a form."""

    key: str
    action: str = Field(description="Where the form posts: public URL + /api/v1/forms/<key>")
    html: str = Field(
        description="An HTML form for a public page: name, phone, email, comment, consent,"
        " honeypot (and the SmartCaptcha widget when the form requires it); empty for a form"
        " with a secret, which accepts no post without it and must not put it in a page"
    )
    tilda_webhook_url: str = Field(description="Tilda: Настройки сайта → Формы → Webhook")
    secret_field: str | None = Field(description="The field carrying the secret, if any")
    secret_header: str | None = Field(description="Or the header carrying it")
    public_html: bool = Field(description="Whether `html` is a form to paste into a page")
    warning: str | None = Field(
        description="For a form with a secret: why it is for server-to-server use only"
    )
    server_example: str | None = Field(
        description="For a form with a secret: a server's request with СЕКРЕТ_ФОРМЫ to replace"
    )


class PreviewQueue(Shape):
    """The queue a lead would enter."""

    key: str
    name: str


class PreviewManager(Shape):
    """The manager a lead would go to."""

    login: str
    name: str


class PreviewMember(Shape):
    """A queue member's state right now, as the assignment weighs it."""

    login: str
    name: str
    weight: int
    capacity: int | None = Field(description="Leads a day; null: no cap")
    active: bool
    on_duty: bool = Field(description="Within working hours and not absent")
    absent: bool = Field(description="On vacation or sick leave now")
    at_capacity: bool
    assigned_today: int = Field(description="Leads this queue gave them today (their local day)")
    served: int = Field(description="Leads this queue gave them so far (the weights' count)")
    state: str = Field(description="Russian: на смене, вне смены, отсутствует, лимит, неактивен")


class QueuePreview(Shape):
    """Who would get a new client's lead now, and why (a dry run of routing)."""

    queue: PreviewQueue | None
    routed_by: Literal["queue", "source", "form", "channel", "first_queue", "none"]
    route_reason: str = Field(description="Russian: why this queue")
    assignee: PreviewManager | None = Field(description="null: the lead would wait")
    kind: Literal["round_robin", "fallback", "waiting"]
    reason: str = Field(description="Russian, exactly as the assignment would record it")
    accept_by: datetime | None
    wait_until: datetime | None
    members: list[PreviewMember]
    at: datetime
