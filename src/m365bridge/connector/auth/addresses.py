"""The caller's address, believing ``X-Forwarded-For`` only as far as it was added by trusted proxies."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from fastapi import Request

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(entries: Iterable[str]) -> list[Network]:
    return [ipaddress.ip_network(entry.strip(), strict=False) for entry in entries if entry.strip()]


def in_networks(address: str, networks: Iterable[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(request: Request, trusted_proxies: Iterable[str]) -> str:
    """Walk ``X-Forwarded-For`` from the right past trusted proxies; the first other hop is the client."""
    peer = request.client.host if request.client else ""
    proxies = parse_networks(trusted_proxies)
    if not proxies or not in_networks(peer, proxies):
        return peer
    hops = [h.strip() for h in ",".join(request.headers.getlist("x-forwarded-for")).split(",") if h.strip()]
    address = peer
    for hop in reversed(hops):
        address = hop
        if not in_networks(hop, proxies):
            break
    return address
