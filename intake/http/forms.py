"""POST /api/v1/forms/{form_key}: verify, persist durably, then acknowledge."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence

from aiohttp import web

from channels.errors import (
    ChannelAuthFailed,
    InvalidSubmission,
    MalformedBody,
    UnsupportedContentType,
)
from channels.webform.adapter import parse_submission
from channels.webform.const import IDEMPOTENCY_HEADER, TILDA_TRANSACTION
from channels.webform.spec import AcceptedSubmission, FormSpec, HoneypotTripped, TildaTestPing
from intake.clock import utcnow
from intake.http.errors import error_response
from intake.http.form_limits import refusal
from intake.http.inbound import BodyTooLarge, read_body, store_event
from intake.http.keys import SERVICES
from intake.http.ratelimit import FORM_LIMITER
from intake.http.responses import json_response
from intake.http.smartcaptcha import SMARTCAPTCHA

CHANNEL = "webform"
# Kept with the raw request for support and anti-spam; never credentials or cookies.
_HASH_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
SAFE_HEADERS = (
    "User-Agent",
    "Content-Type",
    "Content-Length",
    "Referer",
    "Origin",
    "Idempotency-Key",
    "X-Request-Id",
    "X-Forwarded-For",
    "X-Real-Ip",
)


async def post_form(request: web.Request) -> web.Response:
    """Accept one website form submission."""
    services = request.app[SERVICES]
    key = request.match_info["form_key"]
    spec = services.forms.get(key)
    if spec is None:
        return error_response(404, "unknown_form", f"no form with key {key!r}", field="form_key")
    form = services.settings.form(key)
    limited = request.app[FORM_LIMITER].check(request, form) if form else None
    if limited is not None:
        services.metrics.intake_requests.labels(CHANNEL, "rate_limited").inc()
        return limited
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return err.response()
    return await _accept(request, spec, body)


async def _accept(request: web.Request, spec: FormSpec, body: bytes) -> web.Response:
    services = request.app[SERVICES]
    counter = services.metrics.intake_requests
    try:
        outcome = parse_submission(
            spec,
            content_type=request.headers.get("Content-Type", ""),
            body=body,
            headers=request.headers,
            received_at=utcnow(),
            new_id=lambda: uuid.uuid4().hex,
        )
    except ChannelAuthFailed as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(401, "unauthorized", str(err), field=spec.secret_field)
    except UnsupportedContentType as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(
            415,
            "unsupported_media_type",
            f"{err}; send application/json, application/x-www-form-urlencoded"
            " or multipart/form-data",
            field="Content-Type",
        )
    except MalformedBody as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(400, "malformed_body", str(err), field=err.field)
    except InvalidSubmission as err:
        counter.labels(CHANNEL, "rejected").inc()
        return error_response(
            422, "invalid_field", err.message, field=err.field, expected=["phone", "email"]
        )
    if isinstance(outcome, TildaTestPing):
        counter.labels(CHANNEL, "test").inc()
        return json_response({"status": "ok", "test": True})
    if isinstance(outcome, HoneypotTripped):
        counter.labels(CHANNEL, "honeypot").inc()
        return json_response({"status": "ok"})
    refused = refusal(outcome.payload, services.settings.intake)
    if refused is not None:
        counter.labels(CHANNEL, "rejected").inc()
        return refused
    form = services.settings.form(spec.key)
    if form is not None and form.abuse.smartcaptcha:
        checked = await request.app[SMARTCAPTCHA].check(request, form, outcome)
        if isinstance(checked, web.Response):
            return checked
        outcome = checked
    return await _store(request, outcome)


async def _store(request: web.Request, outcome: AcceptedSubmission) -> web.Response:
    event = outcome.event
    receipt = await store_event(
        request,
        event,
        {"content_type": event.meta.get("content_type"), "fields": outcome.payload},
        SAFE_HEADERS,
        body_hash=fields_hash(outcome.payload),
        checked=True,  # form_limits.refusal has checked every field
    )
    if receipt.conflict:
        key = _idempotency_field(request, event.meta)
        return error_response(
            409,
            "idempotency_conflict",
            f"{key} was already used for a submission with different fields;"
            " send a new key for a new submission",
            field=key,
            intake_id=receipt.intake_id,
        )
    if outcome.redirect_url:
        raise web.HTTPSeeOther(outcome.redirect_url)
    return json_response(
        {"intake_id": receipt.intake_id, "status": "accepted", "duplicate": not receipt.created},
        status=202 if receipt.created else 200,
    )


def fields_hash(fields: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 of the submitted fields, independent of their order and encoding."""
    text = _HASH_ENCODER.encode(sorted(fields.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _idempotency_field(request: web.Request, meta: Mapping[str, str]) -> str:
    if meta.get(TILDA_TRANSACTION):
        return TILDA_TRANSACTION
    return IDEMPOTENCY_HEADER if IDEMPOTENCY_HEADER in request.headers else "submission_id"
