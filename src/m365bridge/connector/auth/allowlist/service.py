"""The inbound REST allowlist: off by default; when on, only listed addresses or CIDRs may call."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from sqlalchemy.orm import Session

from m365bridge.connector.auth.addresses import in_networks, parse_networks
from m365bridge.connector.auth.allowlist import repository
from m365bridge.connector.auth.allowlist.models import AllowlistEntry
from m365bridge.shared.errors import Conflict, NotFound, UserError


def entries(session: Session) -> Sequence[AllowlistEntry]:
    return repository.entries(session)


def is_allowed(session: Session, address: str) -> bool:
    return in_networks(address, parse_networks(e.cidr for e in entries(session)))


def add(session: Session, cidr: str, description: str = "") -> AllowlistEntry:
    try:
        normalised = str(ipaddress.ip_network(cidr.strip(), strict=False))
    except ValueError as exc:
        raise UserError(f"{cidr!r} is not an IP address or CIDR (e.g. 52.149.152.32 or 10.0.0.0/8)") from exc
    if repository.entry_by_cidr(session, normalised) is not None:
        raise Conflict(f"{normalised} is already on the allowlist")
    entry = AllowlistEntry(cidr=normalised, description=description.strip())
    session.add(entry)
    session.flush()
    return entry


def remove(session: Session, entry_id_or_cidr: str) -> str:
    """Remove an entry by id or by its address/CIDR; returns the CIDR removed."""
    entry = repository.entry_by_pk(session, entry_id_or_cidr)
    if entry is None:
        try:
            cidr = str(ipaddress.ip_network(entry_id_or_cidr.strip(), strict=False))
        except ValueError:
            cidr = entry_id_or_cidr
        entry = repository.entry_by_cidr(session, cidr)
    if entry is None:
        raise NotFound(f"no allowlist entry {entry_id_or_cidr!r}")
    session.delete(entry)
    session.flush()
    return entry.cidr
