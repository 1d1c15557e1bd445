"""Files of a conversation: which one a download asks for, and whether the manager may have it.

A file is named within its record by a short token: `o<message id>.<n>` for a file the
manager sent (stored with the outgoing message), `a<activity id>.<n>` for one the client
sent in a later message, `l.<n>` for one the client sent in the message that opened a lead.
The client's files stay on the platform; what is found here is the reference to fetch.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from crm_core.errors import NotFound
from crm_core.holders import require_visible
from crm_core.model import Manager
from crm_core.replies import CONVERSATION_RECORDS
from crm_core.replies_model import FileRef, OutgoingMessage, files_of
from crm_core.sales import RecordKind
from crm_core.storage.ports import UnitOfWork

FIELD = "attachment"
_TOKEN = re.compile(r"^(?:([oa])([1-9][0-9]{0,18})|(l))\.([0-9]{1,3})$")


@dataclass(frozen=True, slots=True)
class StoredFile:
    """A file a manager sent, with its content."""

    name: str
    content_type: str
    content: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file a client sent: fetched on demand through `channel`'s `account`."""

    channel: str
    account: str
    file: FileRef


def sent_file_token(message: OutgoingMessage, position: int) -> str:
    """The token of a file the manager sent."""
    return f"o{message.id}.{position}"


def received_file_token(activity_id: int | None, position: int) -> str:
    """The token of a file the client sent (activity None: the lead's opening message)."""
    return f"l.{position}" if activity_id is None else f"a{activity_id}.{position}"


async def find_file(
    uow: UnitOfWork, actor: Manager, entity: RecordKind, entity_id: int, token: str
) -> StoredFile | RemoteFile:
    """The file a token names on a record the actor may see; NotFound otherwise (for a
    record, a token or a file the actor may not have alike)."""
    if entity not in CONVERSATION_RECORDS:
        raise NotFound("entity", f"no conversation on a {entity.value}")
    await require_visible(uow, actor, entity, entity_id, "entity_id")
    match = _TOKEN.fullmatch(token)
    if match is None:
        raise NotFound(FIELD, f"no attachment {token!r}")
    kind, number, lead, position = (
        match.group(1),
        match.group(2),
        match.group(3),
        int(match.group(4)),
    )
    if kind == "o":
        message = await uow.replies.get(int(number))
        if (
            message is None
            or (message.entity, message.entity_id) != (entity, entity_id)
            or position >= len(message.attachments)
        ):
            raise NotFound(FIELD, f"no attachment {token!r}")
        content = await uow.replies.attachment_content(message.id, position)
        if content is None:
            raise NotFound(FIELD, f"no attachment {token!r}")
        info = message.attachments[position]
        return StoredFile(info.name, info.content_type, content)
    if lead and entity is RecordKind.LEAD:
        found = await uow.leads.get(entity_id)
        files = files_of(found.data.meta) if found else ()
        if found is not None and position < len(files):
            return RemoteFile(found.data.channel, found.data.source, files[position])
        raise NotFound(FIELD, f"no attachment {token!r}")
    if kind == "a":
        incoming = await uow.replies.incoming_files(entity, entity_id, int(number))
        if incoming is not None and position < len(incoming.files):
            return RemoteFile(incoming.channel, incoming.account, incoming.files[position])
    raise NotFound(FIELD, f"no attachment {token!r}")
