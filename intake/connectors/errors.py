"""What a remote CRM call can end with besides success."""

from __future__ import annotations


class RemoteFailed(Exception):
    """The remote CRM did not do what was asked; the delivery is tried again later.

    `status` is its HTTP status (None: no answer), `answer` the start of what it said.
    """

    def __init__(self, status: int | None, message: str, answer: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.answer = answer
