"""`leadintake token list | revoke`: API tokens seen and withdrawn from the command line."""

from __future__ import annotations

from datetime import datetime

from config import Settings
from crm_core.tokens import ApiToken
from intake.auth import list_tokens, revoke_token
from intake.bootstrap import build_storage, prepare_storage
from intake.clock import utcnow

COLUMNS = ("id", "login", "created", "last_used", "expires", "state")


async def token_list(settings: Settings) -> list[ApiToken]:
    """Every token, newest first."""
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        return await list_tokens(storage)
    finally:
        await storage.close()


async def token_revoke(settings: Settings, token_id: int) -> ApiToken | None:
    """Revoke one token; None when there is no such token."""
    storage = build_storage(settings)
    try:
        await prepare_storage(settings, storage)
        return await revoke_token(storage, token_id)
    finally:
        await storage.close()


def render_tokens(tokens: list[ApiToken], now: datetime | None = None) -> str:
    """A plain table (tab-separated, one token a line); never the secret, which is not kept."""
    now = now or utcnow()
    lines = ["\t".join(COLUMNS)]
    for t in tokens:
        cells = (str(t.id), t.login, _at(t.created_at), _at(t.last_used_at), _at(t.expires_at))
        lines.append("\t".join((*cells, t.state(now).value)))
    return "\n".join(lines)


def _at(value: datetime | None) -> str:
    return value.isoformat(timespec="seconds") if value else "-"
