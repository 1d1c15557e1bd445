"""What the channels' settings parsers share: secrets from the environment, unique names."""

from __future__ import annotations

from collections.abc import Mapping

from channels.spec import ConfigTable

SECRET_KEYS = ("token", "webhook_secret", "secret", "password")


def secret_from_env(s: ConfigTable, env: Mapping[str, str], key: str, default: str) -> str | None:
    """The secret in the variable `key` names (default `default`); never one in the file."""
    for secret_key in SECRET_KEYS:
        if s.data.get(secret_key) is not None:
            raise s.error(secret_key, f"secrets are not written in the file: set {key}")
    return env.get(s.string(key, default)) or None


def require_unique(root: ConfigTable, key: str, values: list[str]) -> None:
    """Refuse a name that appears twice in an array of tables."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise root.error(key, f"{value!r} appears twice")
        seen.add(value)
