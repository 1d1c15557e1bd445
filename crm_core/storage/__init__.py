"""Storage behind one repository interface: SQLite (aiosqlite) or PostgreSQL (asyncpg)."""

from crm_core.storage.factory import open_storage
from crm_core.storage.ports import (
    MigrationChanged,
    Storage,
    StorageAlreadyOpen,
    StorageRejected,
    StorageUnavailable,
    UnitOfWork,
)

__all__ = [
    "MigrationChanged",
    "Storage",
    "StorageAlreadyOpen",
    "StorageRejected",
    "StorageUnavailable",
    "UnitOfWork",
    "open_storage",
]
