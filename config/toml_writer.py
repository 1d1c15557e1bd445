"""Arrays of tables written as TOML the way the config file is written (no library writes it).

Values are strings, booleans, integers, lists and tables; a list of tables is written one
inline table per line; absences' `from`/`to` date-times (ISO text in documents) are written as
TOML date-times.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

_DATETIME_KEYS = frozenset({"from", "to"})


def tables_toml(name: str, tables: Sequence[Mapping[str, Any]]) -> str:
    """`[[name]]` blocks, one per table, separated by a blank line."""
    return "\n".join(_block(f"[[{name}]]", table) for table in tables)


def table_toml(path: str, table: Mapping[str, Any]) -> str:
    """One `[path]` block (`path` as written: `leads`, `telephony.lines."74951234567"`)."""
    return _block(f"[{path}]", table)


def _block(header: str, table: Mapping[str, Any]) -> str:
    lines = [header]
    for key, value in table.items():
        if _is_table_list(value):
            lines.append(f"{_key(key)} = [")
            lines.extend(f"  {_inline(item)}," for item in value)
            lines.append("]")
        else:
            lines.append(f"{_key(key)} = {_value(value)}")
    return "\n".join(lines) + "\n"


def _is_table_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _inline(table: Mapping[str, Any]) -> str:
    pairs = ", ".join(f"{_key(k)} = {_value(v, key=k)}" for k, v in table.items())
    return f"{{ {pairs} }}"


def _value(value: Any, *, key: str = "") -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value)  # 12.0, 0.5, inf: TOML's own spellings
    if isinstance(value, str):
        if key in _DATETIME_KEYS and _is_datetime(value):
            return value
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        return _inline(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"no TOML form for {value!r}")


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key, ensure_ascii=False)


def _is_datetime(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True
