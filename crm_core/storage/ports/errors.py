"""What storage raises at its boundary."""

from __future__ import annotations


class StorageUnavailable(Exception):
    """The database could not be reached or refused the operation."""


class StorageAlreadyOpen(RuntimeError):
    """`open()` of a storage that is open already: close it first (a second open would leak
    the first one's connections and threads)."""


class StorageRejected(Exception):
    """The database refused a value of the data itself (not an outage): retrying cannot help."""


class MigrationChanged(Exception):
    """A migration file differs from the one applied to the database: refuse to start."""
