"""Messages/s per channel, from the sender's exact wire format to persisted leads.

For each channel (website form JSON, Telegram webhook `message` updates, VK Callback API
`message_new` and `lead_forms_new`) a fresh `leadintake serve` (demo config, SQLite with
synchronous=FULL) gets a short warm-up, then N messages from N distinct people over C
keep-alive connections, plus 10% re-deliveries of already sent messages (same update_id /
event_id / tranid). Each channel runs on its own empty database so that no channel pays for
the leads of the channels measured before it; the website form is the baseline.

The lead count is read from the service's SQLite file through a separate read-only connection
(one short autocommit SELECT every 10 ms: WAL readers do not block the writer), not over the
leads API, so the measurement adds no HTTP requests or token lookups to the service.

    .venv/bin/python bench/channels.py [--messages 3000] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
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
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

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

    label: str
    build: Callable[[Person, Secrets], Message]
    retry_headers: dict[str, str] = field(default_factory=dict)
    # The exact body the sender needs to stop re-sending (VK: `ok`); None: any 2xx.
    ack_body: bytes | None = None


CHANNELS = (
    Channel("webform JSON (baseline)", webform_message),
    Channel("telegram message update", telegram_message),
    Channel("vk message_new", vk_message_new, {"X-Retry-Counter": "1"}, b"ok"),
    Channel("vk lead_forms_new", vk_lead_form, {"X-Retry-Counter": "1"}, b"ok"),
)


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


def start_service(config: Path, db: Path, port: int, secrets_: Secrets) -> subprocess.Popen[bytes]:
    """`leadintake serve` on a fresh SQLite file; secrets only through the environment."""
    # Drop inherited LEADINTAKE_* (a real bot token or SMTP host would send notifications).
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEADINTAKE_")}
    env |= {
        "LEADINTAKE_CONFIG": str(config),
        "LEADINTAKE_DATABASE_URL": f"sqlite:///{db}",
        "LEADINTAKE_HTTP_PORT": str(port),
        "LEADINTAKE_LOG_LEVEL": "WARNING",
        **secrets_.environ(),
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


def percentile_ms(values: list[float], q: float) -> float:
    """The q-quantile (0..1) in milliseconds."""
    if len(values) < 2:
        return float("nan")
    return statistics.quantiles(values, n=1000, method="inclusive")[int(q * 1000) - 1] * 1000


def report(results: list[ChannelResult], args: argparse.Namespace, wall: float) -> None:
    """The table, the integrity lines and the legend."""
    base = results[0]
    print()
    print(
        f"cpus={os.cpu_count()} messages={args.messages}/channel"
        f" re-deliveries={int(args.messages * DUPLICATE_SHARE)}/channel"
        f" connections={args.connections} warm-up={WARMUP_MESSAGES}/channel"
        f" database=SQLite (fresh per channel) wall={wall:.0f}s"
    )
    header = (
        f"{'channel':<24} {'acked':>11} {'ack/s':>7} {'p50 ms':>7} {'p99 ms':>7}"
        f" {'to leads s':>10} {'leads/s':>8} {'×leads/s':>9} {'×ack/s':>7}"
        f" {'svc CPU':>8} {'CPU/msg':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in results:
        d = r.delivery
        acked = f"{len(d.latencies)}/{r.requests}"
        seconds = "timeout" if r.persisted_seconds is None else f"{r.persisted_seconds:.2f}"
        print(
            f"{r.label:<24} {acked:>11} {r.ack_rate:>7.0f}"
            f" {percentile_ms(d.latencies, 0.5):>7.1f} {percentile_ms(d.latencies, 0.99):>7.1f}"
            f" {seconds:>10} {r.lead_rate:>8.0f}"
            f" {r.lead_rate / base.lead_rate:>9.2f} {r.ack_rate / base.ack_rate:>7.2f}"
            f" {r.cpu_busy:>7.0f}% {r.cpu_per_message:>5.2f} ms"
        )
    print()
    for r in results:
        d = r.delivery
        problems = [f"refused {dict(d.refused)}"] if d.refused else []
        problems += [f"connection errors {d.errors}"] if d.errors else []
        problems += [f"inbox rows failed {r.failed_rows}"] if r.failed_rows else []
        extra = f" ({', '.join(problems)})" if problems else ""
        print(f"{r.label:<24} lost {r.lost}, duplicated {r.duplicated}{extra}")
    print()
    print("legend:")
    print("  acked       2xx answers the sender accepts (VK: body exactly `ok`) / requests sent,")
    print("              re-deliveries (same update_id / event_id / tranid) included")
    print("  ack/s       acked requests per second, first send to last answer")
    print("  p50/p99 ms  ack latency per request (send to full answer), milliseconds")
    print("  to leads s  seconds from the first send until every distinct message had a lead")
    print("              (lead count read read-only from the SQLite file every 10 ms)")
    print("  leads/s     distinct messages / 'to leads s' (end-to-end persisted leads per second)")
    print("  ×leads/s    leads/s relative to the webform baseline; ×ack/s likewise for ack/s")
    print("  svc CPU     CPU time of the `leadintake serve` process (HTTP, inbox commits and the")
    print("              lead worker share its one event loop) per wall second; 100% = one core")
    print("  CPU/msg     that CPU time per distinct message, milliseconds")
    print("  lost        distinct messages without a lead; duplicated: leads beyond one each")


def main() -> None:
    """Run every channel in turn and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=3000, help="distinct messages/channel")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the last lead"
    )
    args = parser.parse_args()

    started = time.perf_counter()
    results = []
    with tempfile.TemporaryDirectory(prefix="leadintake-bench-channels-") as tmp:
        workdir = Path(tmp)
        config = workdir / "leadintake.toml"
        demo = (ROOT / "config" / "default.toml").read_text("utf-8")
        config.write_text(demo + CHANNELS_TOML, "utf-8")
        for channel in CHANNELS:
            results.append(run_channel(channel, workdir, config, args))
            print(f"measured: {channel.label}", file=sys.stderr)
    report(results, args, time.perf_counter() - started)


if __name__ == "__main__":
    main()
