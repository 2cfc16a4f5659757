"""Who is on the other end: the client's address, believing `X-Forwarded-For` only from trusted proxies.

`SHEBAO_TRUSTED_PROXIES` (default: none) lists the load balancers in front of the service. The
address is the peer's, unless the peer is a trusted proxy: then the nearest address in
`X-Forwarded-For` that is not itself a trusted proxy (read from the right: the left end is whatever
the client wrote). `shebao serve` gives uvicorn the same list, so uvicorn has already done this
when it runs the app; doing it again here finds the same address, and keeps tests and other
servers honest.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

from fastapi import Request

from shebao.config import Settings

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
UNKNOWN = "unknown"


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _trusted(text: str, proxies: Sequence[Network]) -> bool:
    address = _address(text)
    return address is not None and any(address in network for network in proxies)


def resolve(peer: str | None, forwarded_for: str | None, proxies: Sequence[Network]) -> str:
    if not peer:
        return UNKNOWN
    if not proxies or not _trusted(peer, proxies):
        return peer
    hops = [hop.strip() for hop in (forwarded_for or "").split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            return hop if _address(hop) is not None else UNKNOWN
    return hops[0] if hops else peer


def client_address(request: Request) -> str:
    settings: Settings = request.app.state.runtime.settings
    peer = request.client.host if request.client else None
    return resolve(peer, request.headers.get("x-forwarded-for"), settings.trusted_proxy_networks)


def address_bucket(address: str) -> str:
    """What rate limits count against: the address, or its /64 for IPv6 (one subscriber's whole range)."""
    parsed = _address(address)
    if isinstance(parsed, ipaddress.IPv6Address) and parsed.ipv4_mapped is None:
        return str(ipaddress.IPv6Network((parsed, 64), strict=False))
    return str(parsed.ipv4_mapped if isinstance(parsed, ipaddress.IPv6Address) else parsed or address)


@dataclass(frozen=True)
class ProxyOptions:
    """uvicorn's proxy settings for `shebao serve` and `shebao demo`: the same trusted proxies."""

    proxy_headers: bool
    forwarded_allow_ips: str | None


def proxy_options(settings: Settings) -> ProxyOptions:
    proxies = [str(network) for network in settings.trusted_proxy_networks]
    return ProxyOptions(proxy_headers=bool(proxies), forwarded_allow_ips=",".join(proxies) or None)
