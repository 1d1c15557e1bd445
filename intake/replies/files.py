"""The files of an outgoing message, read from storage just before it is sent."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from channels.sending import OutgoingFile
from crm_core.replies_model import OutgoingMessage, OutgoingMessagePort

RepliesFactory = Callable[[], AbstractAsyncContextManager[OutgoingMessagePort]]


async def load_files(
    replies: RepliesFactory, message: OutgoingMessage
) -> tuple[OutgoingFile, ...] | None:
    """The message's files with their contents (none for a text message), or None when a
    stored file is missing (the message must not go without it)."""
    if not message.attachments:
        return ()
    files = []
    async with replies() as port:
        for position, info in enumerate(message.attachments):
            content = await port.attachment_content(message.id, position)
            if content is None:
                return None
            files.append(OutgoingFile(info.name, info.content_type, content))
    return tuple(files)
