"""Outbound URLs that someone other than the operator chose, checked when stored and pinned when called.

A tenant admin enters a repository Endpoint the cloud then calls; a connector admin enters token, Graph,
support and OIDC URLs the connector then calls. Left unchecked, either turns the server into a proxy into
its own network (SSRF): loopback ports, RFC 1918 hosts, the cloud metadata address 169.254.169.254.

- ``check_url`` refuses, with a message saying what to fix, a URL that is not https or whose host is (or
  resolves to) an address that is not globally routable. A name that does not resolve yet is accepted:
  DNS may be set up after the form is saved; it is checked again at every connection.
- ``PinnedTransport`` resolves the host once per connection, checks every address, and connects to the
  checked one, while TLS (SNI, certificate) and ``Host`` keep the name. A DNS answer that changes between
  the check and the connection (rebinding) therefore cannot steer the call elsewhere.

``allow_private`` (each side's ``allow_private_endpoints`` setting, off by default) admits http, loopback
and private addresses for development and tests that run everything on one machine.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpcore
import httpx

from m365bridge.shared.errors import UserError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], list[str]]
DEV_HINT = "set allow_private_endpoints only for local development"

_RFC1918 = tuple(ipaddress.ip_network(n) for n in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"))
# Named so a refusal says which kind of address it was; anything else not globally routable is "reserved".
_KINDS: tuple[tuple[str, Callable[[IPAddress], bool]], ...] = (
    ("unspecified", lambda a: a.is_unspecified),
    ("loopback", lambda a: a.is_loopback),
    ("link-local", lambda a: a.is_link_local),
    ("multicast", lambda a: a.is_multicast),
    ("carrier-grade NAT", lambda a: a in ipaddress.ip_network("100.64.0.0/10")),
    ("unique local", lambda a: a in ipaddress.ip_network("fc00::/7")),
    ("private", lambda a: any(a in network for network in _RFC1918)),
    ("reserved", lambda a: not a.is_global),
)


class OutboundRefused(UserError):
    """A URL or address the server must not call; the message names it and says what to fix."""


@dataclass(frozen=True)
class OutboundPolicy:
    """``allow_private``: the development setting. ``trusted_hosts``: hosts the operator configured in the
    settings (e.g. the cloud's own identity service), which are called as configured, unchecked."""

    allow_private: bool = False
    trusted_hosts: frozenset[str] = frozenset()

    def checks(self, host: str) -> bool:
        return not self.allow_private and host.lower() not in self.trusted_hosts


def resolve(host: str, port: int) -> list[str]:
    """Every address ``host`` resolves to (system resolver), in the resolver's order."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def forbidden_kind(address: str) -> str | None:
    """Why ``address`` must not be called (``"loopback"``, ``"private"`` …), or ``None`` when it is public.

    An IPv4-mapped IPv6 address (``::ffff:10.0.0.1``) is judged as the IPv4 address it carries.
    """
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return next((kind for kind, test in _KINDS if test(ip)), None)


def _literal(host: str) -> str | None:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        return None


def check_address(what: str, host: str, address: str) -> None:
    kind = forbidden_kind(address)
    if kind is None:
        return
    shown = host if host == address else f"{host} ({address})"
    raise OutboundRefused(
        f"{what} {shown} is a {kind} address; only public addresses can be called. Enter the server's "
        f"public name ({DEV_HINT})."
    )


def check_url(
    url: str, policy: OutboundPolicy, *, what: str = "the URL", resolver: Resolver = resolve
) -> str:
    """``url`` unchanged when it may be stored and called; ``OutboundRefused`` otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise OutboundRefused(f"{what} {url!r} is not a URL; enter e.g. https://contoso.example.com")
    if parts.username or parts.password:
        raise OutboundRefused(f"{what} must not carry credentials (user:password@)")
    if policy.allow_private:
        return url
    if parts.scheme != "https":
        raise OutboundRefused(f"{what} {url!r} must use https ({DEV_HINT} to allow http)")
    host = parts.hostname
    if host == "localhost" or host.endswith(".localhost"):
        raise OutboundRefused(f"{what} {host} is a loopback address; only public addresses can be called.")
    literal = _literal(host)
    if literal is not None:
        check_address(what, host, literal)
        return url
    try:
        port = parts.port or 443
        addresses = resolver(host, port)
    except (OSError, ValueError):
        return url  # not resolvable yet: the connection checks it again (see the module docstring)
    for address in addresses:
        check_address(what, host, address)
    return url


class _GuardedBackend(httpcore.NetworkBackend):
    """Connects only to checked addresses: resolves once, checks, then dials that very address."""

    def __init__(self, policy: OutboundPolicy, resolver: Resolver) -> None:
        self._policy = policy
        self._resolver = resolver
        self._inner = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        literal = _literal(host)
        try:
            addresses = [literal] if literal else self._resolver(host, port)
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
        if self._policy.checks(host):
            for address in addresses:
                try:
                    check_address("the host", host, address)
                except OutboundRefused as exc:
                    raise httpcore.ConnectError(str(exc)) from exc
        failure: Exception | None = None
        for address in addresses:
            try:
                return self._inner.connect_tcp(address, port, timeout, local_address, socket_options)
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                failure = exc
        raise failure or httpcore.ConnectError(f"{host} has no address")

    def connect_unix_socket(
        self, path: str, timeout: float | None = None, socket_options: Iterable[Any] | None = None
    ) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("unix sockets are not outbound destinations")

    def sleep(self, seconds: float) -> None:
        self._inner.sleep(seconds)


class PinnedTransport(httpx.HTTPTransport):
    """An httpx transport whose connections go only to checked addresses (see the module docstring).

    Proxies from the environment are ignored on purpose: a proxy would resolve the name itself.
    """

    def __init__(
        self,
        policy: OutboundPolicy,
        *,
        verify: Any = True,
        resolver: Resolver = resolve,
    ) -> None:
        super().__init__(verify=verify, trust_env=False)
        self._policy = policy
        # httpx builds its pool without a way to pass a network backend; this pool is the same one with
        # the guarded backend, and httpx's request/response mapping above it stays untouched.
        self._pool = httpcore.ConnectionPool(
            ssl_context=httpx.create_ssl_context(verify=verify, trust_env=False),
            network_backend=_GuardedBackend(policy, resolver),
        )

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.scheme != "https" and self._policy.checks(request.url.host):
            raise httpx.ConnectError(
                f"{request.url.host}: plain http is refused ({DEV_HINT})", request=request
            )
        return super().handle_request(request)


def pinned_client(
    policy: OutboundPolicy, *, timeout: float, verify: Any = True, resolver: Resolver = resolve
) -> httpx.Client:
    """An ``httpx.Client`` for destinations someone else chose: only checked addresses, no env proxies."""
    return httpx.Client(
        timeout=timeout,
        verify=verify,
        trust_env=False,
        transport=PinnedTransport(policy, verify=verify, resolver=resolver),
    )
