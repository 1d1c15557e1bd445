"""The in-app stream: live notifications to connected managers as Server-Sent Events.

Events come from the outbox (see intake/notify/live.py): every service instance publishes
each new in-app row to the streams connected to it, and an event's id is its outbox id. A
client that reconnects with `Last-Event-ID` first gets what it missed (stream_events'
`replay`); one that was away longer re-reads its leads and tasks through the API.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from crm_core.notifications import OutboxMessage
from intake.notify.texts import render

log = logging.getLogger(__name__)

DEFAULT_QUEUE_SIZE = 100


@dataclass(frozen=True, slots=True)
class Event:
    """One event of the stream: the outbox id, the notification kind and its JSON data."""

    id: int
    kind: str
    data: Mapping[str, Any]


class Subscription:
    """One open stream's events, as an async iterator that ends when the stream is closed.

    Events wait in a bounded buffer. A client that lets it fill up is dropped (the iterator
    ends at once and `dropped` is True) rather than making the publisher wait or buffering
    without bound; its browser reconnects and re-reads the API.
    """

    def __init__(self, hub: EventHub, manager_id: int, limit: int) -> None:
        self.manager_id = manager_id
        self.dropped = False
        self._hub = hub
        self._limit = limit
        self._events: deque[Event] = deque()
        self._ready = asyncio.Event()
        self._closed = False

    @property
    def closed(self) -> bool:
        """True once the subscription has ended (closed, dropped or the hub shut down)."""
        return self._closed

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> Event:
        # Events are taken synchronously after the wait, so cancelling a waiting reader
        # (a keepalive timeout) never loses one.
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._events:
                return self._events.popleft()
            self._ready.clear()
            await self._ready.wait()

    def close(self) -> None:
        """End the subscription and leave the hub (idempotent)."""
        if self._closed:
            return
        self._closed = True
        self._events.clear()
        self._ready.set()
        self._hub._forget(self)

    def _push(self, event: Event) -> bool:
        """Queue an event; False (and the subscription dropped) when the buffer is full."""
        if self._closed:
            return False
        if len(self._events) >= self._limit:
            self.dropped = True
            self.close()
            return False
        self._events.append(event)
        self._ready.set()
        return True


class EventHub:
    """In-process fan-out of events to the open streams of each manager."""

    def __init__(self, queue_size: int = DEFAULT_QUEUE_SIZE) -> None:
        self._queue_size = queue_size
        self._subscribers: dict[int, set[Subscription]] = {}
        self._closed = False

    def subscribe(self, manager_id: int) -> Subscription:
        """A new subscription to the manager's events (already ended if the hub is closed)."""
        subscription = Subscription(self, manager_id, self._queue_size)
        if self._closed:
            subscription.close()
        else:
            self._subscribers.setdefault(manager_id, set()).add(subscription)
        return subscription

    def publish(self, manager_id: int, event_id: int, kind: str, data: Mapping[str, Any]) -> int:
        """Send an event to the manager's open streams; returns how many received it."""
        if "\n" in kind or "\r" in kind:
            raise ValueError("an event kind must be one line")
        event = Event(event_id, kind, data)
        reached = 0
        for subscription in list(self._subscribers.get(manager_id, ())):
            if subscription._push(event):
                reached += 1
            else:
                log.warning("sse_subscriber_dropped manager_id=%d reason=lagging", manager_id)
        return reached

    def subscriber_count(self, manager_id: int) -> int:
        """How many streams the manager has open."""
        return len(self._subscribers.get(manager_id, ()))

    def close(self) -> None:
        """End every subscription (on shutdown, so open streams finish); later ones end at once."""
        self._closed = True
        for subscriptions in list(self._subscribers.values()):
            for subscription in list(subscriptions):
                subscription.close()
        self._subscribers.clear()

    def _forget(self, subscription: Subscription) -> None:
        subscriptions = self._subscribers.get(subscription.manager_id)
        if subscriptions is None:
            return
        subscriptions.discard(subscription)
        if not subscriptions:
            del self._subscribers[subscription.manager_id]


class SseNotifier:
    """Delivers notifications to the manager's open in-app streams (live-only, see module)."""

    instant = True  # publishing only queues the event: the dispatcher need not wait

    def __init__(self, hub: EventHub) -> None:
        self._hub = hub

    async def send(self, message: OutboxMessage) -> None:
        """Publish the notification to `message.manager_id`; done even if nobody listens."""
        event = event_of(message)
        reached = self._hub.publish(message.manager_id, event.id, event.kind, event.data)
        log.debug("sse_published outbox_id=%d streams=%d", message.id, reached)


def event_of(message: OutboxMessage) -> Event:
    """The in-app event of an outbox message (its id is the outbox id)."""
    rendered = render(message.kind, message.payload)
    data: dict[str, Any] = {
        "kind": str(message.kind),
        "title": rendered.subject,
        "text": rendered.text,
        "link": rendered.link,
        "created_at": message.created_at.isoformat(),
    }
    # Ids let the client refresh exactly what changed (lead_id, task_id …).
    data.update(
        (key, value)
        for key, value in message.payload.items()
        if key.endswith("_id") and isinstance(value, int) and not isinstance(value, bool)
    )
    status = message.payload.get("status")
    if isinstance(status, str):
        data["status"] = status  # a lead's new status (lead_updated)
    return Event(message.id, str(message.kind), data)


def format_event(event: Event) -> bytes:
    """The wire form of one event: id, event and a one-line JSON data field."""
    data = json.dumps(event.data, ensure_ascii=False, separators=(",", ":"), default=str)
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n".encode()


async def stream_events(
    request: web.Request,
    hub: EventHub,
    manager_id: int,
    keepalive: float = 15.0,
    replay: Callable[[], Awaitable[Sequence[Event]]] | None = None,
    still_valid: Callable[[], Awaitable[bool]] | None = None,
) -> web.StreamResponse:
    """Stream the manager's events until the client leaves or the hub closes.

    A comment line every `keepalive` seconds keeps proxies from closing an idle stream and
    reveals a vanished client: without handler cancellation, aiohttp reports a disconnect
    only on the next write, so a closed connection is noticed within `keepalive` seconds.
    `replay` (events missed since the client's Last-Event-ID) is read after subscribing, so
    nothing falls between the two; live events it already covered are skipped.
    `still_valid` is asked at each keepalive: False (the session was ended) ends the stream,
    and the client's reconnect is refused.
    """
    subscription = hub.subscribe(manager_id)
    last_sent = 0
    response = web.StreamResponse(
        headers={
            "Content-Type": "text/event-stream",
            "Cache-Control": "no-cache",
            "X-Accel-Buffering": "no",  # nginx would otherwise hold events in its buffer
        }
    )
    try:
        await response.prepare(request)
        for missed in await replay() if replay is not None else ():
            await response.write(format_event(missed))
            last_sent = max(last_sent, missed.id)
        while not _disconnected(request):
            try:
                async with asyncio.timeout(keepalive):
                    event = await anext(subscription)
            except TimeoutError:
                if still_valid is not None and not await still_valid():
                    break
                await response.write(b": keepalive\n\n")
                continue
            except StopAsyncIteration:
                break
            if event.id > last_sent:
                await response.write(format_event(event))
    except ConnectionResetError:
        pass  # the client went away mid-write; nothing to finish
    finally:
        subscription.close()
    return response


def _disconnected(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()
