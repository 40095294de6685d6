"""The demo's record: what both sides were provisioned with, written to ``demo.json``."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class DemoRecord:
    """What ``demo.json`` holds: everything a person or a test needs to reach the running demo."""

    mode: str
    identity_url: str
    graph_url: str
    support_url: str
    connector_url: str
    ca_bundle: str
    tenant: dict[str, str] = field(default_factory=dict)
    apps: dict[str, dict[str, str]] = field(default_factory=dict)
    users: dict[str, dict[str, Any]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "identity_url": self.identity_url,
            "graph_url": self.graph_url,
            "support_url": self.support_url,
            "connector_url": self.connector_url,
            "ca_bundle": self.ca_bundle,
            "tenant": self.tenant,
            "apps": self.apps,
            "users": self.users,
            **self.extra,
        }
