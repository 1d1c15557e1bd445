"""A throwaway Dovecot IMAP server for tests, from the checked template in ../shared/testing.

`dovecot` is one server per test module; `dovecot_factory` starts more (a server to stop in
the middle of a test, or a fresh one on the same mail store). Any user name logs in with
PASSWORD; each test takes its own user (`new_user`), so tests sharing a server see separate
mailboxes. Mail arrives the way a real MTA leaves it: APPEND of raw bytes.

Without the dovecot binary the tests are skipped, except under CI=true, where that fails.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from imapclient import IMAPClient

# The `shared` folder sits beside the checkout: <root>/main/tests/dovecot.py → <root>/shared.
TEMPLATE = Path(__file__).resolve().parents[1].parent / "shared/testing/dovecot.conf.template"
PASSWORD = "testpass"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0
IN_CI = os.environ.get("CI") == "true"


def dovecot_binary() -> str | None:
    """The dovecot executable (root's PATH has /usr/sbin, a user's may not)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def _unavailable(reason: str) -> None:
    if IN_CI:
        pytest.fail(f"{reason} (required when CI=true)")
    pytest.skip(reason)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Dovecot:
    """One Dovecot instance: its root (config, sockets, mail) and port; start/stop by pid."""

    binary: str
    root: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    host: str = "127.0.0.1"

    @property
    def log(self) -> Path:
        """Dovecot's own log (it goes to stderr, kept in this file)."""
        return self.root / "dovecot.log"

    def start(self) -> None:
        """Write the config and start the server; returns once the port accepts connections."""
        config = self.root / "dovecot.conf"
        text = TEMPLATE.read_text("utf-8").replace("@ROOT@", str(self.root))
        config.write_text(text.replace("@PORT@", str(self.port)), "utf-8")
        for name in ("run", "mail", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        for name in ("mail", "home"):
            _chown_tree(self.root / name, "dovecot")
        with self.log.open("ab") as log:
            # Its own process group, so that `stop` reaches the master's children (imap
            # sessions, log, stats) too: they would outlive the master.
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(config)],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        self._wait_for_port()

    def stop(self) -> None:
        """Kill the server and its sessions: every client connection drops, as in a crash.

        SIGKILL to the whole group: on SIGTERM the master waits about a second for its
        sessions, and those outlive it anyway. Maildir survives a kill by design.
        """
        process, self.process = self.process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            # The group started with the master (start_new_session): its pid is the group id.
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(STOP_TIMEOUT)
        self._wait_for_port_closed()

    def restart(self) -> None:
        """Stop and start again on the same root and port: the mail store is kept."""
        self.stop()
        self.start()

    def client(self, user: str) -> IMAPClient:
        """A logged-in imapclient connection (the caller logs out)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=10)
        client.login(user, PASSWORD)
        return client

    def deliver(
        self,
        user: str,
        messages: Sequence[bytes],
        *,
        folder: str = "INBOX",
        flags: Sequence[bytes] = (),
    ) -> list[int]:
        """APPEND raw messages to the user's folder; returns their UIDs."""
        client = self.client(user)
        try:
            uids = []
            for raw in messages:
                answer = client.append(folder, raw, flags=tuple(flags))
                # "[APPENDUID <uidvalidity> <uid>] Append completed." (UIDPLUS)
                uids.append(int(answer.split(b"]")[0].split()[-1]))
            return uids
        finally:
            client.logout()

    def flags(self, user: str, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """Every message's flags by UID (read-only: reading changes nothing)."""
        client = self.client(user)
        try:
            client.select_folder(folder, readonly=True)
            answer = client.get_flags(client.search(["ALL"]))
            return {uid: tuple(flags) for uid, flags in answer.items()}
        finally:
            client.logout()

    def seen(self, user: str, folder: str = "INBOX") -> set[int]:
        """UIDs of the messages carrying \\Seen."""
        return {uid for uid, flags in self.flags(user, folder).items() if b"\\Seen" in flags}

    def _wait_for_port(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log.read_text('utf-8')}")
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError(f"dovecot did not listen within {START_TIMEOUT}s") from None
                time.sleep(0.01)

    def _wait_for_port_closed(self) -> None:
        deadline = time.monotonic() + STOP_TIMEOUT
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=0.5):
                    pass
            except OSError:
                return
            time.sleep(0.01)
        raise RuntimeError(f"dovecot still listens on {self.port} after stopping")


def _chown_tree(path: Path, owner: str) -> None:
    shutil.chown(path, owner, owner)
    for child in path.rglob("*"):
        shutil.chown(child, owner, owner)


def new_user() -> str:
    """A user name no other test uses: its mailbox starts empty."""
    return f"u{uuid.uuid4().hex[:12]}"


DovecotFactory = Callable[[], Dovecot]


@pytest.fixture(scope="module")
def dovecot_factory() -> Iterator[DovecotFactory]:
    """Starts Dovecot instances on demand; all are stopped when the module's tests end."""
    binary = dovecot_binary()
    if binary is None:
        _unavailable("dovecot is not installed (Debian: apt-get install dovecot-imapd)")
    if not TEMPLATE.is_file():
        _unavailable(f"dovecot config template not found at {TEMPLATE}")
    if os.geteuid() != 0:
        _unavailable("the dovecot test template runs as root only")
    assert binary is not None
    started: list[Dovecot] = []

    def start() -> Dovecot:
        # Not pytest's tmp_path: its parent is root-only (0700), and Dovecot's mail processes
        # run as the dovecot user, which must reach the mail store.
        root = Path(tempfile.mkdtemp(prefix="leadintake-dovecot-"))
        root.chmod(0o755)
        server = Dovecot(binary, root)
        started.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in started:
            server.stop()
            shutil.rmtree(server.root, ignore_errors=True)


@pytest.fixture(scope="module")
def dovecot(dovecot_factory: DovecotFactory) -> Dovecot:
    """A running Dovecot shared by the module's tests (each test uses its own user)."""
    return dovecot_factory()
