"""Import rules between layers, read from the source (nothing is imported to check them)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import crm_core.storage

ROOT = Path(__file__).resolve().parents[2]
STORAGE = ROOT / "crm_core" / "storage"
PORTS = STORAGE / "ports"


def _modules(folder: Path) -> Iterator[Path]:
    yield from sorted(folder.rglob("*.py"))


def _imports(path: Path) -> Iterator[tuple[int, str, list[str]]]:
    """(line, module, names) of every import in a file; names are empty for `import x`."""
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}:{node.lineno}: relative import"
            yield node.lineno, node.module or "", [a.name for a in node.names]


def _where(path: Path, line: int) -> str:
    return f"{path.relative_to(ROOT) if path.is_relative_to(ROOT) else path}:{line}"


def _is_under(module: str, package: str) -> bool:
    return module == package or module.startswith(f"{package}.")


def _storage_violations(path: Path) -> list[str]:
    """Imports of storage code other than its public API and ports in one file."""
    public_names = set(crm_core.storage.__all__)
    wrong = []
    for line, module, names in _imports(path):
        if not _is_under(module, "crm_core.storage"):
            continue
        if module == "crm_core.storage":
            # `from crm_core.storage import sqlite` would reach an adapter too.
            wrong += [f"{_where(path, line)} {n}" for n in names if n not in public_names]
        elif not _is_under(module, "crm_core.storage.ports"):
            wrong.append(f"{_where(path, line)} {module}")
    return wrong


def test_domain_depends_on_storage_ports_only() -> None:
    wrong = [
        violation
        for path in _modules(ROOT / "crm_core")
        if not path.is_relative_to(STORAGE)
        for violation in _storage_violations(path)
    ]
    assert wrong == [], "crm_core imports storage adapters instead of the ports"


def test_ports_import_no_adapter() -> None:
    wrong = [
        f"{_where(path, line)} {module}"
        for path in _modules(PORTS)
        for line, module, _ in _imports(path)
        if _is_under(module, "crm_core.storage")
        and not _is_under(module, "crm_core.storage.ports")
    ]
    assert wrong == [], "the ports must not depend on the SQL code implementing them"


def test_core_never_imports_the_shell_or_channels() -> None:
    outer = ("aiohttp", "aiogram", "channels", "intake")
    wrong = [
        f"{_where(path, line)} {module}"
        for folder in ("crm_core", "dedupe")
        for path in _modules(ROOT / folder)
        for line, module, _ in _imports(path)
        if any(_is_under(module, o) for o in outer)
    ]
    assert wrong == [], "dependencies must point inward"


def test_the_storage_rule_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "import crm_core.storage.sqlite\n"
        "from crm_core.storage.sales import SqlSalesRepository\n"
        "from crm_core.storage import sqlite, UnitOfWork\n"
        "from crm_core.storage.ports import SalesRepository\n",
        "utf-8",
    )
    wrong = [v.split(" ", 1)[1] for v in _storage_violations(bad)]
    assert wrong == ["crm_core.storage.sqlite", "crm_core.storage.sales", "sqlite"]
