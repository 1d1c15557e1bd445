"""The layers' import rules hold: dependencies point inward, read from the source itself."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import crm_core.storage

ROOT = Path(__file__).resolve().parents[2]
DRIVERS = frozenset({"aiosqlite", "asyncpg"})
STORAGE = ROOT / "crm_core" / "storage"
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


def is_port(module: str) -> bool:
    """Whether a module is the storage ports package or one of its modules."""
    return module == "crm_core.storage.ports" or module.startswith("crm_core.storage.ports.")


def storage_violations(path: Path) -> list[str]:
    """Imports in one file of storage code other than its public names and its ports."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    public = set(crm_core.storage.__all__)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules = [(a.name, []) for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules = [(node.module, [a.name for a in node.names])]
        else:
            continue
        for module, names in modules:
            where = f"{path.name}:{node.lineno} imports"
            if module == "crm_core.storage":
                # `from crm_core.storage import sqlite` would reach an adapter as well.
                found += [f"{where} {n}" for n in names if n not in public]
            elif module.startswith("crm_core.storage.") and not is_port(module):
                found.append(f"{where} {module}")
    return found


def test_the_domain_sees_storage_through_its_ports_only() -> None:
    found = [
        row
        for path in sorted((ROOT / "crm_core").rglob("*.py"))
        if not path.is_relative_to(STORAGE)
        for row in storage_violations(path)
    ]
    assert found == []


def test_the_ports_depend_on_no_storage_code() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in sorted((STORAGE / "ports").rglob("*.py"))
        for module, line in imported_modules(path)
        if module.startswith("crm_core.storage.") and not is_port(module)
    ]
    assert found == []


def test_the_storage_scan_sees_adapters(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import crm_core.storage.sqlite\n"
        "from crm_core.storage.sales import SqlSalesRepository\n"
        "from crm_core.storage import sqlite, UnitOfWork\n"
        "from crm_core.storage.ports import SalesRepository\n",
        "utf-8",
    )
    assert storage_violations(bad) == [
        "bad.py:1 imports crm_core.storage.sqlite",
        "bad.py:2 imports crm_core.storage.sales",
        "bad.py:3 imports sqlite",
    ]
