"""Which found token lets its holder in (crm_core.tokens.bearer) and how tokens are stored."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from crm_core.model import Manager, Role
from crm_core.tokens import ApiToken, TokenOwner, bearer, hash_token

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
MANAGER = Manager(1, "petrov", "Пётр Петров", Role.MANAGER, None, None, "Europe/Moscow", True)
TOKEN = ApiToken(1, 1, "petrov", NOW - timedelta(days=1), NOW + timedelta(days=1), None, None)


def test_an_active_token_of_an_active_manager_lets_them_in() -> None:
    assert bearer(TokenOwner(TOKEN, MANAGER), NOW) == MANAGER


def test_unknown_expired_revoked_or_inactive_let_nobody_in() -> None:
    assert bearer(None, NOW) is None
    assert bearer(TokenOwner(replace(TOKEN, expires_at=NOW), MANAGER), NOW) is None
    assert bearer(TokenOwner(replace(TOKEN, revoked_at=NOW), MANAGER), NOW) is None
    assert bearer(TokenOwner(TOKEN, replace(MANAGER, active=False)), NOW) is None


def test_tokens_are_stored_as_sha256_hashes() -> None:
    assert hash_token("li_x") == hash_token("li_x") != "li_x"
    assert len(hash_token("li_x")) == 64
