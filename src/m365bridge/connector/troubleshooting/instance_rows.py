"""Troubleshooting rows 17-24: a customer's ServiceNow instance, shown only when one is configured.

Each failure the instance adapter names (``servicenow.errors``) has its row; so have a poll that stopped
succeeding and desk writes that keep failing. The evidence is the outbound HTTP log's calls to the instance
(source ``servicenow_instance``): method, URL with secrets redacted, status, time.
"""

from __future__ import annotations

from m365bridge.connector.servicenow.responses import HIBERNATING_FIX
from m365bridge.connector.troubleshooting.rows import Row

D3 = "the outbound HTTP log, source servicenow_instance (the instance's host), and the system log"
_SEES = "incidents on the instance get no work notes; Setup > Service desk > Test connection fails"

INSTANCE_ROWS: dict[int, Row] = {
    row.number: row
    for row in (
        Row(
            17,
            f"{_SEES} (Instance reachable)",
            None,
            D3,
            "The connector cannot reach the instance: a wrong URL, a host name that does not resolve, a "
            "TLS certificate this machine does not trust, a firewall or proxy, or the instance is down.",
            "Check the instance URL (https://<name>.service-now.com) under Setup > Service desk, DNS and "
            "the network path; for a TLS error add the instance's CA to the CA bundle "
            "(M365BRIDGE_CONNECTOR_CA_BUNDLE); then Test connection.",
        ),
        Row(
            18,
            f"{_SEES} (answers JSON)",
            None,
            D3,
            "The instance answered with an HTML page where its Table API answers JSON: a hibernating "
            "developer instance, a login or SSO page in front of it, or a URL that is not the instance's.",
            HIBERNATING_FIX,
        ),
        Row(
            19,
            f"{_SEES} (Credentials accepted, HTTP 401)",
            None,
            D3,
            "The instance refused the integration account's password, the OAuth client id or secret, or "
            "a token (HTTP 401, or /oauth_token.do refused the grant).",
            "Enter the password or client secret again under Setup > Service desk (or 'm365bridge "
            "connector servicenow configure'); check that the account is active, not locked, and that the "
            "OAuth client in System OAuth > Application Registry is active.",
        ),
        Row(
            20,
            f"{_SEES} (HTTP 403)",
            None,
            D3,
            "The account signs in, but an access control (ACL) refuses it the incident table or its "
            "work-note journal (sys_journal_field) (HTTP 403).",
            "Give the integration account read on incident and sys_journal_field and write on "
            "incident.work_notes (the itil role has them), or relax the ACL named in the evidence.",
        ),
        Row(
            21,
            f"{_SEES} (Can read incidents and write work notes)",
            None,
            D3,
            "The account's roles (sys_user_has_role) include none that writes work notes on incidents.",
            "Grant the integration account the itil role (User Administration > Users > Roles).",
        ),
        Row(
            22,
            f"{_SEES} (Clocks agree)",
            None,
            D3,
            "The instance's clock (its Date header) and this machine's disagree by more than the allowed "
            "skew (M365BRIDGE_CONNECTOR_SERVICENOW_MAX_CLOCK_SKEW_SECONDS): tokens look expired or not yet "
            "valid and the poll's sys_updated_on watermark can skip changes.",
            "Synchronise this machine's clock (NTP); the instance keeps ServiceNow's own time.",
        ),
        Row(
            23,
            "new or changed incidents on the instance get no work notes",
            None,
            D3,
            "The poll for changed incidents (GET /api/now/table/incident on sys_updated_on) has not "
            "succeeded for a while: its calls fail with the status in the evidence.",
            "Fix the failure the newest poll call shows (rows 17-22 name each one); the poll resumes at "
            "its stored watermark, so no change is lost.",
        ),
        Row(
            24,
            "work notes, auto-incidents or resolutions do not appear on the instance",
            None,
            D3,
            "Writes queued for the instance (the desk outbox) keep failing: the instance refuses the "
            "POST or PATCH, or cannot be reached.",
            "Fix the failure the newest write shows (an ACL on incident.work_notes, a missing role, the "
            "network); queued writes are retried and delivered once.",
        ),
    )
}
