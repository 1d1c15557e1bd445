"""The layers' import rules hold: dependencies point inward, read from the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = frozenset({"aiosqlite", "asyncpg"})
# What each top-level package must never import (top-level names of imported modules).
FORBIDDEN: dict[str, frozenset[str]] = {
    "dedupe": frozenset({"crm_core", "intake", "channels", "config", "offline", "workplace"}),
    "channels": frozenset({"crm_core", "intake", "config", "offline", "workplace"}),
    "crm_core": frozenset(
        {"intake", "channels", "config", "offline", "workplace", "aiohttp", "aiogram"}
    ),
}


def imported_modules(path: Path) -> Iterator[tuple[str, int]]:
    """Every absolute module name a file imports, with its line."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.module, node.lineno


def violations(package: str, banned: frozenset[str]) -> list[str]:
    """`file:line imports module` for each import of a banned top-level package."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for module, line in imported_modules(path):
            if module.split(".")[0] in banned:
                found.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_inner_layers_never_import_outer_ones(package: str) -> None:
    assert violations(package, FORBIDDEN[package]) == []


def test_database_drivers_stay_inside_storage() -> None:
    found = [
        row for row in violations("crm_core", DRIVERS) if not row.startswith("crm_core/storage/")
    ]
    assert found == []


def test_the_scan_sees_a_real_import() -> None:
    # Guards the scanner itself: intake does import crm_core, so a scan of it must say so.
    assert violations("intake", frozenset({"crm_core"}))
