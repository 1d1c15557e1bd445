"""Typed access to a TOML table with errors that name the file, the key and the problem."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

IDENTIFIER = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
_MISSING = object()


class ConfigError(Exception):
    """Configuration is invalid; the message names the file, the key and the problem."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        # The dotted key at fault (`managers[1].timezone`), when one is.
        self.field = field


@dataclass(frozen=True, slots=True)
class Section:
    """One TOML table, remembering its dotted path for error messages."""

    source: str
    path: str
    data: dict[str, Any]

    def error(self, key: str, problem: str) -> ConfigError:
        """A ConfigError naming this section's key."""
        return ConfigError(f"{self.source}: {self._key(key)}: {problem}", self._key(key))

    def _key(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def _get(self, key: str, default: Any) -> Any:
        value = self.data.get(key, default)
        if value is _MISSING:
            raise self.error(key, "is required")
        return value

    def table(self, key: str) -> Section:
        """A sub-table (empty when absent)."""
        value = self._get(key, {})
        if not isinstance(value, dict):
            raise self.error(key, "must be a table")
        return Section(self.source, self._key(key), value)

    def array(self, key: str) -> list[Section]:
        """An array of tables (empty when absent)."""
        value = self._get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(key, "must be an array of tables")
        return [Section(self.source, f"{self._key(key)}[{i}]", v) for i, v in enumerate(value)]

    def string(self, key: str, default: Any = _MISSING) -> str:
        """A non-empty string."""
        value = self._get(key, default)
        if not isinstance(value, str) or not value.strip():
            raise self.error(key, f"must be a non-empty string, got {value!r}")
        return value

    def optional_string(self, key: str) -> str | None:
        """A non-empty string or None when absent."""
        return None if self.data.get(key) in (None, "") else self.string(key)

    def identifier(self, key: str) -> str:
        """A lowercase identifier: letters, digits, '_' and '-'."""
        value = self.string(key)
        if not IDENTIFIER.match(value):
            raise self.error(key, f"must be lowercase letters, digits, '_' or '-', got {value!r}")
        return value

    def choice(self, key: str, default: str, allowed: tuple[str, ...]) -> str:
        """One of the allowed strings."""
        value = self._get(key, default)
        if value not in allowed:
            raise self.error(key, f"must be one of {', '.join(allowed)}, got {value!r}")
        return str(value)

    def integer(
        self, key: str, default: int, *, minimum: int | None = None, maximum: int | None = None
    ) -> int:
        """An integer within bounds."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.error(key, f"must be an integer, got {value!r}")
        if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
            raise self.error(key, f"must be between {minimum} and {maximum}, got {value}")
        return value

    def number(self, key: str, default: float, *, minimum: float) -> float:
        """A number not below the minimum."""
        value = self._get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.error(key, f"must be a number, got {value!r}")
        if value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {value}")
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        """A boolean."""
        value = self._get(key, default)
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {value!r}")
        return value

    def string_list(self, key: str, default: list[str]) -> list[str]:
        """A list of strings."""
        value = self._get(key, default)
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, "must be a list of strings")
        return list(value)

    def string_map(self, key: str) -> dict[str, str]:
        """A table of string values."""
        value = self._get(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            raise self.error(key, "must be a table of strings")
        return dict(value)
