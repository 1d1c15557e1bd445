"""IMAP mailboxes → inbox: fetch by UID, store, checkpoint, then mark \\Seen; IDLE or poll.

One poller per `[[email.mailboxes]]` entry reads one folder. Its place is a checkpoint in the
database (`channel_checkpoints`, channel "email", key "<mailbox>:<folder>") holding the
folder's UIDVALIDITY and the last UID done. A batch of messages is fetched with BODY.PEEK[]
(nothing becomes \\Seen by being read), parsed, stored through the inbox writer; only once
it is committed does the checkpoint move past it, and only then are its leads marked \\Seen
(`mark_seen`). A crash or a dropped connection anywhere before the checkpoint makes the next
session fetch the batch again, and the inbox's unique (channel "email", Message-ID) turns
what was stored already into duplicates; after the checkpoint nothing is fetched twice.

- First start (no checkpoint): the messages already in the folder are taken only if they
  are unseen (a seen one was read by a person, and is likely dealt with or years old); every
  message arriving after that is taken, seen or not, because a person may open it in their
  mail client before we fetch it. The boundary (the UIDNEXT at first start) is saved at once.
- UIDVALIDITY changed (the folder was recreated or the server's store rebuilt): every UID
  is new, so the whole folder is fetched again; the inbox counts the known messages as
  duplicates, and the checkpoint restarts under the new UIDVALIDITY.
- Not a lead (auto-reply, bounce, list, ...): nothing stored, counted as "ignored", logged by
  reason only, left unseen for a person to look at, and passed by the checkpoint.
- New mail: IDLE when the server offers it (and `idle` is on), renewed every IDLE_SECONDS;
  otherwise the folder is searched every `poll_seconds`.

imapclient is synchronous: each poller runs its calls in a thread of its own, one call at a
time, because one IMAP connection must not be used by two threads at once.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, TypeVar

from channels.email.const import CHANNEL
from channels.email.imap import (
    COMMAND_TIMEOUT_SECONDS,
    IDLE_SECONDS,
    FetchedMessage,
    FolderState,
    ImapFolder,
)
from channels.email.parse import MailLead, ParsedMail, locate_files, parse_message
from channels.errors import ChannelError
from channels.model import InboundEvent
from config.channel_settings import EmailMailboxSettings
from crm_core.model import NewInboxItem
from crm_core.storage import Storage, StorageUnavailable
from intake.channel_polling import (
    BACKOFF_MAX_SECONDS,
    BACKOFF_MIN_SECONDS,
    ChannelPoller,
    Clock,
    CountOutcome,
    InboxStore,
    outcome_counter,
    running,
)
from intake.clock import utcnow

if TYPE_CHECKING:
    from intake.bootstrap import Services

log = logging.getLogger(__name__)

# Messages fetched, stored and checkpointed together: bounds memory (a message may carry
# megabytes of attachments) and the work repeated after a failure.
BATCH_SIZE = 20
# How long a stop waits for a stored batch's checkpoint and \Seen flags.
FINISH_WAIT_SECONDS = 10.0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class FolderCheckpoint:
    """How far a folder is done: valid only under its UIDVALIDITY."""

    uidvalidity: int
    # Every message up to this UID is stored or skipped.
    last_uid: int
    # Messages up to this UID were in the folder at the first start: taken only if unseen.
    unseen_through: int = 0

    def to_text(self) -> str:
        """The checkpoint as stored (JSON)."""
        return json.dumps(
            {
                "uidvalidity": self.uidvalidity,
                "last_uid": self.last_uid,
                "unseen_through": self.unseen_through,
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_text(cls, text: str) -> FolderCheckpoint:
        """A checkpoint stored with `to_text`."""
        data = json.loads(text)
        return cls(
            uidvalidity=int(data["uidvalidity"]),
            last_uid=int(data["last_uid"]),
            unseen_through=int(data.get("unseen_through", 0)),
        )


def checkpoint_key(mailbox: str, folder: str) -> str:
    """The checkpoint's key: mailbox names are identifiers, so ':' cannot be ambiguous."""
    return f"{mailbox}:{folder}"


def mail_item(
    event: InboundEvent, raw: bytes, folder: str, uid: int, uidvalidity: int
) -> NewInboxItem:
    """The inbox row of a fetched message: the raw message (to parse again) and where it was
    (its files' references name it too, for downloads)."""
    event = locate_files(event, folder, uidvalidity, uid)
    return NewInboxItem(
        channel=event.channel,
        source=event.source,
        external_id=event.external_id,
        received_at=event.received_at,
        payload={
            "mail": {
                "mailbox": event.source,
                "folder": folder,
                "uidvalidity": uidvalidity,
                "uid": uid,
                "raw_base64": base64.b64encode(raw).decode("ascii"),
            }
        },
        headers={},
        event=event.to_json(),
    )


class EmailPoller(ChannelPoller):
    """Fetches one mailbox folder into the inbox, keeping its place in the database."""

    def __init__(
        self,
        mailbox: EmailMailboxSettings,
        writer: InboxStore,
        storage: Storage,
        metrics: CountOutcome,
        clock: Clock,
        *,
        idle_seconds: float = IDLE_SECONDS,
        command_timeout: float = COMMAND_TIMEOUT_SECONDS,
        backoff_min: float = BACKOFF_MIN_SECONDS,
        backoff_max: float = BACKOFF_MAX_SECONDS,
    ) -> None:
        if not mailbox.password:
            raise ValueError(f"mailbox {mailbox.name!r} has no password to log in with")
        super().__init__(
            "email_polling",
            f"mailbox={mailbox.name}",
            writer,
            metrics,
            clock,
            backoff_min=backoff_min,
            backoff_max=backoff_max,
        )
        self.mailbox = mailbox
        self._storage = storage
        self._idle_seconds = idle_seconds
        self._folder = ImapFolder(
            mailbox.host,
            mailbox.port,
            mailbox.security,
            mailbox.login,
            mailbox.password,
            mailbox.folder,
            timeout=command_timeout,
        )
        self._key = checkpoint_key(mailbox.name, mailbox.folder)
        self._pool: ThreadPoolExecutor | None = None
        self._finishing: asyncio.Future[None] | None = None
        # Set while a session is open, with the checkpoint as last committed.
        self._state: FolderState | None = None
        self._checkpoint: FolderCheckpoint | None = None
        # For tests and logs: messages fetched, and sessions opened, since the start.
        self.messages_fetched = 0
        self.sessions = 0

    async def poll_once(self) -> float:
        """Store what is new in the folder, then wait for more; returns the wait after."""
        try:
            if self._state is None:
                await self._connect()
            self._answered()
            if await self._drain():
                # Something came: look again at once rather than wait.
                return self._succeeded()
            if self.mailbox.idle and self._state is not None and self._state.idle:
                await self._call(self._folder.wait, self._idle_seconds)
                return self._succeeded()
            self._succeeded()
            return self.mailbox.poll_seconds
        except StorageUnavailable as err:
            # The session stays open; the checkpoint in memory is the one last committed.
            return self._failed(err)
        except ChannelError as err:
            await self._disconnect()
            return self._failed(err)

    async def _connect(self) -> None:
        """Open a session and find where to go on from (the first start saves its boundary)."""
        state = await self._call(self._folder.open, readonly=not self.mailbox.mark_seen)
        self.sessions += 1
        stored = await self._load_checkpoint()
        if stored is None:
            boundary = (
                state.uidnext - 1
                if state.uidnext is not None
                else await self._call(self._folder.highest_uid)
            )
            checkpoint = FolderCheckpoint(state.uidvalidity, last_uid=0, unseen_through=boundary)
            log.info(
                "email_first_start mailbox=%s folder=%s uidvalidity=%d unseen_through=%d",
                self.mailbox.name,
                self.mailbox.folder,
                state.uidvalidity,
                boundary,
            )
            await self._save(checkpoint)
        elif stored.uidvalidity != state.uidvalidity:
            log.warning(
                "email_uidvalidity_changed mailbox=%s folder=%s old=%d new=%d resync=all",
                self.mailbox.name,
                self.mailbox.folder,
                stored.uidvalidity,
                state.uidvalidity,
            )
            await self._save(FolderCheckpoint(state.uidvalidity, last_uid=0))
        else:
            self._checkpoint = stored
        self._state = state

    async def _drain(self) -> bool:
        """Fetch, store and checkpoint every new message, batch by batch; True if any."""
        checkpoint = self._current()
        listed = await self._call(self._folder.uids_after, checkpoint.last_uid)
        if not listed:
            return False
        wanted = listed
        if checkpoint.unseen_through > checkpoint.last_uid:
            unseen = set(
                await self._call(
                    self._folder.unseen_between,
                    checkpoint.last_uid + 1,
                    checkpoint.unseen_through,
                )
            )
            wanted = [u for u in listed if u > checkpoint.unseen_through or u in unseen]
        for start in range(0, len(wanted), BATCH_SIZE):
            self.backlog = len(wanted) - start
            await self._process(wanted[start : start + BATCH_SIZE])
        self.backlog = 0
        if self._current().last_uid < listed[-1]:
            # Only messages seen before the first start were left: nothing to fetch in them.
            await self._save(replace(self._current(), last_uid=listed[-1]))
        return True

    async def _process(self, uids: Sequence[int]) -> None:
        """One batch: fetch, parse, store, checkpoint, then mark its leads seen."""
        checkpoint = self._current()
        messages = await self._call(self._folder.fetch, uids)
        self.messages_fetched += len(messages)
        received_at = self._clock()
        parsed = await self._call(self._parse_all, messages, received_at)
        items: list[NewInboxItem] = []
        lead_uids: list[int] = []
        ignored = 0
        for message, outcome in zip(messages, parsed, strict=True):
            if isinstance(outcome, MailLead):
                items.append(
                    mail_item(
                        outcome.event,
                        message.raw,
                        self.mailbox.folder,
                        message.uid,
                        checkpoint.uidvalidity,
                    )
                )
                lead_uids.append(message.uid)
                continue
            ignored += 1
            self._count("ignored")
            log.info(
                "email_not_a_lead mailbox=%s uid=%d reason=%s",
                self.mailbox.name,
                message.uid,
                outcome.reason,
            )
        created, duplicate = await self._store_items(items)
        # Once stored, the batch is finished even when the poller is being stopped: cut
        # short between the checkpoint and the flags, its leads would stay unseen for good.
        self._finishing = asyncio.ensure_future(self._finish(checkpoint, uids, lead_uids))
        await asyncio.shield(self._finishing)
        log.info(
            "email_batch_stored mailbox=%s uids=%d-%d fetched=%d stored=%d duplicate=%d"
            " ignored=%d",
            self.mailbox.name,
            uids[0],
            uids[-1],
            len(messages),
            created,
            duplicate,
            ignored,
        )

    async def _finish(
        self, checkpoint: FolderCheckpoint, uids: Sequence[int], lead_uids: Sequence[int]
    ) -> None:
        """Move the checkpoint past a stored batch, then mark its leads seen."""
        # Expunged meanwhile or not, every UID of the batch is done now.
        await self._save(replace(checkpoint, last_uid=max(uids)))
        if self.mailbox.mark_seen and lead_uids:
            await self._call(self._folder.mark_seen, lead_uids)

    def _parse_all(
        self, messages: Sequence[FetchedMessage], received_at: datetime
    ) -> list[ParsedMail]:
        # Runs in the poller's thread: parsing a large message takes a while of pure Python.
        return [_parsed(m, self.mailbox.name, received_at) for m in messages]

    def _current(self) -> FolderCheckpoint:
        assert self._checkpoint is not None  # set by _connect before anything is fetched
        return self._checkpoint

    async def _load_checkpoint(self) -> FolderCheckpoint | None:
        try:
            async with self._storage.reader() as uow:
                text = await uow.checkpoints.get(CHANNEL, self._key)
        except StorageUnavailable:
            raise
        except Exception as err:  # a driver's own error: the database is what failed
            raise StorageUnavailable(type(err).__name__) from err
        return None if text is None else FolderCheckpoint.from_text(text)

    async def _save(self, checkpoint: FolderCheckpoint) -> None:
        """Commit the checkpoint; the one in memory moves only once it is durable."""
        try:
            async with self._storage.transaction() as uow:
                await uow.checkpoints.put(CHANNEL, self._key, checkpoint.to_text(), self._clock())
        except StorageUnavailable:
            raise
        except Exception as err:  # a driver's own error: the database is what failed
            raise StorageUnavailable(type(err).__name__) from err
        self._checkpoint = checkpoint

    async def _call(self, func: Callable[..., T], *args: object, **kwargs: object) -> T:
        """Run a blocking call in the poller's own thread."""
        if self._pool is None:
            self._pool = ThreadPoolExecutor(1, thread_name_prefix=f"imap-{self.mailbox.name}")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, lambda: func(*args, **kwargs))

    async def _disconnect(self) -> None:
        """Drop the session; the next poll opens a new one and reloads the checkpoint."""
        self._state = None
        self._checkpoint = None
        # Cut the socket first: a call still blocked in the thread (IDLE) fails at once
        # instead of holding up the logout queued behind it.
        self._folder.interrupt()
        await self._call(self._folder.close)

    async def _close_client(self) -> None:
        finishing, self._finishing = self._finishing, None
        if finishing is not None:
            # Stopped while a stored batch was being finished: let it end (bounded).
            await asyncio.wait([finishing], timeout=FINISH_WAIT_SECONDS)
            if finishing.done() and not finishing.cancelled():
                # Retrieved, not raised: a failed checkpoint only repeats the batch next time.
                finishing.exception()
        await self._disconnect()
        if self._pool is not None:
            self._pool.shutdown(wait=False)
            self._pool = None


@asynccontextmanager
async def running_email_pollers(services: Services) -> AsyncIterator[Mapping[str, EmailPoller]]:
    """Poll every configured mailbox until the block ends; yields the pollers by name.

    Exit this before the inbox writer stops, so no store is cut short.
    """
    count = outcome_counter(services, CHANNEL)
    pollers = {
        mailbox.name: EmailPoller(mailbox, services.writer, services.storage, count, utcnow)
        for mailbox in services.settings.email_mailboxes
    }
    async with running(pollers) as started:
        yield started


def _parsed(message: FetchedMessage, mailbox: str, received_at: datetime) -> ParsedMail:
    """Parse one message; a message cut at the size limit says so on its lead."""
    parsed = parse_message(message.raw, mailbox=mailbox, received_at=received_at)
    if message.truncated and isinstance(parsed, MailLead):
        meta = {**parsed.event.meta, "truncated_size": str(message.size)}
        parsed = replace(parsed, event=replace(parsed.event, meta=meta))
    return parsed
