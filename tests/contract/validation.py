"""Every answer checked against the OpenAPI document: documented status, media type, schema."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from aiohttp import web
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from intake.http.keys import SERVICES
from intake.http.openapi import openapi_document
from workplace.app import is_workplace

DOCUMENT_URI = "urn:leadintake:openapi"
JSON = "application/json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

FORMATS = FormatChecker(formats=())


@FORMATS.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    """RFC 3339: a date, a time and an offset (what `datetime.isoformat()` writes for UTC)."""
    if not isinstance(value, str):
        return True
    return datetime.fromisoformat(value).tzinfo is not None


def _pointer(*parts: str) -> str:
    return "/".join(p.replace("~", "~0").replace("/", "~1") for p in parts)


@dataclass
class ResponseContract:
    """The document's promises, and every answer that broke one."""

    document: dict[str, Any]
    violations: list[str] = field(default_factory=list)
    checked: int = 0

    def __post_init__(self) -> None:
        resource = Resource.from_contents(self.document, default_specification=DRAFT202012)
        self._registry: Registry[Any] = Registry().with_resource(DOCUMENT_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def problems(
        self, method: str, path: str, status: int, content_type: str | None, body: bytes | None
    ) -> list[str]:
        """What is wrong with one answer to `method path` (a path template), if anything."""
        where = f"{method} {path} → {status}"
        operation = self.document["paths"].get(path, {}).get(method.lower())
        if operation is None:
            return [f"{where}: the operation is not in the OpenAPI document"]
        responses = operation["responses"]
        key = next(
            (k for k in (str(status), f"{str(status)[0]}XX", "default") if k in responses), None
        )
        if key is None:
            return [f"{where}: status not documented (documented: {', '.join(responses)})"]
        content = responses[key].get("content")
        if not content:
            return []
        media = (content_type or "").split(";")[0].strip()
        if media not in content:
            return [f"{where}: content type {media!r} not documented ({', '.join(content)})"]
        if media != JSON or "schema" not in content[media]:
            return []
        try:
            data = json.loads(body or b"")
        except ValueError:
            return [f"{where}: the body is not JSON: {(body or b'')[:200]!r}"]
        pointer = _pointer("paths", path, method.lower(), "responses", key, "content", media)
        errors = sorted(self._validator(f"{pointer}/schema").iter_errors(data), key=str)
        return [
            f"{where}: {'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
            for e in errors[:5]
        ]

    def component_problems(self, name: str, data: Any) -> list[str]:
        """What is wrong with `data` as the component schema `name`."""
        validator = self._validator(_pointer("components", "schemas", name))
        return [f"{name}: {e.message}" for e in validator.iter_errors(data)]

    def _validator(self, pointer: str) -> Draft202012Validator:
        if pointer not in self._validators:
            schema = {"$ref": f"{DOCUMENT_URI}#/{pointer}"}
            self._validators[pointer] = Draft202012Validator(
                schema, registry=self._registry, format_checker=FORMATS
            )
        return self._validators[pointer]

    def record(
        self, method: str, path: str, status: int, content_type: str | None, body: bytes | None
    ) -> None:
        """Check one answer and keep what was wrong with it."""
        self.checked += 1
        self.violations.extend(self.problems(method, path, status, content_type, body))

    def assert_kept(self) -> None:
        """Fail with every broken promise, if any."""
        if self.violations:
            listed = "\n  ".join(dict.fromkeys(self.violations))
            raise AssertionError(f"responses that break the OpenAPI document:\n  {listed}")


def check_responses(app: web.Application) -> ResponseContract:
    """Add a middleware (outermost) that checks every answer of `app` against its document."""
    contract = ResponseContract(openapi_document(app[SERVICES].settings))

    @web.middleware
    async def contract_check(request: web.Request, handler: Handler) -> web.StreamResponse:
        resource = request.match_info.route.resource
        if resource is None:  # no such route: aiohttp's own 404/405, not an operation's answer
            return await handler(request)
        path = resource.canonical
        if is_workplace(resource):  # the workplace's HTML pages, not the API
            return await handler(request)
        try:
            response = await handler(request)
        except web.HTTPException as exc:
            contract.record(request.method, path, exc.status, exc.content_type, None)
            raise
        body = response.body if isinstance(response, web.Response) else None
        raw = body if isinstance(body, bytes) else None
        contract.record(request.method, path, response.status, response.content_type, raw)
        return response

    app.middlewares.insert(0, contract_check)
    return contract
