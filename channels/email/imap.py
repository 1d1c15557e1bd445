"""A small synchronous IMAP client over imapclient: one folder, read by UID, IDLE or not.

Everything here blocks (imapclient is synchronous): the service calls it from a worker thread.
Messages are read with BODY.PEEK[], so reading never sets \\Seen; the caller marks them seen
once they are stored. Library and socket errors leave this module as our own: a refused login
as ChannelAuthFailed, a network failure, timeout, BYE or refused command as
ChannelUnavailable (worth retrying), a server that cannot be used as configured (no STARTTLS,
an untrusted certificate, no UIDVALIDITY) as ChannelError. Messages name the server and the
step, never the login, an address, a subject or a body; of the server's answer only its
response code (`[AUTHENTICATIONFAILED]`) is kept, as its free text may quote anything.
"""

from __future__ import annotations

import re
import socket
import ssl
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any

from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientError, LoginError

from channels.errors import ChannelAuthFailed, ChannelError, ChannelUnavailable

SECURITY_TLS = "tls"
SECURITY_STARTTLS = "starttls"
SECURITY_NONE = "none"
# Socket timeout of every command but IDLE (connect, login, search, fetch of a large message).
COMMAND_TIMEOUT_SECONDS = 30.0
# How long one IDLE waits before it is renewed; well below the 29 minutes RFC 2177 allows
# and short enough to notice a silently dead connection soon.
IDLE_SECONDS = 25.0
SEEN = b"\\Seen"
_BODY = b"BODY[]"
_HEADER = b"BODY[HEADER]"
_TEXT_START = b"BODY[TEXT]<0>"
# Larger messages are fetched as their headers and this much of their body.
MAX_MESSAGE_BYTES = 10 * 1024 * 1024
_RESPONSE_CODE = re.compile(r"\[([A-Z][A-Z0-9.-]*)")
# Untagged answers that mean "the folder has (new) messages".
_NEWS = (b"EXISTS", b"RECENT")


@dataclass(frozen=True, slots=True)
class FolderState:
    """The selected folder as the server described it."""

    uidvalidity: int
    # The UID the next message will get (None if the server did not say): every message in
    # the folder now has a smaller one.
    uidnext: int | None
    exists: int
    # The server advertises IDLE, so `wait` can block until new mail arrives.
    idle: bool


@dataclass(frozen=True, slots=True)
class FetchedMessage:
    """One message's UID and raw RFC 822 bytes (cut short when `size` exceeded the limit)."""

    uid: int
    raw: bytes
    size: int | None = None  # the whole message's size, when it was cut

    @property
    def truncated(self) -> bool:
        """True when only the headers and the start of the body were fetched."""
        return self.size is not None


class ImapFolder:
    """One IMAP folder of one mailbox, read by UID (connects on `open`, never at creation)."""

    def __init__(
        self,
        host: str,
        port: int,
        security: str,
        login: str,
        password: str,
        folder: str = "INBOX",
        *,
        timeout: float = COMMAND_TIMEOUT_SECONDS,
        ssl_context: ssl.SSLContext | None = None,
        max_message_bytes: int = MAX_MESSAGE_BYTES,
    ) -> None:
        if security not in (SECURITY_TLS, SECURITY_STARTTLS, SECURITY_NONE):
            raise ValueError(f"unknown IMAP security {security!r}")
        self.host = host
        self.port = port
        self.security = security
        self.folder = folder
        self._login = login
        self._password = password
        self._timeout = timeout
        self._ssl_context = ssl_context
        self._max_bytes = max_message_bytes
        self._client: Any = None
        self.state: FolderState | None = None

    @property
    def where(self) -> str:
        """The server, as errors and logs name it."""
        return f"{self.host}:{self.port}"

    def open(self, *, readonly: bool = False) -> FolderState:
        """Connect, secure, log in and select the folder (read-only: flags stay untouched)."""
        client = self._connect()
        with self._boundary("select"):
            selected = client.select_folder(self.folder, readonly=readonly)
            idle = bool(client.has_capability("IDLE"))
        # SELECT's own EXISTS/RECENT describe what the first search will find: not news.
        _take_news(client)
        if b"UIDVALIDITY" not in selected:
            self.close()
            raise ChannelError(f"imap {self.where}: the server sent no UIDVALIDITY for the folder")
        uidnext = selected.get(b"UIDNEXT")
        self.state = FolderState(
            uidvalidity=int(selected[b"UIDVALIDITY"]),
            uidnext=None if uidnext is None else int(uidnext),
            exists=int(selected.get(b"EXISTS", 0)),
            idle=idle,
        )
        return self.state

    def append(self, raw: bytes, flags: Sequence[bytes] = (SEEN,)) -> None:
        """Store a message in the folder (created when missing), as a mail program files a
        sent message; connects and logs in, selects nothing."""
        client = self._client if self._client is not None else self._connect()
        with self._boundary("append"):
            if not client.folder_exists(self.folder):
                client.create_folder(self.folder)
            client.append(self.folder, raw, flags=tuple(flags))

    def _connect(self) -> Any:
        self.close()
        with self._boundary("connect"):
            if self.security == SECURITY_TLS:
                context = self._ssl_context or ssl.create_default_context()
                client = IMAPClient(
                    self.host, self.port, ssl=True, ssl_context=context, timeout=self._timeout
                )
            else:
                client = IMAPClient(self.host, self.port, ssl=False, timeout=self._timeout)
            self._client = client
            if self.security == SECURITY_STARTTLS:
                client.starttls(self._ssl_context or ssl.create_default_context())
        with self._boundary("login"):
            client.login(self._login, self._password)
        return client

    def uids_after(self, uid: int) -> list[int]:
        """UIDs of the folder's messages above `uid`, ascending."""
        found = self._search(["UID", f"{uid + 1}:*"])
        # "n:*" always matches the highest UID, even when it is below n.
        return sorted(u for u in found if u > uid)

    def unseen_between(self, first: int, last: int) -> list[int]:
        """UIDs from `first` to `last` (inclusive) of messages without \\Seen, ascending."""
        if last < first:
            return []
        found = self._search(["UNSEEN", "UID", f"{first}:{last}"])
        return sorted(u for u in found if first <= u <= last)

    def highest_uid(self) -> int:
        """The highest UID in the folder (0 when it is empty)."""
        return max(self._search(["ALL"]), default=0)

    def fetch(self, uids: Sequence[int]) -> list[FetchedMessage]:
        """The raw messages of these UIDs in UID order, without setting \\Seen (BODY.PEEK[]).

        A UID whose message was expunged meanwhile is left out.
        """
        if not uids:
            return []
        client = self._connected()
        with self._boundary("fetch"):
            sizes = client.fetch(list(uids), [b"RFC822.SIZE"])
            large = {u for u, data in sizes.items() if _size(data) > self._max_bytes}
            whole = [u for u in uids if u in sizes and u not in large]
            answer = client.fetch(whole, [b"BODY.PEEK[]"]) if whole else {}
            # A 30 MB attachment is no reason to hold 30 MB per message: its headers and the
            # start of its body carry the request.
            cut = (
                client.fetch(
                    sorted(large), [b"BODY.PEEK[HEADER]", f"BODY.PEEK[TEXT]<0.{self._max_bytes}>"]
                )
                if large
                else {}
            )
        fetched = []
        for uid in sorted(answer):
            raw = answer[uid].get(_BODY)
            if isinstance(raw, bytes):
                fetched.append(FetchedMessage(uid, raw))
        for uid in sorted(cut):
            header, text = cut[uid].get(_HEADER), cut[uid].get(_TEXT_START)
            if isinstance(header, bytes):
                body = text if isinstance(text, bytes) else b""
                fetched.append(FetchedMessage(uid, header + body, _size(sizes[uid])))
        return sorted(fetched, key=lambda m: m.uid)

    def mark_seen(self, uids: Sequence[int]) -> None:
        """Set \\Seen on these messages."""
        if not uids:
            return
        with self._boundary("store"):
            self._connected().add_flags(list(uids), [SEEN], silent=True)

    def wait(self, timeout: float = IDLE_SECONDS) -> bool:
        """With IDLE, block until the server reports messages (True) or `timeout` (False).

        Without IDLE it returns False at once: the caller sleeps its poll interval instead.
        """
        if self.state is None or not self.state.idle:
            return False
        client = self._connected()
        with self._boundary("idle"):
            if _take_news(client):
                # Announced with an earlier command's answer (a message arriving during a
                # SEARCH or FETCH): IDLE would not announce it again.
                return True
            client.idle()
            # imapclient's idle_check waits on the socket only, so an answer already read
            # into imaplib's buffer (mail that arrived just before IDLE, announced in the
            # packet that carried "+ idling") would wait for the timeout: end IDLE at once
            # and let idle_done read it.
            responses = [] if self._input_waiting(client) else client.idle_check(timeout)
            if any(_is_bye(r) for r in responses):
                raise ChannelUnavailable(f"imap {self.where}: the server closed the session")
            _text, more = client.idle_done()
        return any(_is_news(r) for r in [*responses, *more])

    def interrupt(self) -> None:
        """Cut the connection under a call blocked in another thread (IDLE); it then fails.

        The only method safe to call while another thread uses the client: it touches the
        socket alone, and the OS wakes whoever waits on it.
        """
        client = self._client
        if client is None:
            return
        with suppress(Exception):
            client.socket().shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        """Log out and drop the connection (quietly: it may be gone already)."""
        client, self._client, self.state = self._client, None, None
        if client is None:
            return
        try:
            client.logout()
        except Exception:  # a dead connection cannot log out; closing the socket is enough
            with suppress(Exception):
                client.shutdown()

    def _search(self, criteria: list[str]) -> list[int]:
        client = self._connected()
        with self._boundary("search"):
            # A server shows a session only the messages it has announced to it, and it
            # announces new ones at a command's end: NOOP first, so the search sees them.
            client.noop()
            return [int(uid) for uid in client.search(criteria)]

    def _input_waiting(self, client: Any) -> bool:
        """True if the server has sent something not read yet (buffered or on the socket)."""
        peek = getattr(getattr(client, "_imap", None), "file", None)
        peek = getattr(peek, "peek", None)
        if peek is None:
            return False
        sock = client.socket()
        sock.setblocking(False)
        try:
            return bool(peek(1))
        except OSError:  # nothing to read (over TLS "would block" is an error)
            return False
        finally:
            sock.settimeout(self._timeout)

    def _connected(self) -> Any:
        if self._client is None:
            raise ChannelUnavailable(f"imap {self.where}: not connected")
        return self._client

    @contextmanager
    def _boundary(self, step: str) -> Iterator[None]:
        """Turn imapclient's and the socket's errors into the channel's own."""
        try:
            yield
        except ChannelError:
            raise
        except LoginError as err:
            raise ChannelAuthFailed(f"imap {self.where}: login refused{_code(err)}") from err
        except CapabilityError as err:
            raise ChannelError(
                f"imap {self.where}: {step}: the server lacks a needed capability"
            ) from err
        except ssl.SSLCertVerificationError as err:
            raise ChannelError(
                f"imap {self.where}: the server's certificate is not trusted"
            ) from err
        except (IMAPClientError, OSError, EOFError) as err:
            # Includes timeouts (OSError), BYE and dropped connections (abort) and commands
            # the server refused (a folder deleted meanwhile: it may come back).
            raise ChannelUnavailable(
                f"imap {self.where}: {step} failed: {type(err).__name__}{_code(err)}"
            ) from err


def _take_news(client: Any) -> bool:
    """Clear the EXISTS/RECENT answers imaplib has filed away; True if there were any.

    imaplib keeps untagged answers that came with other commands' responses, and imapclient
    offers no public way to read them, hence the private attribute.
    """
    untagged = getattr(getattr(client, "_imap", None), "untagged_responses", None)
    if not isinstance(untagged, dict):
        return False
    found = [untagged.pop(name, None) for name in ("EXISTS", "RECENT")]
    return any(found)


def _code(err: Exception) -> str:
    """The IMAP response code of an error (` [AUTHENTICATIONFAILED]`), or nothing."""
    match = _RESPONSE_CODE.search(str(err))
    return f" [{match.group(1)}]" if match else ""


def _is_news(response: tuple[Any, ...]) -> bool:
    return len(response) >= 2 and response[1] in _NEWS


def _is_bye(response: tuple[Any, ...]) -> bool:
    return bool(response) and response[0] == b"BYE"


def _size(data: dict[bytes, Any]) -> int:
    value = data.get(b"RFC822.SIZE")
    return value if isinstance(value, int) else 0
