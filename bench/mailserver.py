"""A throwaway Dovecot IMAP server for benches, from the same template as tests/dovecot.py.

tests/dovecot.py is a pytest fixture module (it imports pytest and is not on a bench
script's import path), so this is its small equivalent: the config written from
../shared/testing/dovecot.conf.template, the server in its own process group, killed with
the group. Any user name logs in with PASSWORD; mail arrives as an MTA leaves it: APPEND.
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
from pathlib import Path
from types import TracebackType

from imapclient import IMAPClient

ROOT = Path(__file__).resolve().parents[1]
# The `shared` folder sits beside the checkout: <root>/main/bench → <root>/shared.
TEMPLATE = ROOT.parent / "shared" / "testing" / "dovecot.conf.template"
PASSWORD = "testpass"  # noqa: S105 - the template's static test password
HOST = "127.0.0.1"
START_TIMEOUT = 10.0
STOP_TIMEOUT = 10.0


def dovecot_binary() -> str | None:
    """The dovecot executable (root's PATH has /usr/sbin, a user's may not)."""
    return shutil.which("dovecot") or shutil.which("dovecot", path="/usr/sbin:/usr/local/sbin")


def unavailable(binary: str | None) -> str | None:
    """Why a Dovecot cannot be started here, or None when it can."""
    if binary is None or shutil.which(binary) is None:
        return f"dovecot is not installed ({binary or 'not on PATH nor in /usr/sbin'})"
    if not TEMPLATE.is_file():
        return f"dovecot config template not found at {TEMPLATE}"
    if os.geteuid() != 0:
        return "the dovecot template runs as root only"
    return None


def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


class Dovecot:
    """One Dovecot instance in a fresh directory (config, sockets, maildirs), on a free port."""

    def __init__(self, binary: str) -> None:
        """A fresh 0755 directory and a free port; nothing runs until `with`."""
        self.binary = binary
        self.port = _free_port()
        # Not under a 0700 temporary directory: the mail processes run as `dovecot`.
        self.root = Path(tempfile.mkdtemp(prefix="leadintake-bench-dovecot-"))
        self.root.chmod(0o755)
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def log(self) -> Path:
        """Dovecot's own log (it writes to stderr, kept in this file)."""
        return self.root / "dovecot.log"

    def __enter__(self) -> Dovecot:
        """Start the server; returns once its port accepts connections."""
        config = self.root / "dovecot.conf"
        text = TEMPLATE.read_text("utf-8").replace("@ROOT@", str(self.root))
        config.write_text(text.replace("@PORT@", str(self.port)), "utf-8")
        for name in ("run", "mail", "home"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        for name in ("mail", "home"):
            shutil.chown(self.root / name, "dovecot", "dovecot")
        with self.log.open("ab") as log:
            # Its own process group, so that stopping reaches the imap sessions too.
            self.process = subprocess.Popen(
                [self.binary, "-F", "-c", str(config)],
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            self._wait_for_port()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Kill the server's process group and remove its directory."""
        process, self.process = self.process, None
        if process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(STOP_TIMEOUT)
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self, user: str) -> IMAPClient:
        """A logged-in plain-IMAP connection (the caller logs out)."""
        client = IMAPClient(HOST, self.port, ssl=False, timeout=30)
        client.login(user, PASSWORD)
        return client

    def _wait_for_port(self) -> None:
        """Return once the port accepts connections; raise if dovecot exits or is too slow."""
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot exited at start: {self.log.read_text('utf-8')}")
            try:
                with socket.create_connection((HOST, self.port), timeout=0.5):
                    return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"dovecot did not listen within {START_TIMEOUT}s") from None
                time.sleep(0.01)
