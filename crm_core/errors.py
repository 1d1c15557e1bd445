"""Errors the domain raises at its boundary, translated to HTTP by the service shell."""

from __future__ import annotations


class DomainError(Exception):
    """A command that cannot be carried out: the field at fault and an HTTP-like status."""

    def __init__(self, field: str, message: str, status: int = 422) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.status = status


class MatchError(DomainError):
    """A confirm/reject of a duplicate decision that cannot be applied."""


class MergeError(DomainError):
    """A merge or undo that cannot be carried out."""
