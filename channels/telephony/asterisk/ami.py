"""A small asyncio client of the Asterisk Manager Interface: log in, keep alive, read events.

The protocol is text over TCP: the server greets with one line (`Asterisk Call Manager/x.y.z`),
then every message is a block of `Key: Value` lines ended by an empty line, `\\r\\n` line
endings. We send `Action: Login` (Username, Secret, `Events: call,cdr`, an ActionID) and get
`Response: Success` or `Response: Error` with a Message; after that the server sends `Event:`
blocks as things happen, and answers our `Action: Ping` with a Response carrying its ActionID.

Own code rather than panoramisk: the few dozen lines needed here are easier to reason about
(buffering, failure on a silent connection) than a dependency's callbacks.

AMI keeps no history: an event sent while nobody listens is gone. So the reader buffers
every event as soon as it arrives, and a dropped connection is reported only after the events
received before it have been handed over. Nothing here logs a secret or an event's content.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from collections import deque
from collections.abc import AsyncIterator, Iterable

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable
from channels.telephony.asterisk.const import BANNER_PREFIX, DEFAULT_PORT, EVENT_MASK

log = logging.getLogger(__name__)

AmiMessage = dict[str, str]

# Events kept while nobody reads them (the database is down, say); beyond this the oldest go
# first, counted in `dropped`, rather than the process running out of memory.
MAX_BUFFERED_EVENTS = 100_000
_LINE_LIMIT = 1024 * 1024


def parse_block(lines: Iterable[str]) -> AmiMessage:
    """One AMI message from its lines: `Key: Value` pairs, the first of a repeated key kept."""
    message: AmiMessage = {}
    for line in lines:
        key, sep, value = line.partition(":")
        if sep and key.strip():
            message.setdefault(key.strip(), value.strip())
    return message


def parse_blocks(text: str) -> list[AmiMessage]:
    """Every message in a captured AMI text (blocks separated by empty lines)."""
    blocks: list[AmiMessage] = []
    lines: list[str] = []
    for line in [*text.splitlines(), ""]:
        if line.strip():
            lines.append(line)
        elif lines:
            blocks.append(parse_block(lines))
            lines = []
    return blocks


def format_action(fields: dict[str, str]) -> bytes:
    """An action block as sent on the wire; a value with a line break is refused."""
    out = []
    for key, value in fields.items():
        if "\r" in value or "\n" in value or "\r" in key or "\n" in key:
            raise ChannelError(f"ami: the {key} of an action may not contain line breaks")
        out.append(f"{key}: {value}\r\n")
    return ("".join(out) + "\r\n").encode("utf-8")


class AmiClient:
    """One AMI connection: `connect()` logs in, `read_batch()` hands over events, `close()`.

    A drop (EOF, reset, no answer to a Ping within `ping_seconds`) makes `read_batch` raise
    ChannelUnavailable once the events received before it are handed over. A client is
    used for one connection; reconnecting is a new client.
    """

    def __init__(
        self,
        name: str,
        host: str,
        username: str,
        secret: str,
        *,
        port: int = DEFAULT_PORT,
        events: str = EVENT_MASK,
        connect_timeout: float = 10.0,
        ping_seconds: float = 20.0,
    ) -> None:
        self.name = name
        self.host = host
        self.port = port
        self._username = username
        self._secret = secret
        self._events = events
        self._connect_timeout = connect_timeout
        self._ping_seconds = ping_seconds
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._buffer: deque[AmiMessage] = deque()
        self._wakeup = asyncio.Event()
        self._failure: ChannelError | None = None
        self._responses: dict[str, asyncio.Future[AmiMessage]] = {}
        self._action_ids = itertools.count(1)
        self.version: str | None = None  # from the banner: "Asterisk Call Manager/5.0.3"
        self.dropped = 0

    @property
    def _where(self) -> str:
        return f"asterisk {self.name} ({self.host}:{self.port})"

    async def connect(self) -> None:
        """Open the connection, read the banner and log in, all within `connect_timeout`.

        Raises ChannelAuthFailed (login refused), ChannelUnavailable (unreachable, dropped,
        timed out) or ChannelError (not an AMI server).
        """
        try:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for can swallow the poller's
            # cancellation when the login finishes at the same moment, and stop() then hangs.
            async with asyncio.timeout(self._connect_timeout):
                await self._open_and_login()
        except TimeoutError as err:
            await self.close()
            raise ChannelUnavailable(f"{self._where}: no login within the timeout") from err
        except ChannelError:
            await self.close()
            raise
        except OSError as err:
            await self.close()
            raise ChannelUnavailable(
                f"{self._where}: cannot connect ({type(err).__name__})"
            ) from err
        except asyncio.CancelledError:
            await self.close()  # the poller is stopping: leave no reader task behind
            raise
        self._tasks.append(asyncio.create_task(self._ping_loop(), name=f"ami-ping-{self.name}"))

    async def read_batch(self, limit: int = 100) -> list[AmiMessage]:
        """Wait for at least one event, then take whatever else is buffered, up to `limit`.

        Raises ChannelUnavailable (or the failure that ended the connection) once the
        events received before it have all been taken.
        """
        while not self._buffer:
            if self._failure is not None:
                raise self._failure
            if self._writer is None:
                raise ChannelUnavailable(f"{self._where}: not connected")
            self._wakeup.clear()
            await self._wakeup.wait()
        return [self._buffer.popleft() for _ in range(min(limit, len(self._buffer)))]

    async def events(self) -> AsyncIterator[AmiMessage]:
        """Every event, one by one, until the connection fails (then ChannelUnavailable)."""
        while True:
            for event in await self.read_batch():
                yield event

    async def action(self, fields: dict[str, str], wait: float) -> AmiMessage:
        """Send an action and wait up to `wait` seconds for its Response (by ActionID)."""
        action_id = f"leadintake-{next(self._action_ids)}"
        future: asyncio.Future[AmiMessage] = asyncio.get_running_loop().create_future()
        self._responses[action_id] = future
        try:
            await self._send({**fields, "ActionID": action_id})
            async with asyncio.timeout(wait):
                return await future
        finally:
            self._responses.pop(action_id, None)

    async def close(self) -> None:
        """Log off (best effort) and close the connection; safe to call more than once."""
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        # gather, not `await task` under suppress(CancelledError): that would also swallow
        # a cancellation of the caller (the poller stopping) and keep it running for good.
        await asyncio.gather(*tasks, return_exceptions=True)
        writer, self._writer = self._writer, None
        if writer is not None:
            with contextlib.suppress(OSError, RuntimeError):
                if not writer.is_closing():
                    writer.write(b"Action: Logoff\r\n\r\n")
                writer.close()
                async with asyncio.timeout(1.0):
                    await writer.wait_closed()
        if self._failure is None:
            self._failure = ChannelUnavailable(f"{self._where}: connection closed")
        self._wakeup.set()

    async def _open_and_login(self) -> None:
        self._reader, self._writer = await asyncio.open_connection(
            self.host, self.port, limit=_LINE_LIMIT
        )
        banner = (await self._reader.readline()).decode("utf-8", "replace").strip()
        if not banner:
            raise ChannelUnavailable(f"{self._where}: closed before the banner")
        if not banner.startswith(BANNER_PREFIX):
            raise ChannelError(f"{self._where}: not an Asterisk Manager Interface (banner)")
        self.version = banner
        self._tasks.append(asyncio.create_task(self._read_loop(), name=f"ami-read-{self.name}"))
        login = {
            "Action": "Login",
            "Username": self._username,
            "Secret": self._secret,
            "Events": self._events,
        }
        response = await self.action(login, self._connect_timeout)
        if response.get("Response", "").lower() != "success":
            # The Message is Asterisk's ("Authentication failed"): it quotes no secret.
            message = response.get("Message", "login refused")
            raise ChannelAuthFailed(
                f"{self._where}: login as {self._username!r} refused ({message})"
            )
        log.info("ami_logged_in pbx=%s version=%s", self.name, banner.removeprefix(BANNER_PREFIX))

    async def _send(self, fields: dict[str, str]) -> None:
        if self._writer is None or self._failure is not None:
            raise self._failure or ChannelUnavailable(f"{self._where}: not connected")
        try:
            self._writer.write(format_action(fields))
            await self._writer.drain()
        except (OSError, RuntimeError) as err:
            failure = ChannelUnavailable(f"{self._where}: send failed ({type(err).__name__})")
            self._fail(failure)
            raise failure from err

    async def _read_loop(self) -> None:
        """Read messages until EOF or an error; events to the buffer, responses to callers."""
        assert self._reader is not None
        lines: list[str] = []
        try:
            while True:
                raw = await self._reader.readline()
                if not raw:
                    self._fail(ChannelUnavailable(f"{self._where}: connection closed by the PBX"))
                    return
                line = raw.decode("utf-8", "replace").rstrip("\r\n")
                if line.strip():
                    lines.append(line)
                    continue
                if lines:
                    self._dispatch(parse_block(lines))
                    lines = []
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as e:
            self._fail(ChannelUnavailable(f"{self._where}: connection lost ({type(e).__name__})"))

    def _dispatch(self, message: AmiMessage) -> None:
        if "Event" in message:
            if len(self._buffer) >= MAX_BUFFERED_EVENTS:
                self._buffer.popleft()
                self.dropped += 1
                if self.dropped == 1 or self.dropped % 1000 == 0:
                    log.error("ami_buffer_full pbx=%s dropped=%d", self.name, self.dropped)
            self._buffer.append(message)
            self._wakeup.set()
            return
        future = self._responses.get(message.get("ActionID", ""))
        if future is not None and not future.done():
            future.set_result(message)

    async def _ping_loop(self) -> None:
        """Ping when the interval passes; no answer within it means the connection is dead.

        A PBX that vanished without closing the TCP connection (power cut, firewall state
        expired) sends no EOF: only an unanswered Ping shows it.
        """
        while True:
            await asyncio.sleep(self._ping_seconds)
            try:
                await self.action({"Action": "Ping"}, self._ping_seconds)
            except TimeoutError:
                self._fail(ChannelUnavailable(f"{self._where}: no answer to a keep-alive ping"))
                return
            except ChannelError:
                return  # _send recorded the failure

    def _fail(self, failure: ChannelError) -> None:
        """Record the first failure, stop reading and wake the reader of events."""
        if self._failure is None:
            self._failure = failure
            log.warning("ami_connection_lost pbx=%s reason=%s", self.name, failure)
        for future in self._responses.values():
            if not future.done():
                future.set_exception(failure)
        if self._writer is not None:
            self._writer.close()
        self._wakeup.set()
