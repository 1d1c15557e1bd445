"""Messages/s per channel, from the sender's exact wire format to persisted leads.

For each channel (website form JSON, Telegram webhook `message` updates, VK Callback API
`message_new` and `lead_forms_new`) a fresh `leadintake serve` (demo config, SQLite with
synchronous=FULL) gets a short warm-up, then N messages from N distinct people over C
keep-alive connections, plus 10% re-deliveries of already sent messages (same update_id /
event_id / tranid). Each channel runs on its own empty database so that no channel pays for
the leads of the channels measured before it; the website form is the baseline.

E-mail (IMAP): a throwaway Dovecot (bench/mailserver.py, the template the tests use) and one
`[[email.mailboxes]]` (plain IMAP, IDLE) pointing at it. N messages from N distinct senders in
the shapes real mail comes in (plain, multipart/alternative, HTML-only, Windows-1251), each
under its own Message-ID, plus 10% auto-replies and bounces that must make no lead, arrive by
IMAP APPEND over a few connections; the clock runs from the first APPEND to the last lead.
Without dovecot the e-mail row is skipped with the reason.

The lead count is read from the service's SQLite file through a separate read-only connection
(one short autocommit SELECT every 10 ms: WAL readers do not block the writer), not over the
leads API, so the measurement adds no HTTP requests or token lookups to the service.

    .venv/bin/python bench/channels.py [--messages 3000] [--connections 32]
        [--email-messages 2000] [--email-connections 4] [--channels webform,...,email]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import os
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Sequence
from contextlib import closing
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path

from imapclient.exceptions import IMAPClientError
from mailserver import PASSWORD, Dovecot, dovecot_binary, unavailable

ROOT = Path(__file__).resolve().parents[1]
HOST = "127.0.0.1"
BOT_NAME = "bench"
GROUP_ID = 777
CONFIRMATION = "ok123"
FORM_KEY = "site"
CHANNELS_TOML = f"""
[[telegram.bots]]
name = "{BOT_NAME}"

[[vk.groups]]
group_id = {GROUP_ID}
confirmation = "{CONFIRMATION}"
"""
DUPLICATE_SHARE = 0.10
WARMUP_MESSAGES = 100
POLL_SECONDS = 0.01
# A fixed seed: every run sends the same people in the same order.
SEED = 20260314

# Names repeat across people, as they do in life (a name alone never links two people).
MALE_FIRST = ("Иван", "Алексей", "Сергей", "Дмитрий", "Андрей", "Михаил", "Олег", "Павел")
FEMALE_FIRST = ("Анна", "Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Ирина", "Юлия")
SURNAME_STEMS = (
    "Петров",
    "Смирнов",
    "Кузнецов",
    "Попов",
    "Соколов",
    "Лебедев",
    "Козлов",
    "Новиков",
    "Морозов",
    "Волков",
    "Соловьёв",
    "Васильев",
    "Зайцев",
    "Павлов",
    "Семёнов",
    "Голубев",
)
TEXTS = (
    "Здравствуйте! Сколько стоит установка трёх пластиковых окон?",
    "Добрый день, нужен замер на следующей неделе.",
    "Пришлите, пожалуйста, прайс на остекление балкона.",
    "Можно ли заказать доставку в область?",
    "Перезвоните мне после 18:00, пожалуйста.",
    "Интересует монтаж под ключ, какие сроки?",
)


@dataclass(frozen=True, slots=True)
class Person:
    """A generated sender: distinct phone, e-mail, Telegram id and VK id per index."""

    n: int
    first_name: str
    last_name: str
    phone: str
    email: str
    telegram_id: int
    vk_id: int
    text: str


def person(n: int) -> Person:
    """The n-th generated person (the same in every channel; each channel has its own DB)."""
    female = n % 2 == 1
    firsts = FEMALE_FIRST if female else MALE_FIRST
    stem = SURNAME_STEMS[(n // 2 // len(firsts)) % len(SURNAME_STEMS)]
    digits = str(9_160_000_000 + n)
    return Person(
        n=n,
        first_name=firsts[(n // 2) % len(firsts)],
        last_name=stem + "а" if female else stem,
        phone=f"+7 ({digits[:3]}) {digits[3:6]}-{digits[6:8]}-{digits[8:]}",
        email=f"client{n}@example.ru",
        telegram_id=5_000_000_000 + n,
        vk_id=600_000_000 + n,
        text=TEXTS[n % len(TEXTS)],
    )


def _json(data: object) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def _event_id(kind: str, n: int) -> str:
    # VK event ids are 40 hex digits; a hash of (kind, n) keeps them unique and realistic.
    return hashlib.sha1(f"{kind}:{n}".encode(), usedforsecurity=False).hexdigest()


@dataclass(frozen=True, slots=True)
class Message:
    """One message as its sender puts it on the wire, and the inbox key it must land under."""

    path: str
    headers: dict[str, str]
    body: bytes
    external_id: str


def webform_message(p: Person, secrets_: Secrets) -> Message:
    """A JSON website form post with a Tilda-style tranid."""
    tranid = f"{4_100_000 + p.n}:{p.n:010d}"
    body = _json(
        {
            "name": f"{p.first_name} {p.last_name}",
            "phone": p.phone,
            "email": p.email,
            "comment": p.text,
            "utm_source": "yandex",
            "utm_campaign": "spring",
            "consent": "on",
            "tranid": tranid,
        }
    )
    return Message(f"/api/v1/forms/{FORM_KEY}", {}, body, f"{FORM_KEY}:{tranid}")


def telegram_message(p: Person, secrets_: Secrets) -> Message:
    """A webhook Update with a private text message, as the Bot API posts it."""
    update_id = 815_000_000 + p.n
    user = {"first_name": p.first_name, "last_name": p.last_name, "username": f"user{p.n}"}
    body = _json(
        {
            "update_id": update_id,
            "message": {
                "message_id": 17 + p.n,
                "from": {"id": p.telegram_id, "is_bot": False, **user, "language_code": "ru"},
                "chat": {"id": p.telegram_id, **user, "type": "private"},
                "date": 1_773_480_597 + p.n,
                "text": p.text,
            },
        }
    )
    headers = {"X-Telegram-Bot-Api-Secret-Token": secrets_.telegram_webhook}
    return Message(f"/hooks/telegram/{BOT_NAME}", headers, body, f"{BOT_NAME}:{update_id}")


CLIENT_INFO = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}


def vk_message_new(p: Person, secrets_: Secrets) -> Message:
    """A Callback API message_new (API 5.199: {message, client_info}), secret in the body."""
    event_id = _event_id("message_new", p.n)
    body = _json(
        {
            "group_id": GROUP_ID,
            "type": "message_new",
            "event_id": event_id,
            "v": "5.199",
            "object": {
                "message": {
                    "date": 1_710_408_600 + p.n,
                    "from_id": p.vk_id,
                    "id": 1523 + p.n,
                    "out": 0,
                    "version": 10_012_345 + p.n,
                    "attachments": [],
                    "conversation_message_id": 1,
                    "fwd_messages": [],
                    "important": False,
                    "is_hidden": False,
                    "peer_id": p.vk_id,
                    "random_id": 0,
                    "text": p.text,
                },
                "client_info": CLIENT_INFO,
            },
            "secret": secrets_.vk,
        }
    )
    return Message(f"/hooks/vk/{GROUP_ID}", {}, body, f"{GROUP_ID}:{event_id}")


def vk_lead_form(p: Person, secrets_: Secrets) -> Message:
    """A Callback API lead_forms_new (VK lead ads) with the standard and a custom answer."""
    event_id = _event_id("lead_forms_new", p.n)
    answers = [
        {"key": "first_name", "question": "Имя", "answer": p.first_name},
        {"key": "last_name", "question": "Фамилия", "answer": p.last_name},
        {"key": "phone_number", "question": "Номер телефона", "answer": p.phone},
        {"key": "email", "question": "Электронная почта", "answer": p.email},
        {"key": "window_count", "question": "Сколько окон нужно?", "answer": str(1 + p.n % 5)},
    ]
    body = _json(
        {
            "group_id": GROUP_ID,
            "type": "lead_forms_new",
            "event_id": event_id,
            "v": "5.199",
            "object": {
                "lead_id": 1 + p.n,
                "group_id": GROUP_ID,
                "user_id": p.vk_id,
                "form_id": 3,
                "form_name": "Замер окон — весна",
                "ad_id": 102_938_475,
                "answers": answers,
            },
            "secret": secrets_.vk,
        }
    )
    return Message(f"/hooks/vk/{GROUP_ID}", {}, body, f"{GROUP_ID}:{event_id}")


@dataclass(frozen=True, slots=True)
class Secrets:
    """Per-run webhook secrets, passed to the service through the environment only."""

    telegram_token: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    telegram_webhook: str = field(default_factory=lambda: secrets.token_urlsafe(24), repr=False)
    vk: str = field(default_factory=lambda: secrets.token_urlsafe(16), repr=False)

    def environ(self) -> dict[str, str]:
        """The variables the config names by default for bot `bench` and group 777."""
        return {
            f"LEADINTAKE_TELEGRAM_{BOT_NAME.upper()}_TOKEN": self.telegram_token,
            f"LEADINTAKE_TELEGRAM_{BOT_NAME.upper()}_SECRET": self.telegram_webhook,
            f"LEADINTAKE_VK_{GROUP_ID}_SECRET": self.vk,
        }


@dataclass(frozen=True, slots=True)
class Channel:
    """A sender: how it builds a message, how it re-delivers, what answer it accepts."""

    key: str
    label: str
    build: Callable[[Person, Secrets], Message]
    retry_headers: dict[str, str] = field(default_factory=dict)
    # The exact body the sender needs to stop re-sending (VK: `ok`); None: any 2xx.
    ack_body: bytes | None = None


CHANNELS = (
    Channel("webform", "webform JSON (baseline)", webform_message),
    Channel("telegram", "telegram message update", telegram_message),
    Channel("vk_message", "vk message_new", vk_message_new, {"X-Retry-Counter": "1"}, b"ok"),
    Channel("vk_lead_form", "vk lead_forms_new", vk_lead_form, {"X-Retry-Counter": "1"}, b"ok"),
)
EMAIL_KEY = "email"
EMAIL_LABEL = "email IMAP (Dovecot)"


def http_request(message: Message, port: int, extra: dict[str, str]) -> bytes:
    """The HTTP/1.1 keep-alive request bytes of a message."""
    headers = {
        "Host": f"{HOST}:{port}",
        "Content-Type": "application/json",
        "Content-Length": str(len(message.body)),
        **message.headers,
        **extra,
    }
    head = f"POST {message.path} HTTP/1.1\r\n" + "".join(
        f"{k}: {v}\r\n" for k, v in headers.items()
    )
    return (head + "\r\n").encode() + message.body


def delivery_order(count: int, share: float, spread: int, rng: random.Random) -> list[int]:
    """Indices 0..count-1 in order, plus re-deliveries of `share` of them (negative: -1-i).

    A re-delivery follows its original by 0..spread positions: some arrive while the
    original is still in flight, most after it was acknowledged.
    """
    later: dict[int, list[int]] = {}
    for original in rng.sample(range(count), int(count * share)):
        at = min(count - 1, original + rng.randint(0, spread))
        later.setdefault(at, []).append(original)
    order: list[int] = []
    for i in range(count):
        order.append(i)
        order.extend(-1 - d for d in later.get(i, ()))
    return order


@dataclass
class Delivery:
    """What the sender saw: ack latencies (s), refusals by status, connection errors."""

    latencies: list[float] = field(default_factory=list)
    refused: Counter[int] = field(default_factory=Counter)
    errors: int = 0
    started: float = 0.0
    finished: float = 0.0


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes]:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.lower() == b"content-length":
            length = int(value)
        elif name.lower() == b"transfer-encoding":
            raise OSError("chunked answers are not handled by this load generator")
    return status, await reader.readexactly(length)


async def deliver(
    port: int, requests: list[bytes], connections: int, ack_body: bytes | None
) -> Delivery:
    """Send the requests in order over keep-alive connections, each taking the next one."""
    result = Delivery()
    pending = iter(requests)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(HOST, port)
        try:
            for request in pending:
                sent = time.perf_counter()
                status, body = await _exchange(reader, writer, request)
                if 200 <= status < 300 and (ack_body is None or body == ack_body):
                    result.latencies.append(time.perf_counter() - sent)
                else:
                    result.refused[status] += 1
        except (OSError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()

    result.started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    result.finished = time.perf_counter()
    return result


class LeadWatch(threading.Thread):
    """Polls the lead count through a read-only connection until it reaches a target."""

    def __init__(self, db: Path, target: int) -> None:
        super().__init__(daemon=True)
        self.db = db
        self.target = target
        self.reached: float | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        """Record the perf_counter time at which `target` leads exist."""
        with closing(connect_ro(self.db)) as conn:
            while not self.stop.is_set():
                if conn.execute("SELECT COUNT(*) FROM leads").fetchone()[0] >= self.target:
                    self.reached = time.perf_counter()
                    return
                time.sleep(POLL_SECONDS)


def connect_ro(db: Path) -> sqlite3.Connection:
    """A read-only autocommit connection: each SELECT is its own short read transaction."""
    return sqlite3.connect(f"file:{db}?mode=ro", uri=True, isolation_level=None)


def scalar(db: Path, sql: str) -> int:
    """One integer from the service's database."""
    with closing(connect_ro(db)) as conn:
        value: int = conn.execute(sql).fetchone()[0]
        return value


def wait_drained(db: Path, timeout: float) -> bool:
    """Whether the inbox has no pending rows within the timeout."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if scalar(db, "SELECT COUNT(*) FROM inbox WHERE status = 'pending'") == 0:
            return True
        time.sleep(0.05)
    return False


def lead_keys(db: Path) -> list[str]:
    """The inbox key (channel's external id) of every lead, repeats kept."""
    with closing(connect_ro(db)) as conn:
        rows = conn.execute(
            "SELECT i.external_id FROM leads l JOIN inbox i ON i.id = l.inbox_id"
        ).fetchall()
    return [r[0] for r in rows]


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def wait_ready(port: int, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    """Poll /readyz until it answers 200 (or the service exits)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"leadintake serve exited with {proc.returncode}")
        try:
            url = f"http://{HOST}:{port}/readyz"
            with urllib.request.urlopen(url, timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("leadintake serve did not become ready")


def start_service(
    config: Path, db: Path, port: int, secrets_: Secrets, extra: dict[str, str] | None = None
) -> subprocess.Popen[bytes]:
    """`leadintake serve` on a fresh SQLite file; secrets only through the environment."""
    # Drop inherited LEADINTAKE_* (a real bot token or SMTP host would send notifications).
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADINTAKE_")}
    env |= {
        "LEADINTAKE_CONFIG": str(config),
        "LEADINTAKE_DATABASE_URL": f"sqlite:///{db}",
        "LEADINTAKE_HTTP_PORT": str(port),
        "LEADINTAKE_LOG_LEVEL": "WARNING",
        # Every message comes from loopback: the form rate limit would answer 429.
        "LEADINTAKE_FORM_RATE_PER_MINUTE": "0",
        **secrets_.environ(),
        **(extra or {}),
    }
    return subprocess.Popen([sys.executable, "-m", "intake", "serve"], cwd=ROOT, env=env)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds a process has used so far (Linux /proc; None elsewhere)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    # Fields 14 and 15 of proc(5): utime and stime, in clock ticks.
    return (int(stat[11]) + int(stat[12])) / os.sysconf("SC_CLK_TCK")


def stop_service(proc: subprocess.Popen[bytes]) -> None:
    """Terminate the service and wait for it."""
    proc.terminate()
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@dataclass(frozen=True, slots=True)
class ChannelResult:
    """One channel's figures."""

    label: str
    messages: int
    requests: int
    delivery: Delivery
    persisted_seconds: float | None
    lost: int
    duplicated: int
    failed_rows: int
    # Service process CPU over `cpu_window` seconds: from the first send until both the last
    # answer and the last lead were seen.
    service_cpu: float | None
    cpu_window: float
    # Channel-specific integrity failures, and facts worth a line (e-mail: the not-leads).
    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    @property
    def passed(self) -> bool:
        """No loss, no duplicate, nothing refused, failed or otherwise wrong."""
        d = self.delivery
        return not (
            self.lost
            or self.duplicated
            or self.failed_rows
            or d.refused
            or d.errors
            or self.problems
            or self.persisted_seconds is None
        )

    @property
    def cpu_per_message(self) -> float:
        """Service CPU milliseconds per distinct message."""
        return (
            float("nan") if self.service_cpu is None else self.service_cpu / self.messages * 1000
        )

    @property
    def cpu_busy(self) -> float:
        """Service CPU seconds per wall second (1.0 = one core saturated), in percent."""
        if self.service_cpu is None:
            return float("nan")
        return self.service_cpu / self.cpu_window * 100

    @property
    def ack_rate(self) -> float:
        """Acknowledged requests (re-deliveries included) per second of sending."""
        return len(self.delivery.latencies) / (self.delivery.finished - self.delivery.started)

    @property
    def lead_rate(self) -> float:
        """Distinct messages per second from the first send until the last lead existed."""
        if self.persisted_seconds is None:
            return float("nan")
        return self.messages / self.persisted_seconds


@dataclass(frozen=True, slots=True)
class Skipped:
    """A channel that could not be measured here, and why."""

    label: str
    reason: str


def run_channel(
    channel: Channel, workdir: Path, config: Path, args: argparse.Namespace
) -> ChannelResult:
    """A fresh service, a warm-up, then the measured messages with re-deliveries."""
    secrets_ = Secrets()
    port = free_port()
    db = workdir / f"{channel.build.__name__}.sqlite3"
    proc = start_service(config, db, port, secrets_)
    try:
        wait_ready(port, proc)
        # Warm-up people come after the measured ones: no index is shared.
        warm = [channel.build(person(args.messages + i), secrets_) for i in range(WARMUP_MESSAGES)]
        warm_requests = [http_request(m, port, {}) for m in warm]
        asyncio.run(deliver(port, warm_requests, args.connections, channel.ack_body))
        if not wait_drained(db, 30):
            raise RuntimeError("warm-up messages were not processed within 30 s")
        base = scalar(db, "SELECT COUNT(*) FROM leads")

        messages = [channel.build(person(i), secrets_) for i in range(args.messages)]
        originals = [http_request(m, port, {}) for m in messages]
        retries = [http_request(m, port, channel.retry_headers) for m in messages]
        order = delivery_order(
            args.messages, DUPLICATE_SHARE, 4 * args.connections, random.Random(SEED)
        )
        requests = [originals[i] if i >= 0 else retries[-1 - i] for i in order]

        watch = LeadWatch(db, base + args.messages)
        watch.start()
        cpu_before = cpu_seconds(proc.pid)
        delivery = asyncio.run(deliver(port, requests, args.connections, channel.ack_body))
        watch.join(timeout=args.timeout)
        cpu_after = cpu_seconds(proc.pid)
        cpu_window = time.perf_counter() - delivery.started
        watch.stop.set()
        watch.join()
        wait_drained(db, 10)
        keys = lead_keys(db)
        failed = scalar(db, "SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
    finally:
        stop_service(proc)

    expected = {m.external_id for m in messages}
    measured = [k for k in keys if k in expected]
    found = len(set(measured))
    return ChannelResult(
        label=channel.label,
        messages=args.messages,
        requests=len(requests),
        delivery=delivery,
        persisted_seconds=None if watch.reached is None else watch.reached - delivery.started,
        lost=args.messages - found,
        # Any lead beyond one per distinct message: a message let in twice, or a stray lead.
        duplicated=len(keys) - base - found,
        failed_rows=failed,
        service_cpu=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
        cpu_window=cpu_window,
    )


# ---------------------------------------------------------------------------- e-mail (IMAP)

EMAIL_MAILBOX = "bench"
# Any user name logs in to the throwaway Dovecot; this one is the mailbox's login.
EMAIL_USER = "sales"
# Auto-replies and bounces among the lead-making messages: they must make no lead.
NOT_A_LEAD_SHARE = 0.10
MSK = timezone(timedelta(hours=3))
MAIL_EPOCH = datetime(2026, 11, 24, 9, 0, tzinfo=MSK)
SUBJECTS = ("Запрос стоимости", "Замер окон", "Остекление балкона", "Консультация")


def email_toml(port: int) -> str:
    """One mailbox on the throwaway Dovecot: plain IMAP, IDLE; password from the environment."""
    return f"""
[[email.mailboxes]]
name = "{EMAIL_MAILBOX}"
host = "{HOST}"
port = {port}
security = "none"
login = "{EMAIL_USER}"
idle = true
"""


def email_environ() -> dict[str, str]:
    """The variable the config names by default for mailbox `bench` (any user: testpass)."""
    return {f"LEADINTAKE_EMAIL_{EMAIL_MAILBOX.upper()}_PASSWORD": PASSWORD}


@dataclass(frozen=True, slots=True)
class Mail:
    """A raw message, its inbox key (Message-ID without brackets), whether it makes a lead."""

    raw: bytes
    external_id: str
    makes_lead: bool


def _word(text: str, charset: str = "utf-8") -> str:
    """An RFC 2047 B-encoded word, as mail clients write non-ASCII names and subjects."""
    return f"=?{charset}?B?{base64.b64encode(text.encode(charset)).decode('ascii')}?="


def _crlf(text: str) -> str:
    """Line ends as on the wire (CRLF)."""
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _head(p: Person, message_id: str, from_: str, subject: str, extra: str = "") -> str:
    """The common headers (no trailing blank line) of a message from person p."""
    date = format_datetime(MAIL_EPOCH + timedelta(seconds=37 * p.n))
    return (
        f"From: {from_}\nTo: sales@company.example\nSubject: {subject}\nDate: {date}\n"
        f"Message-ID: <{message_id}>\n{extra}"
    )


def mail_plain(p: Person, message_id: str) -> bytes:
    """A short plain-text request in UTF-8 8-bit, the name and subject as encoded words."""
    name = _word(f"{p.first_name} {p.last_name}")
    head = _head(
        p,
        message_id,
        f"{name} <{p.email}>",
        _word(SUBJECTS[p.n % len(SUBJECTS)]),
        "MIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n"
        "Content-Transfer-Encoding: 8bit\n",
    )
    return _crlf(f"{head}\n{p.text}\nТелефон {p.phone}.\n\n--\n{p.first_name}\n").encode()


def mail_alternative(p: Person, message_id: str) -> bytes:
    """multipart/alternative: text/plain and base64 text/html of the same request (Mail.Ru)."""
    html = base64.encodebytes(
        f"<html><body><p>Добрый день!</p><p>{p.text}</p>"
        f"<p>{p.first_name}, {p.phone}</p></body></html>".encode()
    ).decode("ascii")
    head = _head(
        p,
        message_id,
        f"{_word(f'{p.first_name} {p.last_name}')} <{p.email}>",
        _word(SUBJECTS[p.n % len(SUBJECTS)]),
        "MIME-Version: 1.0\nX-Mailer: Mail.Ru Mailer 1.0\n"
        'Content-Type: multipart/alternative; boundary="----ALT"\n',
    )
    return _crlf(
        f"""{head}
------ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit

Добрый день!
{p.text}
{p.first_name}, {p.phone}
------ALT
Content-Type: text/html; charset=utf-8
Content-Transfer-Encoding: base64

{html}------ALT--
"""
    ).encode()


def mail_html_only(p: Person, message_id: str) -> bytes:
    """An HTML-only message (no text part), quoted-printable ASCII, a Latin-script sender."""
    head = _head(
        p,
        message_id,
        f"Client {p.n} <{p.email}>",
        "Price request",
        'MIME-Version: 1.0\nContent-Type: text/html; charset="us-ascii"\n'
        "Content-Transfer-Encoding: quoted-printable\n",
    )
    return _crlf(
        f"""{head}
<html><body><div>Hello, please send the price list for <b>{1 + p.n % 50} units</b>.=
</div><div>Client {p.n}, {p.phone}</div></body></html>
"""
    ).encode("ascii")


def mail_cp1251(p: Person, message_id: str) -> bytes:
    """Windows-1251 in 8-bit, headers as encoded words of the same charset (Outlook)."""
    head = _head(
        p,
        message_id,
        f"{_word(f'{p.first_name} {p.last_name}', 'windows-1251')} <{p.email}>",
        _word(SUBJECTS[p.n % len(SUBJECTS)], "windows-1251"),
        "MIME-Version: 1.0\nX-Mailer: Microsoft Outlook 16.0\n"
        'Content-Type: text/plain; charset="windows-1251"\nContent-Transfer-Encoding: 8bit\n',
    )
    body = f"{p.text}\nТел. {p.phone}\n\nС уважением,\n{p.first_name} {p.last_name}\n"
    return _crlf(f"{head}\n").encode("ascii") + _crlf(body).encode("cp1251")


def mail_auto_reply(p: Person, message_id: str) -> bytes:
    """An out-of-office answer (Auto-Submitted: auto-replied, Exchange-style subject)."""
    head = _head(
        p,
        message_id,
        f"{_word(f'{p.first_name} {p.last_name}')} <{p.email}>",
        "Automatic reply: Re: " + _word(SUBJECTS[p.n % len(SUBJECTS)]),
        "Auto-Submitted: auto-replied\nX-Auto-Response-Suppress: All\n"
        "Content-Type: text/plain; charset=utf-8\n",
    )
    return _crlf(f"{head}\nI am out of the office until December 1st.\n").encode()


def mail_bounce(p: Person, message_id: str) -> bytes:
    """A MAILER-DAEMON delivery status notification (multipart/report) for p's address."""
    head = _head(
        p,
        message_id,
        "Mail Delivery System <MAILER-DAEMON@mx.example.ru>",
        "Undelivered Mail Returned to Sender",
        "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="BOUNCE"\n',
    )
    return _crlf(
        f"""{head}
--BOUNCE
Content-Type: text/plain; charset=us-ascii

This is the mail system at host mx.example.ru.
I'm sorry to have to inform you that your message could not be delivered.

--BOUNCE
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.ru
Final-Recipient: rfc822; {p.email}
Action: failed
Status: 5.1.1

--BOUNCE--
"""
    ).encode()


LEAD_MAIL_SHAPES = (mail_plain, mail_alternative, mail_html_only, mail_cp1251)
NOT_LEAD_MAIL_SHAPES = (mail_auto_reply, mail_bounce)


def _message_id(kind: str, n: int) -> str:
    """A unique Message-ID (without brackets, as the inbox keys it) for (kind, n)."""
    return f"{_event_id(kind, n)[:32]}@mail.example.ru"


def email_batch(first: int, leads: int, not_leads: int, rng: random.Random) -> list[Mail]:
    """`leads` messages from people first.., cycling the shapes, with the not-leads mixed in.

    The not-leads' senders come after the lead senders: every sender is distinct.
    """
    batch = [
        Mail(shape(person(first + i), mid), mid, makes_lead=True)
        for i in range(leads)
        for shape in [LEAD_MAIL_SHAPES[i % len(LEAD_MAIL_SHAPES)]]
        for mid in [_message_id("lead", first + i)]
    ]
    for j in range(not_leads):
        n = first + leads + j
        mid = _message_id("not_lead", n)
        shape = NOT_LEAD_MAIL_SHAPES[j % len(NOT_LEAD_MAIL_SHAPES)]
        batch.insert(rng.randint(0, len(batch)), Mail(shape(person(n), mid), mid, False))
    return batch


def append_all(server: Dovecot, user: str, mails: Sequence[Mail], connections: int) -> Delivery:
    """APPEND the messages in order over a few IMAP connections, each taking the next one."""
    result = Delivery()
    pending = iter(mails)
    lock = threading.Lock()
    clients = [server.client(user) for _ in range(connections)]

    def connection(index: int) -> None:
        """One IMAP connection taking the next message until none is left."""
        client = clients[index]
        while True:
            with lock:
                mail = next(pending, None)
            if mail is None:
                return
            sent = time.perf_counter()
            try:
                client.append("INBOX", mail.raw)
            except (IMAPClientError, OSError):
                with lock:
                    result.errors += 1
                return
            result.latencies.append(time.perf_counter() - sent)

    threads = [threading.Thread(target=connection, args=(i,)) for i in range(connections)]
    result.started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    result.finished = time.perf_counter()
    for client in clients:
        client.logout()
    return result


def email_last_uid(db: Path) -> int:
    """The last UID the poller is done with (its checkpoint), 0 before the first."""
    with closing(connect_ro(db)) as conn:
        row = conn.execute(
            "SELECT value FROM channel_checkpoints WHERE channel = 'email' AND key = ?",
            (f"{EMAIL_MAILBOX}:INBOX",),
        ).fetchone()
    return 0 if row is None else int(json.loads(row[0])["last_uid"])


def folder_last_uid(server: Dovecot, user: str) -> int:
    """The highest UID in the user's INBOX (UIDNEXT - 1)."""
    client = server.client(user)
    try:
        status = client.folder_status("INBOX", [b"UIDNEXT"])
        return int(status[b"UIDNEXT"]) - 1
    finally:
        client.logout()


def wait_uid(db: Path, uid: int, timeout: float) -> bool:
    """Whether the poller's checkpoint reaches `uid` within the timeout."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        if email_last_uid(db) >= uid:
            return True
        time.sleep(POLL_SECONDS)
    return False


def metric(port: int, name: str, labels: str) -> float:
    """One sample of the service's /metrics (0 when absent), e.g. labels `channel="email"`."""
    with urllib.request.urlopen(f"http://{HOST}:{port}/metrics", timeout=5) as response:
        text = response.read().decode()
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name + "{") and all(part in line for part in labels.split(",")):
            total += float(line.rsplit(" ", 1)[1])
    return total


@dataclass(frozen=True, slots=True)
class MailRun:
    """What one e-mail phase sent and saw, before the checks."""

    label: str
    mails: list[Mail]
    delivery: Delivery
    # perf_counter at which the clock started, and at which the last lead existed.
    started: float
    reached: float | None
    base: int
    service_cpu: float | None
    cpu_window: float
    notes: tuple[str, ...]


def check_mail(run: MailRun, server: Dovecot, db: Path, port: int) -> ChannelResult:
    """The e-mail checks against the running service: leads, duplicates, the not-leads."""
    # Not-leads after the last lead are passed by the checkpoint, not by a lead.
    last_uid = folder_last_uid(server, EMAIL_USER)
    passed = wait_uid(db, last_uid, 10)
    wait_drained(db, 10)
    keys = lead_keys(db)
    failed = scalar(db, "SELECT COUNT(*) FROM inbox WHERE status = 'failed'")
    ignored = metric(port, "leadintake_intake_requests_total", 'channel="email",outcome="ignored"')
    attached = metric(port, "leadintake_messages_attached_total", 'channel="email"')
    with closing(connect_ro(db)) as conn:
        inbox_ids = {
            r[0] for r in conn.execute("SELECT external_id FROM inbox WHERE channel = 'email'")
        }
    expected = {m.external_id for m in run.mails if m.makes_lead}
    not_leads = {m.external_id for m in run.mails if not m.makes_lead}
    found = len({k for k in keys if k in expected})
    with_lead = len(not_leads & set(keys))
    problems = []
    if not passed:
        problems.append(f"checkpoint short of UID {last_uid}")
    if with_lead:
        problems.append(f"not-leads with a lead {with_lead}")
    if not_leads & inbox_ids:
        problems.append(f"not-leads stored {len(not_leads & inbox_ids)}")
    # /metrics counts since the process started: one process per phase.
    if ignored != len(not_leads):
        problems.append(f"ignored {ignored:.0f} of {len(not_leads)} not-leads")
    if attached:
        problems.append(f"attached as activities {attached:.0f}")
    notes = (
        f"{len(not_leads)} auto-replies/bounces: ignored {ignored:.0f}, leads {with_lead}",
        *run.notes,
    )
    return ChannelResult(
        label=run.label,
        messages=len(expected),
        requests=len(run.mails),
        delivery=run.delivery,
        persisted_seconds=None if run.reached is None else run.reached - run.started,
        lost=len(expected) - found,
        duplicated=len(keys) - run.base - found,
        failed_rows=failed,
        service_cpu=run.service_cpu,
        cpu_window=run.cpu_window,
        problems=tuple(problems),
        notes=notes,
    )


def run_email(
    server: Dovecot, workdir: Path, config_text: str, args: argparse.Namespace
) -> list[ChannelResult]:
    """A service polling a fresh Dovecot mailbox: warm-up, the measured APPENDs (live), then,
    with --email-backlog, mail APPENDed while the service is down and caught up at its start.
    """
    secrets_ = Secrets()
    port = free_port()
    db = workdir / "email.sqlite3"
    config = workdir / "leadintake-email.toml"
    config.write_text(config_text + email_toml(server.port), "utf-8")
    rng = random.Random(SEED)
    count = args.email_messages
    not_leads = int(count * NOT_A_LEAD_SHARE)
    results = []
    proc = start_service(config, db, port, secrets_, email_environ())
    try:
        wait_ready(port, proc)
        # Warm-up senders come after the measured ones (and their not-leads): none is shared.
        warm = email_batch(count + not_leads, WARMUP_MESSAGES, 0, rng)
        watch = LeadWatch(db, WARMUP_MESSAGES)
        watch.start()
        append_all(server, EMAIL_USER, warm, args.email_connections)
        watch.join(timeout=60)
        watch.stop.set()
        if watch.reached is None:
            raise RuntimeError("warm-up mail was not turned into leads within 60 s")
        base = scalar(db, "SELECT COUNT(*) FROM leads")

        mails = email_batch(0, count, not_leads, rng)
        watch = LeadWatch(db, base + count)
        watch.start()
        cpu_before = cpu_seconds(proc.pid)
        delivery = append_all(server, EMAIL_USER, mails, args.email_connections)
        watch.join(timeout=args.timeout)
        cpu_after = cpu_seconds(proc.pid)
        watch.stop.set()
        watch.join()
        live = MailRun(
            label=EMAIL_LABEL,
            mails=mails,
            delivery=delivery,
            started=delivery.started,
            reached=watch.reached,
            base=base,
            service_cpu=None
            if cpu_before is None or cpu_after is None
            else cpu_after - cpu_before,
            cpu_window=time.perf_counter() - delivery.started,
            notes=(
                f"APPEND {len(mails)} in {delivery.finished - delivery.started:.2f} s while"
                " the service polls (IDLE)",
                *(
                    [f"last lead {watch.reached - delivery.finished:+.2f} s after the last APPEND"]
                    if watch.reached is not None
                    else []
                ),
            ),
        )
        results.append(check_mail(live, server, db, port))
        if not args.email_backlog:
            return results

        # Backlog: the service is down while the mail arrives; the clock starts at its start.
        stop_service(proc)
        base = scalar(db, "SELECT COUNT(*) FROM leads")
        first = count + not_leads + WARMUP_MESSAGES
        mails = email_batch(first, count, not_leads, rng)
        delivery = append_all(server, EMAIL_USER, mails, args.email_connections)
        watch = LeadWatch(db, base + count)
        started = time.perf_counter()
        proc = start_service(config, db, port, secrets_, email_environ())
        watch.start()
        wait_ready(port, proc)
        ready = time.perf_counter() - started
        watch.join(timeout=args.timeout)
        cpu = cpu_seconds(proc.pid)
        watch.stop.set()
        watch.join()
        backlog = MailRun(
            label="email backlog at start",
            mails=mails,
            delivery=delivery,
            started=started,
            reached=watch.reached,
            base=base,
            service_cpu=cpu,
            cpu_window=time.perf_counter() - started,
            notes=(
                f"APPEND {len(mails)} in {delivery.finished - delivery.started:.2f} s with the"
                " service down (ack columns: Dovecot alone)",
                f"clock from the service's spawn; /readyz 200 after {ready:.2f} s; CPU includes"
                " its start-up",
            ),
        )
        results.append(check_mail(backlog, server, db, port))
    finally:
        stop_service(proc)
    return results


def percentile_ms(values: list[float], q: float) -> float:
    """The q-quantile (0..1) in milliseconds."""
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


def _ratio(value: float, base: float | None) -> float:
    """value / base, NaN without a baseline."""
    return float("nan") if base is None else value / base


def report(results: list[ChannelResult | Skipped], args: argparse.Namespace, wall: float) -> None:
    """The table, the integrity lines and the legend."""
    measured = [r for r in results if isinstance(r, ChannelResult)]
    base = next((r for r in measured if r.label == CHANNELS[0].label), None)
    print()
    print(
        f"cpus={os.cpu_count()} warm-up={WARMUP_MESSAGES}/channel"
        f" database=SQLite (fresh per channel) wall={wall:.0f}s"
    )
    if any(c.key in args.channels for c in CHANNELS):
        print(
            f"http: messages={args.messages}/channel"
            f" re-deliveries={int(args.messages * DUPLICATE_SHARE)}/channel"
            f" connections={args.connections}"
        )
    if EMAIL_KEY in args.channels:
        print(
            f"email: messages={args.email_messages} (distinct senders) + not-leads="
            f"{int(args.email_messages * NOT_A_LEAD_SHARE)} (auto-replies/bounces),"
            f" no re-deliveries, APPEND connections={args.email_connections}"
        )
    header = (
        f"{'channel':<24} {'acked':>11} {'ack/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'to leads s':>10} {'leads/s':>8} {'×leads/s':>9} {'×ack/s':>7}"
        f" {'svc CPU':>8} {'CPU/msg':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        if isinstance(r, Skipped):
            print(f"{r.label:<24} skipped: {r.reason}")
            continue
        d = r.delivery
        acked = f"{len(d.latencies)}/{r.requests}"
        seconds = "timeout" if r.persisted_seconds is None else f"{r.persisted_seconds:.2f}"
        lead_ratio = _ratio(r.lead_rate, base.lead_rate if base else None)
        ack_ratio = _ratio(r.ack_rate, base.ack_rate if base else None)
        print(
            f"{r.label:<24} {acked:>11} {r.ack_rate:>7.0f}"
            f" {percentile_ms(d.latencies, 0.5):>7.1f} {percentile_ms(d.latencies, 0.99):>7.1f}"
            f" {seconds:>10} {r.lead_rate:>8.0f}"
            f" {lead_ratio:>9.2f} {ack_ratio:>7.2f}"
            f" {r.cpu_busy:>7.0f}% {r.cpu_per_message:>5.2f} ms"
        )
    print()
    for r in results:
        if isinstance(r, Skipped):
            print(f"{r.label:<24} SKIPPED ({r.reason})")
            continue
        d = r.delivery
        problems = [f"refused {dict(d.refused)}"] if d.refused else []
        problems += [f"connection errors {d.errors}"] if d.errors else []
        problems += [f"inbox rows failed {r.failed_rows}"] if r.failed_rows else []
        problems += list(r.problems)
        extra = f" ({', '.join(problems)})" if problems else ""
        verdict = "PASS" if r.passed else "FAIL"
        print(f"{r.label:<24} {verdict} lost {r.lost}, duplicated {r.duplicated}{extra}")
        for note in r.notes:
            print(f"{'':<24}   {note}")
    print()
    print("legend:")
    print("  acked       2xx answers the sender accepts (VK: body exactly `ok`) / requests sent,")
    print("              re-deliveries (same update_id / event_id / tranid) included;")
    print("              email: APPEND answered OK / APPENDs, not-leads included")
    print("  ack/s       acked requests per second, first send to last answer")
    print("              (email: Dovecot's APPEND rate, not the service's)")
    print("  p50/p99 ms  ack latency per request (send to full answer), milliseconds")
    print("  to leads s  seconds from the first send until every distinct message had a lead")
    print("              (lead count read read-only from the SQLite file every 10 ms)")
    print("  leads/s     distinct messages / 'to leads s' (end-to-end persisted leads per second)")
    print("              (email: lead-making messages; the not-leads are extra work)")
    print("  ×leads/s    leads/s relative to the webform baseline; ×ack/s likewise for ack/s")
    print("  svc CPU     CPU time of the `leadintake serve` process (HTTP, inbox commits and the")
    print("              lead worker share its one event loop) per wall second; 100% = one core")
    print("  CPU/msg     that CPU time per distinct message, milliseconds")
    print("  lost        distinct messages without a lead; duplicated: leads beyond one each")
    print("  PASS        no loss, no duplicate, nothing refused or failed; email also: every")
    print("              auto-reply/bounce counted `ignored`, none stored or made a lead, none")
    print("              attached as an activity, the checkpoint past the last UID")


def run_email_channel(
    workdir: Path, config_text: str, args: argparse.Namespace
) -> list[ChannelResult] | list[Skipped]:
    """The e-mail rows: a throwaway Dovecot for them, or the reason there is none."""
    binary = args.dovecot or dovecot_binary()
    reason = unavailable(binary)
    if reason is not None:
        return [Skipped(EMAIL_LABEL, reason)]
    assert binary is not None
    with Dovecot(binary) as server:
        return run_email(server, workdir, config_text, args)


def main() -> None:
    """Run every channel in turn and print the table."""
    keys = [c.key for c in CHANNELS] + [EMAIL_KEY]
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="distinct messages/channel")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the last lead"
    )
    parser.add_argument(
        "--email-messages", type=int, default=2000, help="lead-making e-mails (distinct senders)"
    )
    parser.add_argument(
        "--email-connections",
        type=int,
        default=4,
        help="IMAP APPEND connections (the template allows 10 per user and IP)",
    )
    parser.add_argument(
        "--email-backlog",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also time a backlog APPENDed while the service is down (catch-up at start)",
    )
    parser.add_argument("--dovecot", help="dovecot binary (default: PATH, then /usr/sbin)")
    parser.add_argument(
        "--channels",
        type=lambda text: [k.strip() for k in text.split(",") if k.strip()],
        default=keys,
        help=f"comma-separated subset of {','.join(keys)}",
    )
    args = parser.parse_args()
    if unknown := set(args.channels) - set(keys):
        parser.error(f"unknown channels: {', '.join(sorted(unknown))}")

    started = time.perf_counter()
    results: list[ChannelResult | Skipped] = []
    with tempfile.TemporaryDirectory(prefix="leadintake-bench-channels-") as tmp:
        workdir = Path(tmp)
        config = workdir / "leadintake.toml"
        demo = (ROOT / "config" / "default.toml").read_text("utf-8")
        config.write_text(demo + CHANNELS_TOML, "utf-8")
        for channel in CHANNELS:
            if channel.key not in args.channels:
                continue
            results.append(run_channel(channel, workdir, config, args))
            print(f"measured: {channel.label}", file=sys.stderr)
        if EMAIL_KEY in args.channels:
            results.extend(run_email_channel(workdir, demo + CHANNELS_TOML, args))
            print(f"measured: {EMAIL_LABEL}", file=sys.stderr)
    report(results, args, time.perf_counter() - started)


if __name__ == "__main__":
    main()
