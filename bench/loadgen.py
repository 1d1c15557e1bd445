"""A small HTTP/1.1 keep-alive load generator (raw asyncio streams, cheap per request)."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass, field


@dataclass
class Result:
    """Latencies (seconds) of successful requests and counts of the rest."""

    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    statuses: dict[int, int] = field(default_factory=dict)


def form_request(host: str, port: int) -> bytes:
    """A JSON form post with a unique tranid, as a website would send it."""
    body = json.dumps(
        {
            "name": "Иван Петров",
            "phone": "8 (916) 123-45-67",
            "email": "ivan.petrov@mail.ru",
            "comment": "Нужен счёт на 10 лицензий",
            "utm_source": "yandex",
            "utm_campaign": "winter",
            "consent": "on",
            "tranid": uuid.uuid4().hex,
        },
        ensure_ascii=False,
    ).encode()
    head = (
        f"POST /api/v1/forms/site HTTP/1.1\r\nHost: {host}:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode()
    return head + body


async def _exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return status


async def closed_loop(host: str, port: int, connections: int, seconds: float) -> Result:
    """Each connection sends its next request as soon as the previous answer arrives."""
    result = Result()
    deadline = time.perf_counter() + seconds

    async def connection() -> None:
        reader, writer = await asyncio.open_connection(host, port)
        try:
            while time.perf_counter() < deadline:
                request = form_request(host, port)
                started = time.perf_counter()
                status = await _exchange(reader, writer, request)
                _record(result, status, time.perf_counter() - started)
        except (OSError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return result


async def open_loop(host: str, port: int, connections: int, rate: float, seconds: float) -> Result:
    """Requests on a fixed schedule; latency counts from the scheduled time (no omission)."""
    result = Result()
    per_connection = rate / connections
    start = time.perf_counter() + 0.05

    async def connection(offset: int) -> None:
        reader, writer = await asyncio.open_connection(host, port)
        n = 0
        try:
            while True:
                scheduled = start + (n + offset / connections) / per_connection
                if scheduled > start + seconds:
                    break
                delay = scheduled - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                status = await _exchange(reader, writer, form_request(host, port))
                _record(result, status, time.perf_counter() - scheduled)
                n += 1
        except (OSError, asyncio.IncompleteReadError):
            result.errors += 1
        finally:
            writer.close()

    await asyncio.gather(*(connection(i) for i in range(connections)))
    return result


def _record(result: Result, status: int, latency: float) -> None:
    result.statuses[status] = result.statuses.get(status, 0) + 1
    if 200 <= status < 300:
        result.latencies.append(latency)
    else:
        result.errors += 1
