"""Demo data for both sides. Each step goes through that side's own services."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.graph.generator import generate_demo_issues
from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, import_folder
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.setup.modes import parse_mode
from m365bridge.demo.connector_setup import provision_connector_people, provision_connector_setup
from m365bridge.demo.identity import provision_identity
from m365bridge.demo.incidents import provision_incidents, provision_live_issues
from m365bridge.demo.record import DemoRecord
from m365bridge.demo.support import provision_support
from m365bridge.shared.db import transaction


def provision(record: DemoRecord, cloud: CloudContext, connector: ConnectorContext) -> None:
    """Fill both sides with demo data (idempotent: a restarted demo finds what it made before).

    The connector's people are made in a second thread while the cloud side is filled: they need nothing
    from it, the sides have databases of their own, and hashing their passwords (argon2, outside the GIL)
    overlaps the cloud side's single-threaded work (KB import, generated issues, SQL).
    """
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="demo-people") as pool:
        people = pool.submit(provision_connector_people, connector, parse_mode(record.mode))
        _provision_cloud(record, cloud)
        record.users.update(people.result())
    provision_connector_setup(record, cloud, connector)
    provision_incidents(record, connector)


def _provision_cloud(record: DemoRecord, cloud: CloudContext) -> None:
    with transaction(cloud.sessions, write=True) as session:
        import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
    provision_identity(record, cloud)
    if record.tenant.get("id"):  # the identity step made the demo tenant; its service health needs issues
        generate_demo_issues(cloud.sessions, record.tenant["id"])
        provision_live_issues(record, cloud)
    provision_support(record, cloud)
