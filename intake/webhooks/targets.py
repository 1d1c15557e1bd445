"""Which receiver URLs are allowed: http(s) only, and no private or loopback address unless
the settings allow it (checked on the URL and again on every address a name resolves to)."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import DefaultResolver

LOCAL_NAMES = ("localhost", ".localhost", ".local", ".internal", ".lan", ".home.arpa")
MAX_URL = 2000


class TargetRefused(Exception):
    """The URL is not a receiver the service may call; the message says why."""


def check_url(url: str, *, allow_private: bool) -> str:
    """The URL, trimmed, if it is an allowed receiver; else TargetRefused."""
    url = url.strip()
    if len(url) > MAX_URL:
        raise TargetRefused(f"must be at most {MAX_URL} characters")
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises on a bad port
    except ValueError as err:
        raise TargetRefused(f"not a URL: {err}") from err
    if parts.scheme not in ("http", "https"):
        raise TargetRefused("must be an http:// or https:// URL")
    host = (parts.hostname or "").lower()
    if not host:
        raise TargetRefused("must name a host")
    if parts.username or parts.password:
        raise TargetRefused("must not carry a user name or password")
    if not allow_private and private_host(host):
        raise TargetRefused("private, loopback and link-local addresses are not allowed")
    return url


def private_host(host: str) -> bool:
    """Whether a host name or address is local to some network (not a public receiver)."""
    if host == "localhost" or host.endswith(LOCAL_NAMES):
        return True
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return "." not in host  # a bare name resolves inside a local network
    return not address.is_global


class PublicResolver(AbstractResolver):
    """Resolves names like aiohttp does, refusing private addresses (a public name that
    resolves to 10.0.0.5 must not let a subscription reach the internal network)."""

    def __init__(self) -> None:
        self._inner = DefaultResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        """The addresses of `host`, or OSError when any of them is private."""
        found = await self._inner.resolve(host, port, family)
        for result in found:
            if private_host(str(result["host"])):
                raise OSError(f"{host} resolves to a private address")
        return found

    async def close(self) -> None:
        """Release the inner resolver."""
        await self._inner.close()


def resolver(*, allow_private: bool) -> Any:
    """The resolver the sender's HTTP client uses."""
    return DefaultResolver() if allow_private else PublicResolver()
