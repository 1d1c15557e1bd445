"""Dependency direction of the offline tools: they use the core, the core never uses them, and
the service shell reaches them only from its command line."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


def imported_modules(package: str) -> Iterator[tuple[Path, str]]:
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                yield from ((path, alias.name) for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                yield path, node.module


def top(module: str) -> str:
    return module.split(".", 1)[0]


@pytest.mark.parametrize("package", ["crm_core", "channels", "dedupe", "config"])
def test_core_packages_never_import_offline(package: str) -> None:
    offenders = [str(p) for p, m in imported_modules(package) if top(m) == "offline"]
    assert offenders == []


def test_offline_imports_neither_the_service_shell_nor_web_frameworks() -> None:
    offenders = [
        f"{p}: {m}"
        for p, m in imported_modules("offline")
        if top(m) in {"intake", "aiohttp", "aiogram"}
    ]
    assert offenders == []


def test_service_shell_reaches_offline_only_from_its_cli() -> None:
    users = {
        p.relative_to(ROOT).as_posix()
        for p, m in imported_modules("intake")
        if top(m) == "offline"
    }
    assert users <= {"intake/cli.py"}


def test_offline_tools_left_the_service_shell() -> None:
    moved = ["contact_import", "base_load", "dedupe_eval", "csv_input", "jsonl_input"]
    assert [name for name in moved if (ROOT / "intake" / f"{name}.py").exists()] == []
