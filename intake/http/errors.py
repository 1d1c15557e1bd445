"""JSON error bodies that name what was wrong, and the middleware that guarantees them."""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from crm_core.errors import DomainError
from crm_core.storage import StorageRejected, StorageUnavailable
from intake.http.body import BadBody, BadPath, BadQuery
from intake.http.keys import SERVICES
from intake.http.responses import json_response

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

HTTP_ERROR_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "invalid_field",
    503: "unavailable",
}
BAD_INPUT_CODES: dict[type[BadBody], str] = {BadPath: "invalid_path", BadQuery: "invalid_query"}


def error_response(
    status: int,
    error: str,
    message: str,
    *,
    field: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> web.Response:
    """`{"error": ..., "field": ..., "message": ...}` with the given status."""
    body: dict[str, Any] = {"error": error, "message": message}
    if field is not None:
        body["field"] = field
    body.update(extra)
    return json_response(body, status=status, headers=headers)


def error_code(err: DomainError, default: str = "rule_violation") -> str:
    """The `error` of a refused command: the rule it broke, `not_found`, or `default`."""
    rule: str | None = getattr(err, "rule", None)
    return rule or ("not_found" if err.status == 404 else default)


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every failure into a JSON error; storage outages are 503, never 500."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        code = HTTP_ERROR_CODES.get(exc.status, "http_error")
        return error_response(exc.status, code, exc.reason, headers=_allow(exc))
    except BadBody as err:
        error = BAD_INPUT_CODES.get(type(err), "invalid_body")
        return error_response(400, error, err.message, field=err.field)
    except StorageRejected:
        request.app[SERVICES].metrics.errors.labels("storage_rejected").inc()
        return error_response(
            400,
            "unstorable_value",
            "the request holds a value that cannot be stored (control characters or invalid"
            " Unicode); it was not stored",
            field="body",
        )
    except StorageUnavailable:
        log.warning("storage_unavailable route=%s", _route(request))
        request.app[SERVICES].metrics.errors.labels("storage_unavailable").inc()
        return error_response(
            503,
            "unavailable",
            "storage is temporarily unavailable; retry later",
            headers={"Retry-After": "5"},
        )
    except Exception:
        log.exception("unhandled_error route=%s", _route(request))
        request.app[SERVICES].metrics.errors.labels("unhandled").inc()
        return error_response(500, "internal", "internal error; the request was not stored")


def _allow(exc: web.HTTPException) -> dict[str, str] | None:
    allow = exc.headers.get("Allow")
    return {"Allow": allow} if allow else None


@web.middleware
async def metrics_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Count requests per route template and status, and time them."""
    started = time.perf_counter()
    response = await handler(request)
    resource = request.match_info.route.resource
    route = resource.canonical if resource is not None else "unmatched"
    metrics = request.app[SERVICES].metrics
    metrics.http_requests.labels(route, str(response.status)).inc()
    metrics.http_duration.labels(route).observe(time.perf_counter() - started)
    return response


def _route(request: web.Request) -> str:
    """The matched route's template (`/invite/{token}`), never the path itself: a path may
    carry a one-time secret or a person's identifier, which stay out of the logs."""
    info = request.match_info.route.resource
    return info.canonical if info is not None else "unmatched"
