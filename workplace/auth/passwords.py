"""Password hashes: argon2id with argon2-cffi's defaults (RFC 9106's low-memory profile)."""

from __future__ import annotations

import asyncio
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

_HASHER = PasswordHasher()


@cache
def _dummy_hash() -> str:
    # Checked when a login has no password, so an unknown login costs the same time as a
    # known one and answers reveal nothing.
    return _HASHER.hash("leadintake: no password set")


def hash_password(password: str) -> str:
    """The argon2id hash of a password (CPU- and memory-heavy: call from a thread)."""
    return _HASHER.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether the password matches the hash; False for a missing or malformed hash (the
    same work is done either way)."""
    try:
        return _HASHER.verify(password_hash or _dummy_hash(), password) and bool(password_hash)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def hash_password_async(password: str) -> str:
    """hash_password in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(hash_password, password)


async def verify_password_async(password_hash: str | None, password: str) -> bool:
    """verify_password in a worker thread, so the event loop keeps serving."""
    return await asyncio.to_thread(verify_password, password_hash, password)
