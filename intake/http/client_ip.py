"""The client's address: the peer, or X-Forwarded-For when the peer is a trusted proxy."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from aiohttp import web

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class TrustedProxies:
    """Networks whose X-Forwarded-For header is believed."""

    def __init__(self, networks: Iterable[str]) -> None:
        self._networks: tuple[Network, ...] = tuple(
            ipaddress.ip_network(n, strict=False) for n in networks
        )

    def trusts(self, address: str) -> bool:
        """True when the address lies in a trusted network."""
        parsed = _address(address)
        return parsed is not None and any(parsed in n for n in self._networks)

    def client_ip(self, peer: str | None, forwarded_for: str | None) -> str:
        """The client: the right-most X-Forwarded-For hop not in a trusted network, when the
        peer itself is trusted; otherwise the peer (a client may write any header it likes)."""
        if not peer:
            return "unknown"
        if not forwarded_for or not self.trusts(peer):
            return peer
        hops = [h.strip() for h in forwarded_for.split(",") if h.strip()]
        for hop in reversed(hops):
            if _address(hop) is None:
                # Garbage in the chain: nothing left of it can be believed.
                return peer
            if not self.trusts(hop):
                return hop
        return hops[0] if hops else peer


def limit_key(client_ip: str) -> str:
    """What a rate limit counts: the address, or its /64 for IPv6 (one subscriber's share,
    which a client can otherwise rotate through at will)."""
    parsed = _address(client_ip)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return client_ip


def request_client_ip(request: web.Request, proxies: TrustedProxies) -> str:
    """The client address of a request."""
    return proxies.client_ip(request.remote, request.headers.get("X-Forwarded-For"))


def _address(text: str) -> Address | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
