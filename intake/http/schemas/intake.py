"""What senders post (web forms, PBX notifications) and the acknowledgements they get."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, RootModel
from pydantic.json_schema import SkipJsonSchema

from intake.http.schemas.base import Body, Shape


class FormSubmission(Body):
    """A website form's fields; any names, at least one of phone or e-mail."""

    model_config = ConfigDict(
        json_schema_extra={
            "description": "Field names in Russian or English are understood (name/имя/fio,"
            " phone/tel/телефон, email, company, comment/message, utm_*, page_url, referrer,"
            " consent); Tilda's tranid/formid and test=test are honoured. At least one of"
            " phone or email is required.",
            "additionalProperties": {"type": ["string", "number", "boolean", "null"]},
        }
    )

    name: str | SkipJsonSchema[None] = None
    phone: str | SkipJsonSchema[None] = None
    email: str | SkipJsonSchema[None] = None
    company: str | SkipJsonSchema[None] = None
    comment: str | SkipJsonSchema[None] = None
    consent: str | SkipJsonSchema[None] = None
    utm_source: str | SkipJsonSchema[None] = None
    page_url: str | SkipJsonSchema[None] = None
    tranid: str | SkipJsonSchema[None] = Field(default=None, description="Idempotency key (Tilda)")


class IntakeAccepted(Shape):
    """Stored durably (202), or a retry of a stored submission (200, `duplicate`)."""

    intake_id: int
    status: Literal["accepted"]
    duplicate: bool = Field(description="A retry of a stored submission")


class FormIgnored(Shape):
    """Nothing stored: Tilda's test ping (`test`), or a filled honeypot field."""

    status: Literal["ok"]
    test: Literal[True] | SkipJsonSchema[None] = None


class FormAnswer(RootModel[IntakeAccepted | FormIgnored]):
    """A 200 to a form: a retry of a stored submission, a test ping or a spam trap."""


class TelegramAnswer(Shape):
    """`{}`, or a Bot API call Telegram runs for us (the auto-reply's sendMessage)."""

    model_config = ConfigDict(extra="allow")

    method: Literal["sendMessage"] | SkipJsonSchema[None] = None
    chat_id: int | SkipJsonSchema[None] = None
    text: str | SkipJsonSchema[None] = None
    reply_markup: dict[str, Any] | SkipJsonSchema[None] = None


class ZadarmaNotification(Body):
    """A Zadarma/Novofon PBX notification (urlencoded); fields depend on the event."""

    event: str = Field(examples=["NOTIFY_START", "NOTIFY_END", "NOTIFY_RECORD"])
    caller_id: str | SkipJsonSchema[None] = None
    called_did: str | SkipJsonSchema[None] = None
    call_start: str | SkipJsonSchema[None] = None
    pbx_call_id: str | SkipJsonSchema[None] = None
    internal: str | SkipJsonSchema[None] = None
    destination: str | SkipJsonSchema[None] = None
    duration: str | SkipJsonSchema[None] = None
    disposition: str | SkipJsonSchema[None] = None
    status_code: str | SkipJsonSchema[None] = None
    is_recorded: str | SkipJsonSchema[None] = None
    call_id_with_rec: str | SkipJsonSchema[None] = None


class MangoEvent(Body):
    """A Mango Office VPBX event (urlencoded): the JSON event and its signature."""

    vpbx_api_key: str
    sign: str = Field(description="sha256(vpbx_api_key + json + vpbx_api_salt), hex")
    json_: str = Field(alias="json", description="The event as JSON text")
