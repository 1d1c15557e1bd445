"""A local AMI server for tests: the banner, Login, Ping, and events sent on demand.

It speaks the wire format exactly (CRLF lines, blocks ended by an empty line, ActionIDs
echoed). Tests push event blocks with `send`, cut the connection with `drop`, and make the
server stop answering (a PBX that vanished without closing TCP) with `silent = True`.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path

from channels.telephony.asterisk.ami import AmiMessage, parse_block, parse_blocks

FIXTURES = Path(__file__).parent / "fixtures"
BANNER = "Asterisk Call Manager/7.0.3"
USERNAME = "leadintake"
SECRET = "ami-s3cret-for-tests"


def fixture_events(name: str) -> list[AmiMessage]:
    """The event blocks of a captured AMI session (fixtures/<name>.txt)."""
    return parse_blocks((FIXTURES / f"{name}.txt").read_text("utf-8"))


def block(message: AmiMessage) -> bytes:
    """A message as Asterisk writes it."""
    return ("".join(f"{k}: {v}\r\n" for k, v in message.items()) + "\r\n").encode()


@dataclass
class AmiServer:
    """The server's state: who logged in, what was asked, the connection of the moment."""

    username: str = USERNAME
    secret: str = SECRET
    banner: str = BANNER
    silent: bool = False  # answer nothing (no Ping responses): a dead link that stays open
    close_after_login_error: bool = True
    port: int = 0
    logins: list[tuple[str, str]] = field(default_factory=list)  # (username, result)
    login_actions: list[AmiMessage] = field(default_factory=list)
    pings: int = 0
    logoffs: int = 0
    connections: int = 0
    _writers: list[asyncio.StreamWriter] = field(default_factory=list)
    _logged_in: asyncio.Event = field(default_factory=asyncio.Event)
    _changed: asyncio.Event = field(default_factory=asyncio.Event)  # a login or a close

    @property
    def connected(self) -> bool:
        """A client is logged in on an open connection."""
        return any(not w.is_closing() for w in self._writers) and self._logged_in.is_set()

    async def wait_login(self, count: int = 1, timeout: float = 5.0) -> None:
        """Until `count` successful logins happened in all (and the last one is open)."""
        async with asyncio.timeout(timeout):
            while sum(1 for _, r in self.logins if r == "Success") < count or not self.connected:
                self._changed.clear()
                await self._changed.wait()

    async def send(self, *events: AmiMessage) -> None:
        """Write events to the logged-in client."""
        writer = self._current()
        for event in events:
            writer.write(block(event))
        await writer.drain()

    async def drop(self, *, reset: bool = False) -> None:
        """Close the connection after what was sent (a PBX restart), or reset it at once."""
        writer = self._current()
        self._logged_in.clear()
        if reset:
            writer.transport.abort()
        else:
            writer.close()

    def _current(self) -> asyncio.StreamWriter:
        open_writers = [w for w in self._writers if not w.is_closing()]
        assert open_writers, "no client connected"
        return open_writers[-1]

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One client connection: banner, then action by action."""
        self.connections += 1
        self._writers.append(writer)
        writer.write(f"{self.banner}\r\n".encode())
        try:
            while True:
                lines: list[str] = []
                while True:
                    raw = await reader.readline()
                    if not raw:
                        return
                    line = raw.decode().rstrip("\r\n")
                    if not line:
                        break
                    lines.append(line)
                if lines and not await self._answer(parse_block(lines), writer):
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            writer.close()
            self._changed.set()

    async def _answer(self, action: AmiMessage, writer: asyncio.StreamWriter) -> bool:
        """Answer one action; False to close the connection."""
        if self.silent:
            return True
        action_id = action.get("ActionID", "")
        name = action.get("Action", "").lower()
        if name == "login":
            self.login_actions.append(action)
            ok = action.get("Username") == self.username and action.get("Secret") == self.secret
            result = "Success" if ok else "Error"
            self.logins.append((action.get("Username", ""), result))
            message = "Authentication accepted" if ok else "Authentication failed"
            writer.write(block({"Response": result, "ActionID": action_id, "Message": message}))
            if ok:
                writer.write(block({"Event": "FullyBooted", "Privilege": "system,all"}))
                self._logged_in.set()
            await writer.drain()
            self._changed.set()
            return ok or not self.close_after_login_error
        if name == "ping":
            self.pings += 1
            writer.write(
                block(
                    {
                        "Response": "Success",
                        "ActionID": action_id,
                        "Ping": "Pong",
                        "Timestamp": "1732540812.000000",
                    }
                )
            )
        elif name == "logoff":
            self.logoffs += 1
            writer.write(block({"Response": "Goodbye", "ActionID": action_id}))
            await writer.drain()
            return False
        else:
            writer.write(
                block({"Response": "Error", "ActionID": action_id, "Message": "Invalid/unknown"})
            )
        await writer.drain()
        return True


@asynccontextmanager
async def ami_server(server: AmiServer | None = None) -> AsyncIterator[AmiServer]:
    """Serve AMI on a free loopback port for the block."""
    state = server or AmiServer()
    tcp = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    state.port = tcp.sockets[0].getsockname()[1]
    try:
        yield state
    finally:
        tcp.close()
        for writer in state._writers:
            writer.transport.abort()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tcp.wait_closed(), 1.0)
