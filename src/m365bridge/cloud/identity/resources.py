"""Resources a token can be issued for: Microsoft's first-party APIs and the tenant's own apps."""

from __future__ import annotations

from dataclasses import dataclass

GRAPH_RESOURCE = "https://graph.microsoft.com"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
SUPPORT_RESOURCE = "api://m365-support"
SUPPORT_APP_ID = "da9c55f3-c866-4bff-b261-7082c7695d2c"


@dataclass(frozen=True)
class Resource:
    """A resource (API) as the token service sees it, whether first-party or tenant-registered."""

    app_id: str
    app_id_uri: str | None
    display_name: str
    accepted_version: int
    roles: frozenset[str]

    def audience(self, requested: str, version: int) -> str:
        """Entra's rule: v2 tokens name the resource by appId; v1 tokens as the client asked for it."""
        if version == 2 or self.app_id_uri is None or requested.lower() == self.app_id.lower():
            return self.app_id
        return self.app_id_uri

    def is_named(self, identifier: str) -> bool:
        wanted = identifier.rstrip("/").lower()
        return wanted == self.app_id.lower() or (
            self.app_id_uri is not None and wanted == self.app_id_uri.rstrip("/").lower()
        )


FIRST_PARTY = (
    Resource(
        app_id=GRAPH_APP_ID,
        app_id_uri=GRAPH_RESOURCE,
        display_name="Microsoft Graph",
        accepted_version=1,
        roles=frozenset({"ServiceHealth.Read.All", "ServiceMessage.Read.All"}),
    ),
    Resource(
        app_id=SUPPORT_APP_ID,
        app_id_uri=SUPPORT_RESOURCE,
        display_name="Microsoft 365 support",
        accepted_version=1,
        roles=frozenset({"Support.ReadWrite.All"}),
    ),
)


def first_party(identifier: str) -> Resource | None:
    return next((resource for resource in FIRST_PARTY if resource.is_named(identifier)), None)
