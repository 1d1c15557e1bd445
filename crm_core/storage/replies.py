"""The outgoing_messages table, implementing crm_core.storage.ports.OutgoingMessageRepository."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from crm_core.replies_model import (
    AttachmentInfo,
    ConversationEntry,
    FileRef,
    IncomingFiles,
    NewOutgoingMessage,
    OutgoingMessage,
    OutgoingState,
    Touch,
    files_of,
)
from crm_core.sales import ActivityKind, RecordKind
from crm_core.storage.session import (
    Row,
    SqlSession,
    as_datetime,
    as_optional_datetime,
    from_json,
    to_json,
)

MAX_ERROR_CHARS = 500
COLUMNS = (
    "id",
    "entity",
    "entity_id",
    "activity_id",
    "channel",
    "account",
    "address",
    "text",
    "idempotency_key",
    "state",
    "attempts",
    "next_attempt_at",
    "platform_message_id",
    "last_error",
    "created_by",
    "created_at",
    "updated_at",
    "sent_at",
    "reply_context",
    "attachments",
)
SELECT = f"SELECT {', '.join(COLUMNS)} FROM outgoing_messages"
# Sent and failed are final: the outcome recorded first wins, so a worker whose lease ran out
# cannot rewrite what the next one recorded.
MARK_SENT = (
    "UPDATE outgoing_messages SET state = 'sent', platform_message_id = $2,"
    " attempts = attempts + 1, sent_at = $3, updated_at = $3, leased_until = NULL"
    " WHERE id = $1 AND state = 'queued'"
)
# The inbox row an incoming activity was logged from: its actor is "inbox:<id>". CASE keeps
# the cast away from other actors (PostgreSQL does not promise to test the LIKE first).
INBOX_OF_ACTIVITY = (
    "LEFT JOIN inbox i ON i.id ="
    " CASE WHEN a.actor LIKE 'inbox:%' THEN CAST(SUBSTR(a.actor, 7) AS BIGINT) END"
)


class SqlOutgoingMessageRepository:
    """Outgoing client messages, leased by one dispatcher at a time."""

    def __init__(self, session: SqlSession) -> None:
        self._s = session

    async def add(self, message: NewOutgoingMessage, now: datetime) -> int | None:
        """Queue a message, due at once; None when its idempotency key is already stored."""
        row = await self._s.fetchrow(
            "INSERT INTO outgoing_messages (entity, entity_id, activity_id, channel, account,"
            " address, text, idempotency_key, state, attempts, next_attempt_at, created_by,"
            " created_at, updated_at, reply_context, attachments)"
            " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'queued', 0, $9, $10, $9, $9, $11, $12)"
            " ON CONFLICT (idempotency_key) DO NOTHING RETURNING id",
            message.entity.value,
            message.entity_id,
            message.activity_id,
            message.channel,
            message.account,
            message.address,
            message.text,
            message.idempotency_key,
            now,
            message.created_by,
            to_json(dict(message.context)) if message.context else None,
            to_json([_info_json(a.info) for a in message.attachments])
            if message.attachments
            else None,
        )
        if row is None:
            return None
        message_id = int(row["id"])
        for position, attachment in enumerate(message.attachments):
            await self._s.execute(
                "INSERT INTO outgoing_attachments (message_id, position, content)"
                " VALUES ($1, $2, $3)",
                message_id,
                position,
                attachment.content,
            )
        return message_id

    async def attachment_content(self, message_id: int, position: int) -> bytes | None:
        """The content of an outgoing message's file."""
        row = await self._s.fetchrow(
            "SELECT content FROM outgoing_attachments WHERE message_id = $1 AND position = $2",
            message_id,
            position,
        )
        return bytes(row["content"]) if row else None

    async def incoming_files(
        self, entity: RecordKind, entity_id: int, activity_id: int
    ) -> IncomingFiles | None:
        """The files of the incoming message logged as the activity (its inbox row's meta)."""
        row = await self._s.fetchrow(
            f"SELECT i.channel, i.source, i.event FROM activities a {INBOX_OF_ACTIVITY}"
            " WHERE a.id = $1 AND a.entity = $2 AND a.entity_id = $3 AND i.id IS NOT NULL",
            activity_id,
            entity.value,
            entity_id,
        )
        if row is None:
            return None
        return IncomingFiles(row["channel"], row["source"], _event_files(row["event"]))

    async def get(self, message_id: int) -> OutgoingMessage | None:
        """One message by id."""
        row = await self._s.fetchrow(f"{SELECT} WHERE id = $1", message_id)
        return _message(row) if row else None

    async def by_key(self, idempotency_key: str) -> OutgoingMessage | None:
        """The message stored under an idempotency key."""
        row = await self._s.fetchrow(f"{SELECT} WHERE idempotency_key = $1", idempotency_key)
        return _message(row) if row else None

    async def claim_due(
        self, now: datetime, limit: int, lease_until: datetime
    ) -> list[OutgoingMessage]:
        """Queued messages due by `now` and not leased, leased until `lease_until`; of the
        messages to one chat only the earliest still queued, so a chat gets them in order."""
        if limit <= 0:
            return []
        # SQLite's write transaction already excludes every other writer; on PostgreSQL
        # SKIP LOCKED lets concurrent dispatchers take disjoint rows without waiting.
        lock = " FOR UPDATE SKIP LOCKED" if self._s.dialect == "postgres" else ""
        # An earlier message leaves 'queued' only once it is sent or failed for good, so a
        # later one waits out its retries and leases, in this process and in any other.
        rows = await self._s.fetch(
            "UPDATE outgoing_messages SET leased_until = $3 WHERE id IN ("
            "SELECT o.id FROM outgoing_messages o WHERE o.state = 'queued'"
            " AND o.next_attempt_at <= $1 AND (o.leased_until IS NULL OR o.leased_until <= $1)"
            " AND NOT EXISTS (SELECT 1 FROM outgoing_messages e WHERE e.state = 'queued'"
            " AND e.channel = o.channel AND e.account = o.account AND e.address = o.address"
            f" AND e.id < o.id) ORDER BY o.id LIMIT $2{lock}) RETURNING {', '.join(COLUMNS)}",
            now,
            limit,
            lease_until,
        )
        return sorted((_message(r) for r in rows), key=lambda m: m.id)

    async def mark_sent(self, message_id: int, platform_message_id: str, now: datetime) -> None:
        """The platform accepted the message."""
        await self._s.execute(MARK_SENT, message_id, platform_message_id, now)

    async def mark_sent_many(self, sent: Sequence[tuple[int, str]], now: datetime) -> None:
        """The platform accepted these messages (message id, platform message id)."""
        if sent:
            await self._s.executemany(MARK_SENT, [(m, p, now) for m, p in sent])

    async def release(self, message_id: int, now: datetime) -> None:
        """Give the lease up without a try."""
        await self._s.execute(
            "UPDATE outgoing_messages SET leased_until = NULL, updated_at = $2"
            " WHERE id = $1 AND state = 'queued'",
            message_id,
            now,
        )

    async def mark_retry(
        self, message_id: int, attempts: int, next_attempt_at: datetime, error: str, now: datetime
    ) -> None:
        """Try again at `next_attempt_at`."""
        await self._s.execute(
            "UPDATE outgoing_messages SET attempts = $2, next_attempt_at = $3, last_error = $4,"
            " updated_at = $5, leased_until = NULL WHERE id = $1 AND state = 'queued'",
            message_id,
            attempts,
            next_attempt_at,
            error[:MAX_ERROR_CHARS],
            now,
        )

    async def mark_failed(self, message_id: int, attempts: int, error: str, now: datetime) -> None:
        """Stop trying; the error is the platform's reason."""
        await self._s.execute(
            "UPDATE outgoing_messages SET state = 'failed', attempts = $2, last_error = $3,"
            " updated_at = $4, leased_until = NULL WHERE id = $1 AND state = 'queued'",
            message_id,
            attempts,
            error[:MAX_ERROR_CHARS],
            now,
        )

    async def touches(self, entity: RecordKind, entity_id: int, limit: int) -> list[Touch]:
        """The channels of the newest incoming messages logged on a record."""
        rows = await self._s.fetch(
            f"SELECT i.channel, i.source, i.event, a.at FROM activities a {INBOX_OF_ACTIVITY}"
            " WHERE a.entity = $1 AND a.entity_id = $2 AND i.id IS NOT NULL"
            " ORDER BY a.at DESC, a.id DESC LIMIT $3",
            entity.value,
            entity_id,
            limit,
        )
        return [_touch(r) for r in rows]

    async def conversation(
        self, entity: RecordKind, entity_id: int, limit: int, before_activity_id: int | None
    ) -> list[ConversationEntry]:
        """A page of the record's messages both ways (incoming message activities and those
        with an outgoing row), newest first; `before_activity_id` pages back from one."""
        args: list[Any] = [entity.value, entity_id, ActivityKind.MESSAGE.value]
        cursor = ""
        if before_activity_id is not None:
            start = await self._s.fetchrow(
                "SELECT at FROM activities WHERE id = $1", before_activity_id
            )
            if start is None:
                return []
            args += [as_datetime(start["at"]), before_activity_id]
            cursor = " AND (a.at < $4 OR (a.at = $4 AND a.id < $5))"
        args.append(limit)
        outgoing = ", ".join(f"o.{c} AS o_{c}" for c in COLUMNS)
        rows = await self._s.fetch(
            "SELECT a.id AS activity_id, a.text AS activity_text, a.at, a.manager_id,"
            f" i.channel AS in_channel, i.event AS in_event, {outgoing}"
            f" FROM activities a {INBOX_OF_ACTIVITY}"
            " LEFT JOIN outgoing_messages o ON o.activity_id = a.id"
            " WHERE a.entity = $1 AND a.entity_id = $2 AND a.kind = $3"
            f" AND (i.id IS NOT NULL OR o.id IS NOT NULL){cursor}"
            f" ORDER BY a.at DESC, a.id DESC LIMIT ${len(args)}",
            *args,
        )
        return [_entry(r) for r in rows]


def _entry(r: Row) -> ConversationEntry:
    outgoing = _message({c: r[f"o_{c}"] for c in COLUMNS}) if r["o_id"] is not None else None
    return ConversationEntry(
        activity_id=int(r["activity_id"]),
        text=r["activity_text"],
        at=as_datetime(r["at"]),
        incoming=outgoing is None,
        channel=outgoing.channel if outgoing else r["in_channel"],
        manager_id=r["manager_id"],
        outgoing=outgoing,
        files=_event_files(r["in_event"]) if outgoing is None and r["in_event"] else (),
    )


def _event_files(event: Any) -> tuple[FileRef, ...]:
    """The files an inbox row's event lists in its meta."""
    data = from_json(event)
    meta = data.get("meta") if isinstance(data, dict) else None
    return files_of(_strings(meta))


def _info_json(info: AttachmentInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "content_type": info.content_type,
        "size": info.size,
        "sha256": info.sha256,
    }


def _infos(value: Any) -> tuple[AttachmentInfo, ...]:
    listed = from_json(value) if value is not None else None
    if not isinstance(listed, list):
        return ()
    return tuple(
        AttachmentInfo(str(i["name"]), str(i["content_type"]), int(i["size"]), str(i["sha256"]))
        for i in listed
        if isinstance(i, dict)
    )


def _touch(r: Row) -> Touch:
    """A touch from an incoming activity's inbox row: its event's ids, e-mail, meta, text."""
    data = from_json(r["event"])
    data = data if isinstance(data, dict) else {}
    person = data.get("person")
    person = person if isinstance(person, dict) else {}
    email, comment = person.get("email"), data.get("comment")
    return Touch(
        r["channel"],
        r["source"],
        _strings(person.get("messenger_ids")),
        as_datetime(r["at"]),
        email=email if isinstance(email, str) and email else None,
        meta=_strings(data.get("meta")),
        text=comment if isinstance(comment, str) else None,
    )


def _strings(value: Any) -> dict[str, str]:
    if not isinstance(value, dict):
        return {}
    return {str(k): str(v) for k, v in value.items() if v is not None}


def _message(r: Row) -> OutgoingMessage:
    return OutgoingMessage(
        id=int(r["id"]),
        entity=RecordKind(r["entity"]),
        entity_id=int(r["entity_id"]),
        activity_id=int(r["activity_id"]),
        channel=r["channel"],
        account=r["account"],
        address=r["address"],
        text=r["text"],
        idempotency_key=r["idempotency_key"],
        state=OutgoingState(r["state"]),
        attempts=int(r["attempts"]),
        next_attempt_at=as_datetime(r["next_attempt_at"]),
        platform_message_id=r["platform_message_id"],
        last_error=r["last_error"],
        created_by=r["created_by"],
        created_at=as_datetime(r["created_at"]),
        updated_at=as_datetime(r["updated_at"]),
        sent_at=as_optional_datetime(r["sent_at"]),
        context=_strings(from_json(r["reply_context"])),
        attachments=_infos(r["attachments"]),
    )
