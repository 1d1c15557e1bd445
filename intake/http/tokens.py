"""/api/v1/tokens: heads issue, see and withdraw managers' API tokens."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from aiohttp import web

from crm_core.access import may_change_settings
from crm_core.tokens import ApiToken, UnknownManager
from intake.auth import issue_api_token, list_tokens, revoke_token
from intake.clock import utcnow
from intake.http.body import json_body, required_path_id
from intake.http.errors import error_response
from intake.http.keys import SERVICES, current_manager
from intake.http.leads import require_manager
from intake.http.responses import json_response


@require_manager
async def list_tokens_route(request: web.Request) -> web.StreamResponse:
    """Every token (never its secret), newest first; heads only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    tokens = await list_tokens(request.app[SERVICES].storage)
    return json_response({"items": [token_json(t) for t in tokens]})


@require_manager
async def issue_token_route(request: web.Request) -> web.StreamResponse:
    """Issue a named token for an active manager; its secret is in this answer only; heads
    only."""
    if (denied := _heads_only(request)) is not None:
        return denied
    body = await json_body(request)  # validated by the documented model (NewApiToken)
    login, name = str(body["login"]).strip(), str(body["name"]).strip()
    services = request.app[SERVICES]
    try:
        issued = await issue_api_token(
            services.storage,
            login,
            name,
            current_manager(request).login,
            expires_in=timedelta(days=services.settings.tokens.expiry_days),
        )
    except UnknownManager:
        return error_response(404, "not_found", f"no active manager {login!r}", field="login")
    return json_response(token_json(issued.token) | {"token": issued.secret}, status=201)


@require_manager
async def revoke_token_route(request: web.Request) -> web.StreamResponse:
    """Revoke a token: it answers 401 from now on; heads only; revoking twice changes nothing."""
    if (denied := _heads_only(request)) is not None:
        return denied
    token_id = required_path_id(request, "token_id")
    revoked = await revoke_token(
        request.app[SERVICES].storage, token_id, current_manager(request).login
    )
    if revoked is None:
        return error_response(404, "not_found", f"no token with id {token_id}", field="token_id")
    return json_response(token_json(revoked))


def token_json(token: ApiToken) -> dict[str, Any]:
    """A token as the API shows it."""
    return {
        "id": token.id,
        "login": token.login,
        "name": token.name,
        "created_at": token.created_at.isoformat(),
        "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None,
        "expires_at": token.expires_at.isoformat() if token.expires_at else None,
        "revoked_at": token.revoked_at.isoformat() if token.revoked_at else None,
        "state": token.state(utcnow()).value,
    }


def _heads_only(request: web.Request) -> web.Response | None:
    if may_change_settings(current_manager(request)):
        return None
    return error_response(
        403, "forbidden", "only a head of sales manages API tokens", field="Authorization"
    )
