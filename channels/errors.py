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
    """The body could not be decoded in its declared format."""


class InvalidSubmission(ChannelError):
    """The body decoded but lacks or mangles a required field."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
