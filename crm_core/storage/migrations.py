"""Versioned SQL migrations: files NNNN_name.sql per dialect, applied in order, once."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    """One migration file."""

    version: int
    name: str
    sql: str


def load_migrations(dialect: str) -> list[Migration]:
    """All migrations of a dialect ('sqlite' or 'postgres'), ordered by version."""
    folder = resources.files("crm_core.storage").joinpath("migrations", dialect)
    found = []
    for entry in folder.iterdir():
        match = MIGRATION_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match.group(1)), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"duplicate migration versions in {dialect}: {versions}")
    return found
