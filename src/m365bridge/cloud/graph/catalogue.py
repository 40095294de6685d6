"""The Microsoft 365 services every tenant's health overview lists, whether or not they have issues."""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class CloudService:
    id: str  # the healthOverviews id, e.g. "Exchange"
    name: str  # the display name issues carry in ``service``, e.g. "Exchange Online"
    issue_prefix: str  # how this service's issue ids start, e.g. "EX" in EX123456


SERVICES = (
    CloudService("Exchange", "Exchange Online", "EX"),
    CloudService("microsoftteams", "Microsoft Teams", "TM"),
    CloudService("SharePoint", "SharePoint Online", "SP"),
    CloudService("OneDriveForBusiness", "OneDrive for Business", "OD"),
    CloudService("OrgLiveID", "Microsoft Entra", "AD"),
    CloudService("Outlook", "Outlook", "OL"),
    CloudService("O365Client", "Microsoft 365 apps", "OM"),
    CloudService("OSDPPlatform", "Microsoft 365 suite", "MO"),
    CloudService("Intune", "Microsoft Intune", "IT"),
    CloudService("Forms", "Microsoft Forms", "FM"),
    CloudService("Planner", "Planner", "PL"),
    CloudService("PowerBIcom", "Power BI", "PB"),
)
_BY_NAME = {service.name.lower(): service for service in SERVICES}
_BY_ID = {service.id.lower(): service for service in SERVICES}


def service_named(name: str) -> CloudService:
    """The catalogue entry for a service's display name or id; unknown services (from imports) get one."""
    known = _BY_NAME.get(name.lower()) or _BY_ID.get(name.lower())
    if known:
        return known
    compact = re.sub(r"[^A-Za-z0-9]", "", name)
    return CloudService(compact, name, compact[:2].upper() or "XX")
