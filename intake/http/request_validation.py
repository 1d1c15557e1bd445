"""JSON request bodies validated by the models the OpenAPI document is generated from.

For every operation of the table (`intake.http.openapi.OPERATIONS`) whose request body is a
pydantic model taken as JSON, the middleware looks the route up by method and path template
and validates the body against that model before the handler runs: a body the document
refuses is a 400 `invalid_body` naming the field, on every route alike. Handlers keep their
own parsing (the models accept exactly what it accepts) and their 422s for values that depend
on the configuration (junk reasons, stages, manager logins).

The order of the answers stays the handlers' one: a request without a valid bearer token is
401 whatever its body, and a malformed path id is named before the body.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from aiohttp import web
from pydantic import BaseModel, ValidationError

from intake.http.body import BadBody, json_body, required_path_id
from intake.http.contract import JSON, Operation
from intake.http.errors import BAD_INPUT_CODES, Handler, error_response
from intake.http.leads import bearer_manager
from intake.http.openapi import OPERATIONS
from intake.http.uploads import is_upload

# Wire formats we do not own, validated by their channel parsers instead.
WIRE_FORMAT_PATHS = ("/api/v1/forms/{form_key}",)
WIRE_FORMAT_PREFIXES = ("/hooks/",)


@dataclass(frozen=True, slots=True)
class ValidatedRoute:
    """What the middleware checks on one route: its integer path ids and its body model."""

    operation: Operation
    model: type[BaseModel]
    path_ids: tuple[str, ...]


def is_wire_format(operation: Operation) -> bool:
    """A route whose body is a sender's wire format (website forms, webhooks)."""
    return operation.path in WIRE_FORMAT_PATHS or operation.path.startswith(WIRE_FORMAT_PREFIXES)


def takes_json_model(operation: Operation) -> bool:
    """The operation documents a pydantic model as its JSON request body."""
    request = operation.request
    return request is not None and isinstance(request.body, type) and JSON in request.content_types


def validated_routes(
    operations: Iterable[Operation] = OPERATIONS,
) -> dict[tuple[str, str], ValidatedRoute]:
    """Per (method, path template), the routes whose JSON body a model validates."""
    routes: dict[tuple[str, str], ValidatedRoute] = {}
    for op in operations:
        if not takes_json_model(op) or is_wire_format(op):
            continue
        assert op.request is not None and isinstance(op.request.body, type)
        if op.request.content_types != (JSON,):
            raise ValueError(f"{op.method} {op.path}: a model body must be JSON only")
        ids = tuple(
            p.name for p in op.params if p.where == "path" and p.schema.get("type") == "integer"
        )
        routes[(op.method.upper(), op.path)] = ValidatedRoute(op, op.request.body, ids)
    return routes


ROUTES: Mapping[tuple[str, str], ValidatedRoute] = validated_routes()


def route_of(request: web.Request) -> ValidatedRoute | None:
    """The validated route a request was matched to, if its body is validated."""
    resource = request.match_info.route.resource
    if resource is None:
        return None
    return ROUTES.get((request.method, resource.canonical))


async def check_request(request: web.Request, route: ValidatedRoute) -> None:
    """Raise BadPath/BadBody (naming the parameter or the dotted field) unless the path ids
    and the JSON body are what the operation documents."""
    for name in route.path_ids:
        required_path_id(request, name)
    body = await json_body(request)
    try:
        route.model.model_validate(body)
    except ValidationError as err:
        raise _bad_body(err) from err


def _bad_body(err: ValidationError) -> BadBody:
    first = err.errors(include_url=False, include_input=False)[0]
    field = ".".join(str(part) for part in first["loc"]) or "body"
    if first["type"] == "missing":
        return BadBody(field, f"{field} is required")
    return BadBody(field, f"{field}: {first['msg']}")


@web.middleware
async def request_validation_middleware(
    request: web.Request, handler: Handler
) -> web.StreamResponse:
    """Refuse a JSON body its operation's model does not accept, before the handler runs."""
    route = route_of(request)
    if route is None or is_upload(request):
        # An upload's form is read and checked by its handler (intake.http.uploads).
        return await handler(request)
    try:
        await check_request(request, route)
    except (BadBody, web.HTTPException) as problem:
        # Without a valid token the handler answers 401 before it looks at the request.
        if route.operation.auth and await bearer_manager(request) is None:
            return await handler(request)
        if isinstance(problem, web.HTTPException):
            raise
        code = BAD_INPUT_CODES.get(type(problem), "invalid_body")
        return error_response(400, code, problem.message, field=problem.field)
    return await handler(request)
