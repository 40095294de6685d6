"""The demo's sample incidents: each matches a generated service health issue and starter KB articles, so
the Microsoft 365 support tab has something to show at once. Made through the connector's own services."""

from __future__ import annotations

import datetime as dt

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph import importer as graph_importer
from m365bridge.cloud.graph.generator import SCENARIOS, Scenario
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.health.sync import sync_service_health
from m365bridge.connector.incidents import repository, service
from m365bridge.connector.incidents.encoded_query import parse
from m365bridge.connector.setup.gate import current_setup
from m365bridge.demo.record import DemoRecord
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow

SAMPLES = (
    (
        "Users can't send mail from Outlook on the web",
        "Since this morning several users in Sales get an error when they select Send in Outlook on the web. "
        "Messages stay in Drafts; the Outbox is not emptied.",
    ),
    (
        "Teams meeting recordings are missing",
        "After yesterday's all-hands the recording never appeared in the meeting chat or in OneDrive.",
    ),
    (
        "External email arrives late",
        "Mail from customers takes more than an hour to arrive; internal mail is fine.",
    ),
    (
        "OneDrive sync stuck on 'Processing changes'",
        "A user's OneDrive client has shown 'Processing changes' for two days and files do not upload.",
    ),
)


def provision_live_issues(record: DemoRecord, cloud: CloudContext) -> None:
    """Open service health issues for the first two samples (the generated history is random), kept
    current on every start so that they are live whenever the demo runs."""
    tenant_id = record.tenant.get("id")
    if not tenant_id:
        return
    wanted = {
        "Users can't send email from Outlook on the web": "EX900001",
        "Teams meetings recordings not available": "TM900002",
    }
    now = utcnow()
    with transaction(cloud.sessions, write=True) as session:
        for scenario in SCENARIOS:
            if scenario.title not in wanted:
                continue
            graph_importer.upsert_issue(session, tenant_id, open_issue(wanted[scenario.title], scenario, now))


def open_issue(issue_id: str, scenario: Scenario, now: dt.datetime) -> dict[str, object]:
    """A scenario's open Graph issue as of ``now`` (also the benches' demo issue)."""

    def stamp(when: dt.datetime) -> str:
        return when.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

    return {
        "@odata.type": "#microsoft.graph.serviceHealthIssue",
        "id": issue_id,
        "title": scenario.title,
        "impactDescription": scenario.impact,
        "classification": "incident",
        "status": "serviceDegradation",
        "origin": "microsoft",
        "service": scenario.service,
        "feature": scenario.feature,
        "featureGroup": scenario.feature_group,
        "isResolved": False,
        "startDateTime": stamp(now - dt.timedelta(hours=3)),
        "lastModifiedDateTime": stamp(now - dt.timedelta(minutes=20)),
        "posts": [
            {
                "createdDateTime": stamp(now - dt.timedelta(minutes=20)),
                "postType": "regular",
                "description": {
                    "contentType": "html",
                    "content": f"We're investigating. {scenario.cause} Next update in two hours.",
                },
            }
        ],
    }


def provision_incidents(record: DemoRecord, connector: ConnectorContext) -> None:
    """Sync service health once (the tab matches against the synced issues), then the sample incidents."""
    with transaction(connector.sessions) as session:
        view = current_setup(session)
    if view is not None and view.outbound_entity_id and view.uses_token:
        sync_service_health(connector, entity_id=view.outbound_entity_id, graph_url=view.graph_url or None)
    numbers = []
    with transaction(connector.sessions, write=True) as session:
        for short, description in SAMPLES:
            existing = repository.list_incidents(session, parse(f"short_description={short}"), limit=1)
            if existing.rows:
                numbers.append(existing.rows[0].number)
                continue
            fields = {"short_description": short, "description": description}
            numbers.append(service.create_incident(session, fields, service.SYSTEM).number)
    record.extra["incidents"] = numbers
