"""Errors every channel adapter raises at its boundary."""

from __future__ import annotations


class ChannelError(Exception):
    """Base for errors raised by channel adapters."""


class ChannelAuthFailed(ChannelError):
    """The sender failed the authenticity check (secret, signature)."""


class UnsupportedContentType(ChannelError):
    """The request body is in a format the channel does not accept."""

    def __init__(self, content_type: str) -> None:
        super().__init__(f"unsupported content type {content_type!r}")
        self.content_type = content_type


class MalformedBody(ChannelError):
    """The body could not be decoded in its declared format.

    `field` names the part at fault when it is narrower than the whole body (a field whose
    nesting or size is out of bounds); "body" otherwise.
    """

    def __init__(self, message: str, field: str = "body") -> None:
        super().__init__(message)
        self.field = field


class InvalidSubmission(ChannelError):
    """The body decoded but lacks or mangles a required field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


class ChannelUnavailable(ChannelError):
    """The channel's server could not be reached or answered with a temporary failure.

    Trying again later may succeed; `retry_after` is the wait in seconds when the server
    named one (Telegram's flood control).
    """

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after
