"""A conversation with the client: a reply to send, and the messages both ways."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, WithJsonSchema
from pydantic_core import PydanticCustomError

from crm_core.replies import REPLY_CHANNELS
from crm_core.replies_model import OutgoingState
from intake.http.schemas.base import Body, NonBlank, Shape, enum_schema


def _reply_channel(value: str) -> str:
    if value.strip() not in REPLY_CHANNELS:
        raise PydanticCustomError(
            "enum", "must be one of: {values}", {"values": ", ".join(REPLY_CHANNELS)}
        )
    return value


CHANNEL_SCHEMA = {"type": "string", "enum": list(REPLY_CHANNELS)}
ReplyChannelChoice = Annotated[str, AfterValidator(_reply_channel), WithJsonSchema(CHANNEL_SCHEMA)]
StateName = Annotated[str, WithJsonSchema(enum_schema(OutgoingState))]
OptionalStateName = Annotated[
    str | None, WithJsonSchema(enum_schema(OutgoingState, nullable=True))
]


class SendMessageRequest(Body):
    """A message to the client, through a channel they wrote in. To attach a file, send the
    same fields as multipart/form-data with the file as the part `attachments`."""

    text: NonBlank = Field(description="Up to 4096 characters (Telegram, VK)")
    channel: ReplyChannelChoice | None = Field(
        default=None, description="Default: the channel the client used last"
    )


class Attachment(Shape):
    """A file of a message: the manager's (stored with it) or the client's (kept on the
    platform and fetched when downloaded)."""

    id: str = Field(description="The file's token within the record's conversation")
    name: str
    content_type: str
    size: int | None = Field(description="Bytes; null when the platform did not say")


class ConversationAttachment(Attachment):
    """A file of a conversation's message, with where to download it."""

    url: str = Field(description="GET it (with the same bearer token) to download the file")


class QueuedMessage(Shape):
    """An outgoing message as stored: queued, then sent or failed."""

    id: int
    activity_id: int = Field(description="The message's activity on the record")
    channel: str
    state: StateName
    error: str | None = Field(description="The platform's reason of the last failure")
    error_ru: str | None = Field(
        description="Why it is not sent, in Russian for the manager (for example"
        " «Клиент заблокировал бота»); null when sent or nothing failed"
    )
    attempts: int
    created_at: datetime
    sent_at: datetime | None
    attachments: list[Attachment] = Field(description="The files sent with it as documents")
    duplicate: bool = Field(description="True when the Idempotency-Key was seen before")


class ConversationMessage(Shape):
    """One message of a conversation, incoming or outgoing."""

    activity_id: int | None = Field(
        description="Null for the message that opened the lead (the lead's own text)"
    )
    direction: Literal["in", "out"]
    channel: str | None
    text: str | None
    at: datetime
    manager_id: int | None = Field(description="Who sent it (outgoing)")
    message_id: int | None = Field(description="The outgoing message's id")
    state: OptionalStateName = Field(description="Delivery state (outgoing)")
    error: str | None = Field(description="The platform's reason of the last failure")
    error_ru: str | None = Field(
        description="Why it is not sent, in Russian for the manager (for example"
        " «Клиент заблокировал бота»); null when sent or nothing failed"
    )
    sent_at: datetime | None
    attachments: list[ConversationAttachment] = Field(
        description="Files sent with the message, either way"
    )


# The multipart form of sendConversationMessage: the JSON body's fields and the file.
MULTIPART_MESSAGE = {
    "type": "object",
    "properties": {
        "text": {
            "type": "string",
            "description": "May be empty when a file is attached; with a file Telegram takes"
            " up to 1024 characters (the document's caption)",
        },
        "channel": CHANNEL_SCHEMA,
        "attachments": {
            "type": "string",
            "format": "binary",
            "description": "One file, up to 20 MB (20971520 bytes), sent as a document",
        },
    },
}


class ConversationPage(Shape):
    """Messages of a record, newest last."""

    items: list[ConversationMessage]
    next_before: int | None = Field(description="Pass as ?before= for the older page")
