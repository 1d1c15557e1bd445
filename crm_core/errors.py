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


class RuleError(DomainError):
    """A sales-process rule refused a command: `rule` names it, the message says what is needed."""

    def __init__(self, rule: str, field: str, message: str, status: int = 409) -> None:
        super().__init__(field, message, status)
        self.rule = rule


class NotFound(DomainError):
    """The record does not exist (or is not visible to the actor)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(field, message, 404)
