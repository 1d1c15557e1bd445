"""Dependency direction of the offline tools (beside test_architecture's core rules): they use
the core, never the service shell, and the shell reaches them only from its command line."""

from __future__ import annotations

from tests.unit.test_architecture import ROOT, violations


def test_offline_imports_neither_the_service_shell_nor_web_frameworks() -> None:
    assert violations("offline", frozenset({"intake", "aiohttp", "aiogram", "workplace"})) == []


def test_service_shell_reaches_offline_only_from_its_cli() -> None:
    found = violations("intake", frozenset({"offline"}))
    assert found  # the CLI does use them: the scan sees it
    assert [row for row in found if not row.startswith("intake/cli.py:")] == []


def test_offline_tools_left_the_service_shell() -> None:
    moved = ["contact_import", "base_load", "dedupe_eval", "csv_input", "jsonl_input"]
    assert [name for name in moved if (ROOT / "intake" / f"{name}.py").exists()] == []
