"""POST /api/v1/forms/{form_key}: verify, persist durably, then acknowledge."""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TypeVar

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
from crm_core.storage.ports import FormSubmission
from intake.clock import utcnow
from intake.form_submissions import ACCEPTED, REJECTED, TEST
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
    """Accept one website form submission (its fate noted for the head's forms page)."""
    services = request.app[SERVICES]
    key = request.match_info["form_key"]
    spec = services.forms.get(key)
    if spec is None:
        return error_response(404, "unknown_form", f"no form with key {key!r}", field="form_key")
    received_at = utcnow()
    try:
        response = await _answer(request, spec)
    except web.HTTPException as answer:  # the thank-you page's 303
        _note(request, key, received_at, answer)
        raise
    _note(request, key, received_at, response)
    return response


async def _answer(request: web.Request, spec: FormSpec) -> web.Response:
    services = request.app[SERVICES]
    form = services.settings.form(spec.key)
    limited = request.app[FORM_LIMITER].check(request, form) if form else None
    if limited is not None:
        services.metrics.intake_requests.labels(CHANNEL, "rate_limited").inc()
        return _fate(limited, REJECTED, "rate_limited")
    try:
        body = await read_body(request)
    except BodyTooLarge as err:
        return _fate(err.response(), REJECTED, "too_large", "body")
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
        response = error_response(401, "unauthorized", str(err), field=spec.secret_field)
        return _fate(response, REJECTED, "bad_secret")
    except UnsupportedContentType as err:
        counter.labels(CHANNEL, "rejected").inc()
        response = error_response(
            415,
            "unsupported_media_type",
            f"{err}; send application/json, application/x-www-form-urlencoded"
            " or multipart/form-data",
            field="Content-Type",
        )
        return _fate(response, REJECTED, "unsupported_media_type", "Content-Type")
    except MalformedBody as err:
        counter.labels(CHANNEL, "rejected").inc()
        response = error_response(400, "malformed_body", str(err), field=err.field)
        return _fate(response, REJECTED, "malformed", err.field)
    except InvalidSubmission as err:
        counter.labels(CHANNEL, "rejected").inc()
        response = error_response(
            422, "invalid_field", err.message, field=err.field, expected=["phone", "email"]
        )
        return _fate(response, REJECTED, "invalid", err.field)
    if isinstance(outcome, TildaTestPing):
        counter.labels(CHANNEL, "test").inc()
        return _fate(json_response({"status": "ok", "test": True}), TEST, None)
    if isinstance(outcome, HoneypotTripped):
        counter.labels(CHANNEL, "honeypot").inc()
        return _fate(json_response({"status": "ok"}), REJECTED, "honeypot", outcome.field)
    refused = refusal(outcome.payload, services.settings.intake)
    if refused is not None:
        counter.labels(CHANNEL, "rejected").inc()
        return _fate(refused, REJECTED, "invalid")
    form = services.settings.form(spec.key)
    if form is not None and form.abuse.smartcaptcha:
        checked = await request.app[SMARTCAPTCHA].check(request, form, outcome)
        if isinstance(checked, web.Response):
            return _fate(checked, REJECTED, "captcha")
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
        response = error_response(
            409,
            "idempotency_conflict",
            f"{key} was already used for a submission with different fields;"
            " send a new key for a new submission",
            field=key,
            intake_id=receipt.intake_id,
        )
        return _fate(response, REJECTED, "idempotency_conflict", key)
    if outcome.redirect_url:
        raise _fate(
            web.HTTPSeeOther(outcome.redirect_url), ACCEPTED, None, intake_id=receipt.intake_id
        )
    response = json_response(
        {"intake_id": receipt.intake_id, "status": "accepted", "duplicate": not receipt.created},
        status=202 if receipt.created else 200,
    )
    return _fate(response, ACCEPTED, None, intake_id=receipt.intake_id)


@dataclass(frozen=True, slots=True)
class _Fate:
    outcome: str
    reason: str | None
    field: str | None
    intake_id: int | None


_FATE = web.ResponseKey("leadintake.form_fate", _Fate)
_R = TypeVar("_R", bound=web.Response)


def _fate(
    response: _R,
    outcome: str,
    reason: str | None,
    field: str | None = None,
    *,
    intake_id: int | None = None,
) -> _R:
    """The answer, tagged with what it means for the form's last-submission note."""
    response[_FATE] = _Fate(outcome, reason, field, intake_id)
    return response


def _note(request: web.Request, key: str, received_at: datetime, response: web.Response) -> None:
    fate = response.get(_FATE)
    if fate is None:
        return
    request.app[SERVICES].form_log.note(
        FormSubmission(
            key,
            received_at,
            fate.outcome,
            response.status,
            fate.reason,
            fate.field,
            fate.intake_id,
        )
    )


def fields_hash(fields: Mapping[str, Sequence[str]]) -> str:
    """SHA-256 of the submitted fields, independent of their order and encoding."""
    text = _HASH_ENCODER.encode(sorted(fields.items()))
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _idempotency_field(request: web.Request, meta: Mapping[str, str]) -> str:
    if meta.get(TILDA_TRANSACTION):
        return TILDA_TRANSACTION
    return IDEMPOTENCY_HEADER if IDEMPOTENCY_HEADER in request.headers else "submission_id"
