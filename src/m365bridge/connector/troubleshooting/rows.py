"""The original's troubleshooting table: what the user sees, where to look, the cause and the fix.

Messages are verbatim (SPEC "Troubleshooting"); the doctor prints a row next to the evidence it found.
"""

from __future__ import annotations

from dataclasses import dataclass

from m365bridge.connector.cases.service import NOT_AN_ADMIN, TICKET_NOT_SAVED
from m365bridge.connector.insights.solutions import CONTACT_APP_SUPPORT
from m365bridge.connector.setup.gate import SETUP_INCOMPLETE, SETUP_NOT_CONFIRMED

NOT_TENANT_ADMIN = NOT_AN_ADMIN.replace("{email}", "{EmailAddress}")
D1 = "the error at the top of the form, and the system log (source x_mioms_m365_assis)"
D2 = "the outbound HTTP log, filtered on the identity host and the support-service host"


@dataclass(frozen=True)
class Row:
    number: int
    symptom: str
    message: str | None
    look_at: str
    cause: str
    fix: str


_INCOMPLETE_CAUSE = "The setup steps (Microsoft 365 support > Setup) are not finished."
_INCOMPLETE_FIX = "Sign in as admin, open Microsoft 365 support > Setup and finish every step."
_UNCONFIRMED_CAUSE = (
    "Every setup step is saved, but the last one was not confirmed: Test connection did not pass, or "
    "Next on 'Complete the integration' was never pressed."
)
_UNCONFIRMED_FIX = (
    "Enter the 'Complete the integration' values on the cloud side (admin center > Support integration), "
    "run Test connection until it passes, then press Next."
)
_INCOMPLETE = (_INCOMPLETE_CAUSE, _INCOMPLETE_FIX)
_UNCONFIRMED = (_UNCONFIRMED_CAUSE, _UNCONFIRMED_FIX)
_NETWORK_CAUSE = (
    "The connector cannot reach the identity service (token URL) or the support service: DNS, firewall, "
    "proxy, TLS trust (CA bundle) or the service is down."
)
_NETWORK_FIX = (
    "Check the outbound OAuth provider's token URL and the support URL, the network path and the CA bundle "
    "(M365BRIDGE_CONNECTOR_CA_BUNDLE); then retry."
)
_SERVICE_CAUSE = (
    "The support service (or the identity service) answered with an error: a wrong client secret, an app "
    "the tenant does not accept ('Application ID to issue Auth Token'), or an app without the support role."
)
_SERVICE_FIX = (
    "Read the status and message in the evidence; fix the outbound OAuth provider's secret or the admin "
    "center's 'Application ID to issue Auth Token', then run Test connection."
)

ROWS: dict[int, Row] = {
    row.number: row
    for row in (
        Row(
            1,
            "cannot see the Microsoft 365 support tab",
            None,
            "the current view, system log",
            "The user has neither x_mioms_m365_assis.insights_user nor x_mioms_m365_assis.administrator "
            "(the incident form shows the tab to those roles and to admin only; there is one form view).",
            "Grant x_mioms_m365_assis.insights_user (or x_mioms_m365_assis.administrator to also open "
            "cases): m365bridge connector users grant USER ROLE, or System > Users.",
        ),
        Row(2, "Recommended solutions → message", SETUP_INCOMPLETE, D1, *_INCOMPLETE),
        Row(3, "Recommended solutions → message", SETUP_NOT_CONFIRMED, D1, *_UNCONFIRMED),
        Row(4, "search box → message", SETUP_INCOMPLETE, D1, *_INCOMPLETE),
        Row(5, "search box → message", SETUP_NOT_CONFIRMED, D1, *_UNCONFIRMED),
        Row(6, "Contact Microsoft support → message", SETUP_INCOMPLETE, D1, *_INCOMPLETE),
        Row(7, "Contact Microsoft support → message", SETUP_NOT_CONFIRMED, D1, *_UNCONFIRMED),
        Row(
            8,
            "Contact Microsoft support → message",
            NOT_TENANT_ADMIN,
            D1,
            "The email that opens the case (the administrator's linked account, else the setup's Microsoft "
            "365 admin email) is not an active Helpdesk or Service Request admin of the tenant.",
            "Link the administrator's Microsoft 365 admin account (Microsoft 365 support > Link Account), "
            "or give that person a Helpdesk / Service Request admin role in the tenant.",
        ),
        Row(9, "Recommended solutions → nothing shows up", None, D2, _NETWORK_CAUSE, _NETWORK_FIX),
        Row(10, "Recommended solutions → message", CONTACT_APP_SUPPORT, D1, _SERVICE_CAUSE, _SERVICE_FIX),
        Row(11, "search box → nothing shows up", None, D2, _NETWORK_CAUSE, _NETWORK_FIX),
        Row(12, "search box → message", CONTACT_APP_SUPPORT, D1, _SERVICE_CAUSE, _SERVICE_FIX),
        Row(
            13,
            "Contact Microsoft support → nothing happens",
            None,
            D2,
            "The case request never reached the support service (network failure to the support host).",
            _NETWORK_FIX,
        ),
        Row(
            14,
            "reopened incident no longer shows the recommended solutions",
            None,
            "system log",
            "Stored recommended solutions refer to an incident that no longer exists (deleted or re-created "
            "under another sys_id), so the incident shown now has none.",
            "Run Insights again on the incident; delete or re-create incidents through the app, not the "
            "database.",
        ),
        Row(
            15,
            "reopened incident transferred to Microsoft no longer shows the case",
            None,
            "system log",
            "A stored case refers to an incident that no longer exists (deleted or re-created under another "
            "sys_id); the case's updates have nowhere to go.",
            "Re-attach the case to the incident (its number is in the evidence), or ask the engineer to "
            "reply on the case number; keep incidents instead of re-creating them.",
        ),
        Row(
            16,
            "saving ticket (case contact) details → message",
            TICKET_NOT_SAVED,
            "the error at the top of the form",
            "The support service refused or did not receive the contact update (see the evidence).",
            "Fix the cause the evidence names (network, token, case closed on the cloud side), then save "
            "again.",
        ),
    )
}
