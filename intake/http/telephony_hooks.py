"""Cloud-PBX webhooks: verify, persist each call event durably in the inbox, then answer 200.

- Mango Office: `POST /hooks/telephony/mango/events/{kind}` (call, summary, recording).
- Zadarma / Novofon: `POST /hooks/telephony/{zadarma,novofon}`; the `zd_echo` URL check is
  answered on GET (and on POST) with its value as plain text.
- Any other PBX or call tracker: `POST /hooks/telephony/generic/{source}`.

Every provider re-sends an event it did not get a 200 for, so 200 is sent only once the event
is committed; the inbox's unique (channel, external_id), built from the provider's own ids,
turns a re-send into a no-op. A request that fails its check gets a 4xx JSON error and
nothing is stored; a valid event of a kind we have no use for gets 200 and nothing is stored.
"""

from __future__ import annotations

import logging
from datetime import datetime

from aiohttp import web

from channels.errors import ChannelAuthFailed, InvalidSubmission, MalformedBody
from channels.telephony.generic.adapter import GenericSource, MissingTimestamp, StaleTimestamp
from channels.telephony.generic.adapter import parse_event as parse_generic
from channels.telephony.generic.const import SIGNATURE_HEADER as GENERIC_SIGNATURE
from channels.telephony.generic.const import TIMESTAMP_HEADER
from channels.telephony.mango.adapter import MangoCredentials
from channels.telephony.mango.adapter import parse_event as parse_mango
from channels.telephony.mango.const import PROVIDER as MANGO
from channels.telephony.model import CHANNEL, CallEvent, CallStage
from channels.telephony.wire import AcceptedCall, HookResult, IgnoredCall
from channels.telephony.zadarma.adapter import ZadarmaSpec, parse_notification
from channels.telephony.zadarma.const import ECHO_PARAM, MAX_ECHO_LENGTH
from channels.telephony.zadarma.const import SIGNATURE_HEADER as ZADARMA_SIGNATURE
from config.telephony_settings import (
    MANGO_API_KEY_ENV,
    MANGO_API_SALT_ENV,
    NOVOFON_SECRET_ENV,
    ZADARMA_SECRET_ENV,
)
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES
from intake.http.responses import json_response

log = logging.getLogger(__name__)
# Kept with the raw event for support; none of them carries a secret.
SAFE_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Real-Ip",
    TIMESTAMP_HEADER,
)
_SECRET_ENVS = {"zadarma": ZADARMA_SECRET_ENV, "novofon": NOVOFON_SECRET_ENV}


async def post_mango(request: web.Request) -> web.StreamResponse:
    """Receive one Mango Office VPBX event (events/call, events/summary, events/recording)."""
    mango = request.app[SERVICES].settings.telephony.mango
    if mango.api_key is None or mango.api_salt is None:
        return _not_configured(
            MANGO, f"set {MANGO_API_KEY_ENV} and {MANGO_API_SALT_ENV} to accept Mango events"
        )
    credentials = MangoCredentials(api_key=mango.api_key, api_salt=mango.api_salt)
    kind = request.match_info["kind"]
    if (refused := _form_only(request)) is not None:
        return refused
    try:
        body = await read_body(request)
        result = parse_mango(kind, body, credentials)
    except BodyTooLarge as err:
        return err.response()
    except (ChannelAuthFailed, MalformedBody, InvalidSubmission) as err:
        return _rejected(request, MANGO, err, auth_field="sign")
    return await _answer(request, MANGO, result, _empty_ok())


async def post_zadarma(request: web.Request) -> web.StreamResponse:
    """Receive one Zadarma notification (or answer its zd_echo URL check)."""
    return await _zadarma_like(request, "zadarma")


async def post_novofon(request: web.Request) -> web.StreamResponse:
    """Receive one Novofon notification (or answer its zd_echo URL check)."""
    return await _zadarma_like(request, "novofon")


async def echo_zadarma(request: web.Request) -> web.StreamResponse:
    """Answer Zadarma's URL check: the zd_echo value as plain text."""
    return _echo(request, "zadarma")


async def echo_novofon(request: web.Request) -> web.StreamResponse:
    """Answer Novofon's URL check: the zd_echo value as plain text."""
    return _echo(request, "novofon")


async def post_generic(request: web.Request) -> web.StreamResponse:
    """Receive one generic signed call event from a configured source."""
    name = request.match_info["source"]
    found = request.app[SERVICES].settings.telephony.generic_source(name)
    if found is None:
        request.app[SERVICES].metrics.intake_requests.labels(CHANNEL, "rejected").inc()
        return error_response(
            404,
            "unknown_source",
            f"no generic telephony source {name!r} is configured ([[telephony.generic]])",
            field="source",
        )
    source = GenericSource(name=found.name, secret=found.secret)
    try:
        body = await read_body(request)
        result = parse_generic(
            source,
            body,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(GENERIC_SIGNATURE),
            now=utcnow(),
        )
    except BodyTooLarge as err:
        return err.response()
    except StaleTimestamp as err:
        request.app[SERVICES].metrics.intake_requests.labels(CHANNEL, "rejected").inc()
        log.warning("telephony_replay_rejected provider=%s", name)
        return error_response(401, "stale_timestamp", str(err), field=TIMESTAMP_HEADER)
    except (ChannelAuthFailed, MalformedBody, InvalidSubmission) as err:
        header = TIMESTAMP_HEADER if isinstance(err, MissingTimestamp) else GENERIC_SIGNATURE
        return _rejected(request, name, err, auth_field=header)
    call = result.call
    received_at = utcnow()
    _observe_clock(request, call, received_at)
    receipt = await store_event(
        request, call.to_inbound(received_at), _payload(name, result), SAFE_HEADERS
    )
    _log_stored(name, result, receipt.created)
    return json_response(
        {"intake_id": receipt.intake_id, "status": "accepted", "duplicate": not receipt.created}
    )


async def _zadarma_like(request: web.Request, provider: str) -> web.StreamResponse:
    spec = _zadarma_spec(request, provider)
    if spec is None:
        return _not_configured(provider, f"set {_SECRET_ENVS[provider]} to accept {provider}")
    # The URL check may arrive as a POST with the parameter in the query string.
    if ECHO_PARAM in request.query:
        return _echo(request, provider)
    if (refused := _form_only(request)) is not None:
        return refused
    try:
        body = await read_body(request)
        received_at = utcnow()
        result = parse_notification(
            spec, body, request.headers.get(ZADARMA_SIGNATURE), received_at=received_at
        )
    except BodyTooLarge as err:
        return err.response()
    except (ChannelAuthFailed, MalformedBody, InvalidSubmission) as err:
        return _rejected(request, provider, err, auth_field=ZADARMA_SIGNATURE)
    # An empty 200: NOTIFY_START's answer may steer the call, and we leave it as it is.
    return await _answer(request, provider, result, _empty_ok(), received_at)


def _echo(request: web.Request, provider: str) -> web.StreamResponse:
    if _zadarma_spec(request, provider) is None:
        return _not_configured(provider, f"set {_SECRET_ENVS[provider]} to accept {provider}")
    value = request.query.get(ECHO_PARAM)
    if value is None:
        return error_response(
            400, "invalid_field", f"{ECHO_PARAM} is required for the URL check", field=ECHO_PARAM
        )
    if len(value) > MAX_ECHO_LENGTH:
        return error_response(400, "invalid_field", f"{ECHO_PARAM} is too long", field=ECHO_PARAM)
    log.info("telephony_url_check provider=%s", provider)
    # nosniff: the value is the caller's, so no browser may take it for markup.
    return web.Response(
        text=value, content_type="text/plain", headers={"X-Content-Type-Options": "nosniff"}
    )


def _zadarma_spec(request: web.Request, provider: str) -> ZadarmaSpec | None:
    account = request.app[SERVICES].settings.telephony.zadarma_like(provider)
    if account is None or account.secret is None:
        return None
    return ZadarmaSpec(provider=provider, secret=account.secret, timezone=account.timezone)


def _form_only(request: web.Request) -> web.Response | None:
    """Mango and Zadarma post urlencoded forms; multipart or JSON is somebody else."""
    if request.content_type.startswith("multipart/") or request.content_type.endswith("json"):
        request.app[SERVICES].metrics.intake_requests.labels(CHANNEL, "rejected").inc()
        return error_response(
            415,
            "unsupported_media_type",
            f"expected application/x-www-form-urlencoded, got {request.content_type}",
            field="Content-Type",
        )
    return None


async def _answer(
    request: web.Request,
    provider: str,
    result: HookResult,
    success: web.Response,
    received_at: datetime | None = None,
) -> web.Response:
    """Store an accepted event (then answer), or acknowledge an ignored one."""
    if isinstance(result, IgnoredCall):
        request.app[SERVICES].metrics.intake_requests.labels(CHANNEL, "ignored").inc()
        log.info(
            "telephony_event_ignored provider=%s event=%r reason=%s",
            provider,
            result.event[:64],  # the sender's text: quoted and cut so it cannot forge lines
            result.reason,
        )
        return success
    received_at = received_at or utcnow()
    _observe_clock(request, result.call, received_at)
    event = result.call.to_inbound(received_at)
    receipt = await store_event(request, event, _payload(provider, result), SAFE_HEADERS)
    _log_stored(provider, result, receipt.created)
    return success


def _observe_clock(request: web.Request, call: CallEvent, received_at: datetime) -> None:
    """The PBX's stated time against ours; a recording says nothing of the clock."""
    if call.stage is not CallStage.RECORDING:
        request.app[SERVICES].pbx_clocks.observe(
            f"{CHANNEL}:{call.provider}", call.at, received_at
        )


def _empty_ok() -> web.Response:
    """Mango and Zadarma read only the status; an empty 200 leaves a call as it is."""
    return web.Response(text="", content_type="text/plain")


def _payload(provider: str, result: AcceptedCall) -> dict[str, object]:
    return {"provider": provider, **result.payload}


def _log_stored(provider: str, result: AcceptedCall, created: bool) -> None:
    # Ids and stages only: the numbers in the event are personal data.
    log.info(
        "telephony_event_%s provider=%s call_id=%s event_key=%s stage=%s",
        "stored" if created else "duplicate",
        provider,
        result.call.call_id,
        result.call.event_key,
        result.call.stage.value,
    )


def _rejected(
    request: web.Request, provider: str, err: Exception, *, auth_field: str
) -> web.Response:
    request.app[SERVICES].metrics.intake_requests.labels(CHANNEL, "rejected").inc()
    if isinstance(err, ChannelAuthFailed):
        log.warning("telephony_signature_rejected provider=%s", provider)
        return error_response(403, "forbidden", str(err), field=auth_field)
    if isinstance(err, InvalidSubmission):
        return error_response(400, "invalid_field", err.message, field=err.field)
    return error_response(400, "malformed_body", str(err), field="body")


def _not_configured(provider: str, hint: str) -> web.Response:
    return error_response(
        404,
        "not_configured",
        f"the {provider} webhook is not configured: {hint}",
        field="provider",
    )
