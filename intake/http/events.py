"""GET /api/v1/events: the manager's in-app notification stream (Server-Sent Events)."""

from __future__ import annotations

from aiohttp import web

from intake.auth import manager_for_token
from intake.http.body import parse_int
from intake.http.errors import error_response
from intake.http.keys import EVENT_AUTHENTICATORS, SERVICES, StreamSignIn
from intake.notify.sse import Event, event_of, stream_events

# A client away longer than this many events re-reads the API instead.
REPLAY_LIMIT = 200
# A comment line this often keeps the stream open; a session stream re-checks its session.
KEEPALIVE_SECONDS = 15.0


async def events(request: web.Request) -> web.StreamResponse:
    """Stream the caller's notifications; the token may come as `?access_token=` because
    browsers' EventSource cannot send an Authorization header, and a request without a token
    may sign in another way (the workplace's session cookie). A reconnecting client's
    `Last-Event-ID` gets the events it missed first."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    token = token.strip() if scheme.lower() == "bearer" else ""
    token = token or request.query.get("access_token", "").strip()
    services = request.app[SERVICES]
    still_valid = None
    if token:
        # A token, even a wrong one, decides alone: no fall-back to a cookie.
        manager = await manager_for_token(services.storage, token)
    else:
        signed = await _signed_in(request)
        manager, still_valid = (signed.manager, signed.still_valid) if signed else (None, None)
    if manager is None:
        return error_response(
            401,
            "unauthorized",
            "a valid bearer token (header or access_token query parameter) or a workplace"
            " session is required",
            field="Authorization",
            headers={"WWW-Authenticate": 'Bearer realm="leadintake"'},
        )
    # A malformed Last-Event-ID (not an id we issued) replays nothing rather than failing.
    last_seen = parse_int(request.headers.get("Last-Event-ID", "").strip(), minimum=0)
    replay = None
    if last_seen is not None:
        manager_id, after_id = manager.id, last_seen

        async def replay() -> list[Event]:
            async with services.storage.reader() as uow:
                missed = await uow.outbox.for_manager(manager_id, after_id, REPLAY_LIMIT)
            return [event_of(m) for m in missed]

    return await stream_events(
        request,
        services.events,
        manager.id,
        keepalive=KEEPALIVE_SECONDS,
        replay=replay,
        still_valid=still_valid,
    )


async def _signed_in(request: web.Request) -> StreamSignIn | None:
    for authenticate in request.app.get(EVENT_AUTHENTICATORS, ()):
        signed = await authenticate(request)
        if signed is not None:
            return signed
    return None
