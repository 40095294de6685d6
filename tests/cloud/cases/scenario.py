"""A tenant with an admin and one repository pointing at the fake connector, and cases in it."""

from __future__ import annotations

from m365bridge.cloud.cases import service as cases
from m365bridge.cloud.cases.models import SupportCase
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.integration import service as integration
from m365bridge.cloud.integration.service import RepositoryInput
from m365bridge.shared.db import transaction
from tests.cloud.cases.fake_connector import CONNECTOR, FakeConnector
from tests.cloud.people import ADMIN, TENANT, add_admin

REPO = "contoso-sn"


def basic_repository(connector: FakeConnector, refresh_token_expiry: int = 864000) -> RepositoryInput:
    return RepositoryInput(
        repository_id=REPO,
        endpoint=CONNECTOR,
        auth_type="Basic Auth",
        client_id=connector.client_id,
        client_secret=connector.client_secret,
        refresh_token_expiry=refresh_token_expiry,
        rest_username=connector.username,
        rest_password=connector.password,
    )


def aad_repository(connector: FakeConnector) -> RepositoryInput:
    return RepositoryInput(
        repository_id=REPO,
        endpoint=CONNECTOR,
        auth_type="AAD Auth",
        client_id="rest-user-app",
        client_secret="rest-user-secret",
        token_audience=connector.aad_audience,
    )


def set_up_tenant(context: CloudContext, repository: RepositoryInput) -> None:
    add_admin(context)
    with transaction(context.sessions) as session:
        integration.save_basic_information(session, TENANT, app_id="outbound-app")
        integration.add_repository(session, TENANT, repository, context.secrets)


def new_case(title: str = "Mail flow delayed", *, test_environment: bool = False) -> cases.NewCase:
    return cases.NewCase(
        repository_id=REPO,
        incident_sys_id="a" * 32,
        incident_number="INC0010001",
        title=title,
        description="Outbound mail is queued for hours.",
        contact=cases.Contact(name="Ada", email="ada@contoso.com", phone="+1 555 0100"),
        admin_email=ADMIN[0],
        test_environment=test_environment,
    )


def open_case(context: CloudContext, title: str = "Mail flow delayed", **kwargs: bool) -> SupportCase:
    with transaction(context.sessions) as session:
        case, _ = cases.create_case(session, TENANT, "outbound-app", new_case(title, **kwargs), None)
        return case


def reply(context: CloudContext, case_id: str, body: str) -> None:
    with transaction(context.sessions) as session:
        cases.engineer_reply(session, cases.get_case(session, case_id), author="Engineer", body=body)


def set_status(context: CloudContext, case_id: str, status: str) -> None:
    with transaction(context.sessions) as session:
        cases.change_status(session, cases.get_case(session, case_id), status)
