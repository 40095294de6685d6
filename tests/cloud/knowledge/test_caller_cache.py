"""The solutions search remembers an accepted token's caller, but never past a change that refuses it."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from sqlalchemy import text

from m365bridge.cloud.identity import repository as identity_repository
from m365bridge.cloud.integration.service import save_basic_information
from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, import_folder
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from tests.cloud.identity.conftest import make_directory
from tests.cloud.knowledge.test_search_api import configure_issuing_app, support_token

SEARCH = "/support/v1/solutions/search"
CACHE_SECONDS = 0.5


@pytest.fixture
def cloud_settings(tmp_path):
    return CloudSettings(data_dir=tmp_path / "cloud", solutions_auth_cache_seconds=CACHE_SECONDS)


@pytest.fixture
def tenant(cloud_context, cloud_client):
    """A tenant whose outbound app is the configured one, its token already accepted once (remembered)."""
    with transaction(cloud_context.sessions) as session:
        import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
    directory = make_directory(cloud_context, "fabrikam.onmicrosoft.com")
    configure_issuing_app(cloud_context, directory)
    headers = {"Authorization": f"Bearer {support_token(cloud_client, directory.domain, directory.client)}"}
    assert search(cloud_client, headers).status_code == 200
    return directory, headers


def search(client, headers):
    return client.post(SEARCH, json={"text": "new phone authenticator"}, headers=headers)


def test_changing_the_configured_app_refuses_a_remembered_token_at_once(cloud_context, cloud_client, tenant):
    directory, headers = tenant
    with transaction(cloud_context.sessions) as session:
        save_basic_information(session, directory.tenant_id, app_id=directory.v1_api.client_id)
    response = search(cloud_client, headers)
    assert response.status_code == 403
    assert "Application ID to issue Auth Token" in response.json()["error"]["message"]


def test_unpublishing_the_signing_key_refuses_a_remembered_token_at_once(cloud_context, cloud_client, tenant):
    _directory, headers = tenant
    with transaction(cloud_context.sessions) as session:
        # Retired longer ago than the grace period: the key is no longer published.
        identity_repository.retire_signing_keys(session, utcnow() - dt.timedelta(days=30))
    assert search(cloud_client, headers).status_code == 401


def test_another_process_change_is_seen_within_the_cache_time(cloud_context, cloud_client, tenant):
    directory, headers = tenant
    with cloud_context.sessions() as session:
        # Raw SQL, as another process's write looks to this one: no ORM event announces it.
        session.execute(
            text("UPDATE support_integrations SET app_id = 'someone-else' WHERE tenant_id = :tenant"),
            {"tenant": directory.tenant_id},
        )
        session.commit()
    assert search(cloud_client, headers).status_code == 200  # still remembered
    time.sleep(CACHE_SECONDS + 0.1)
    assert search(cloud_client, headers).status_code == 403


def test_a_refused_token_is_not_remembered(cloud_context, cloud_client):
    with transaction(cloud_context.sessions) as session:
        import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
    directory = make_directory(cloud_context, "fabrikam.onmicrosoft.com")
    headers = {"Authorization": f"Bearer {support_token(cloud_client, directory.domain, directory.client)}"}
    assert search(cloud_client, headers).status_code == 403  # the tenant has configured no app yet
    configure_issuing_app(cloud_context, directory)
    assert search(cloud_client, headers).status_code == 200
