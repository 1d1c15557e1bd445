"""The operation table's vocabulary and the builder of the OpenAPI 3.1 document.

A route is described once, as an `Operation`: its path, parameters, request model and replies
by status. Bodies are the pydantic models of `intake.http.schemas`; their JSON schemas become
the document's components, so the document cannot disagree with the models.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import (
    GenerateJsonSchema,
    JsonSchemaMode,
    JsonSchemaValue,
    models_json_schema,
)

from intake.http.schemas.errors import Error

JSON = "application/json"
TEXT = "text/plain"
FORM = "application/x-www-form-urlencoded"
MULTIPART = "multipart/form-data"
REF = "#/components/schemas/{model}"
INT64_MAX = 2**63 - 1
BEARER: list[dict[str, list[str]]] = [{"bearer": []}]

Schema = Mapping[str, Any]
# A body is a model (its schema becomes a component) or, for wire formats we do not own
# (the generic PBX event), a JSON schema given as is.
BodyType = type[BaseModel] | Schema

# What each error status means when a route does not say more.
ERRORS: dict[int, str] = {
    400: "Malformed body, path or query; the error names the field",
    401: "No valid bearer token",
    403: "The caller's role may not do this",
    404: "No such record visible to the caller",
    408: "The body did not arrive in time; the connection is closed",
    409: "Conflicts with the record's current state",
    413: "Body larger than the limit",
    415: "Unsupported content type",
    422: "A value is not allowed; the error names the field",
    429: "Too many requests; retry after Retry-After seconds",
    502: "The platform behind the service did not answer as expected",
    503: "Storage unavailable; nothing was done, retry after Retry-After seconds",
}
RETRY_AFTER = {"Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer"}}}


@dataclass(frozen=True, slots=True)
class Param:
    """A path, query or header parameter."""

    name: str
    where: Literal["path", "query", "header"]
    schema: Schema
    description: str | None = None
    required: bool = False

    def to_openapi(self) -> dict[str, Any]:
        """The parameter object."""
        param: dict[str, Any] = {
            "name": self.name,
            "in": self.where,
            "required": self.required or self.where == "path",
            "schema": dict(self.schema),
        }
        if self.description:
            param["description"] = self.description
        return param


@dataclass(frozen=True, slots=True)
class Reply:
    """A documented non-error answer: its description and body (None: no body)."""

    description: str
    body: BodyType | None = None
    content_type: str = JSON
    # Other content types the same answer may come in (a printable HTML form of a JSON
    # body), each with its schema given as is.
    alternatives: Mapping[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Request:
    """A request body and the content types it may come in."""

    body: BodyType
    content_types: tuple[str, ...] = (JSON,)
    required: bool = True
    # Content types whose body has a schema of its own (a multipart form with a file part
    # beside the JSON model), each given as is.
    other_bodies: Mapping[str, Schema] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Operation:
    """One route: method, path template, what it takes and everything it may answer.

    `errors` maps the statuses the handler itself returns to what they mean there (an empty
    string takes the meaning from `ERRORS`). 401 (with `auth`), 413 (with a request body) and
    503 (with `storage`) are added by the builder, since the shared layers answer those.
    """

    method: str
    path: str
    operation_id: str
    summary: str
    replies: Mapping[int, Reply]
    errors: Mapping[int, str] = field(default_factory=dict)
    params: tuple[Param, ...] = ()
    request: Request | None = None
    auth: bool = True
    storage: bool = True
    tag: str | None = None

    def statuses(self) -> dict[int, str]:
        """Every error status with its description, including the shared layers' ones."""
        found = dict(self.errors)
        if self.auth:
            found.setdefault(401, "")
        if self.request is not None:
            found.setdefault(413, "")
        if self.storage:
            found.setdefault(503, "")
        return {status: found[status] or ERRORS[status] for status in sorted(found)}


def _binary(schema: Any) -> bool:
    if not isinstance(schema, Mapping):
        return False
    if schema.get("format") == "binary":
        return True
    return _binary(schema.get("items"))


def path_id(name: str, description: str | None = None) -> Param:
    """A numeric id in the path: positive, within 64 bits."""
    return Param(name, "path", id_schema(), description)


def id_schema() -> dict[str, Any]:
    """The schema of a record id."""
    return {"type": "integer", "format": "int64", "minimum": 1, "maximum": INT64_MAX}


def path_text(name: str, description: str | None = None) -> Param:
    """A string key in the path (form key, bot name...)."""
    return Param(name, "path", {"type": "string"}, description)


def query(name: str, schema: Schema | None = None, description: str | None = None) -> Param:
    """An optional query parameter (a string unless a schema says more)."""
    return Param(name, "query", schema or {"type": "string"}, description)


def limit(maximum: int = 500, default: int = 50) -> Param:
    """The page size of a listing."""
    schema = {"type": "integer", "minimum": 1, "maximum": maximum, "default": default}
    return Param("limit", "query", schema)


class _Generator(GenerateJsonSchema):
    """Pydantic's schemas without a title on every property (the name says it)."""

    def field_title_should_be_set(self, schema: Any) -> bool:
        return False

    def default_schema(self, schema: Any) -> JsonSchemaValue:
        # `str | SkipJsonSchema[None] = None` is an absent field, not a null one: documenting
        # `"default": null` for a string would contradict its own type.
        json_schema = super().default_schema(schema)
        if json_schema.get("default", ...) is None and json_schema.get("type", "null") != "null":
            del json_schema["default"]
        return json_schema


def _models(operations: Iterable[Operation]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    pairs: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for op in operations:
        for reply in op.replies.values():
            if isinstance(reply.body, type):
                pairs[(reply.body, "serialization")] = None
        if op.request is not None and isinstance(op.request.body, type):
            pairs[(op.request.body, "validation")] = None
    return list(pairs)


def build_document(
    operations: Sequence[Operation], *, server_url: str, title: str, version: str
) -> dict[str, Any]:
    """The OpenAPI 3.1 document of the operations, with their models as components."""
    refs, top = models_json_schema(
        _models(operations), ref_template=REF, schema_generator=_Generator
    )

    def schema_of(body: BodyType, mode: JsonSchemaMode) -> dict[str, Any]:
        if isinstance(body, type):
            return dict(refs[(body, mode)])
        return dict(body)

    error = schema_of(Error, "serialization")
    paths: dict[str, dict[str, Any]] = {}
    seen_ids: set[str] = set()
    for op in operations:
        method = op.method.lower()
        if method in paths.get(op.path, {}):
            raise ValueError(f"{op.method} {op.path} is described twice")
        if op.operation_id in seen_ids:
            raise ValueError(f"operationId {op.operation_id} is used twice")
        seen_ids.add(op.operation_id)
        responses: dict[str, Any] = {}
        for status, reply in sorted(op.replies.items()):
            answer: dict[str, Any] = {"description": reply.description}
            if reply.body is not None:
                answer["content"] = {
                    reply.content_type: {"schema": schema_of(reply.body, "serialization")},
                    **{ct: {"schema": dict(sc)} for ct, sc in reply.alternatives.items()},
                }
            responses[str(status)] = answer
        for status, description in op.statuses().items():
            if str(status) in responses:
                continue
            answer = {"description": description, "content": {JSON: {"schema": error}}}
            if status in (429, 503):
                answer["headers"] = RETRY_AFTER
            responses[str(status)] = answer
        operation: dict[str, Any] = {"summary": op.summary, "operationId": op.operation_id}
        if op.tag:
            operation["tags"] = [op.tag]
        if op.auth:
            operation["security"] = BEARER
        if op.params:
            operation["parameters"] = [p.to_openapi() for p in op.params]
        if op.request is not None:
            body_schema = schema_of(op.request.body, "validation")
            content: dict[str, Any] = {
                ct: {"schema": body_schema} for ct in op.request.content_types
            }
            for ct, schema in op.request.other_bodies.items():
                content[ct] = {"schema": dict(schema)}
                if ct == MULTIPART:
                    binary = [k for k, v in schema.get("properties", {}).items() if _binary(v)]
                    if binary:
                        content[ct]["encoding"] = {
                            k: {"contentType": "application/octet-stream"} for k in binary
                        }
            operation["requestBody"] = {"required": op.request.required, "content": content}
        operation["responses"] = responses
        paths.setdefault(op.path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": version},
        "servers": [{"url": server_url}],
        "paths": paths,
        "components": {
            "schemas": top.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
