"""The four setup modes, how the two questions pick one, and what each mode offers."""

from __future__ import annotations

from enum import StrEnum

from m365bridge.shared.errors import UserError


class Mode(StrEnum):
    BASIC = "basic"
    AAD = "aad"
    INSIGHTS = "insights"
    NONE = "none"


LABELS = {
    Mode.BASIC: "Basic",
    Mode.AAD: "AAD OAuth token",
    Mode.INSIGHTS: "Insights only",
    Mode.NONE: "Continue without any setup",
}

FEATURES = {
    Mode.BASIC: frozenset({"insights", "solutions", "cases"}),
    Mode.AAD: frozenset({"insights", "solutions", "cases"}),
    Mode.INSIGHTS: frozenset({"insights", "solutions"}),
    # Basic recommended solutions only: the public search, without any token.
    Mode.NONE: frozenset({"solutions"}),
}

STEP_TITLES = (
    "Consent",
    "Outbound OAuth provider",
    "Inbound OAuth provider",
    "Inbound call integration user",
    "Repository ID",
    "Application settings",
    "Complete the integration",
)
LAST_STEP = len(STEP_TITLES) - 1


def derive_mode(basic_auth_allowed: bool, single_tenant: bool) -> Mode:
    """Q1 (Basic auth allowed for inbound calls?) and Q2 (a single tenant?) decide the mode."""
    if basic_auth_allowed:
        return Mode.BASIC
    return Mode.AAD if single_tenant else Mode.INSIGHTS


def has_inbound(mode: Mode) -> bool:
    """Basic and AAD modes receive calls from the support service; the others never do."""
    return mode in (Mode.BASIC, Mode.AAD)


def skippable(mode: Mode, step: int) -> bool:
    """Steps 2 and 3 (inbound provider and user) are skipped when nothing calls the connector."""
    return step in (2, 3) and not has_inbound(mode)


def parse_mode(value: str) -> Mode:
    try:
        return Mode(value.strip().lower())
    except ValueError:
        raise UserError(f"unknown setup mode {value!r}; use one of: basic, aad, insights, none") from None
