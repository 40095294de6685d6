"""Cloud passwords (issue 15 item 2): the portal login and the tenant-admin Basic API are throttled per
account and address, and an unknown e-mail takes as long to refuse as a known one."""

from __future__ import annotations

import statistics
import time

import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app
from m365bridge.cloud.directory import throttle
from m365bridge.cloud.settings import CloudSettings
from tests.cloud.directory.test_login import sign_in
from tests.cloud.people import ADMIN, TENANT, add_admin

API = f"/support/v1/tenants/{TENANT}/integration"
ACCOUNT_LIMIT = 5


@pytest.fixture
def cloud_settings(tmp_path):
    return CloudSettings(
        data_dir=tmp_path / "cloud", lockout_account_failures=ACCOUNT_LIMIT, lockout_address_failures=30
    )


def test_the_portal_login_is_throttled_after_repeated_failures(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    statuses = [sign_in(cloud_client, email, f"guess-{n}").status_code for n in range(ACCOUNT_LIMIT)]
    assert statuses == [401] * ACCOUNT_LIMIT
    refused = sign_in(cloud_client, email, password)
    assert refused.status_code == 429
    assert "Too many failed sign-ins" in refused.text
    assert int(refused.headers["Retry-After"]) > 0


def test_the_admin_basic_api_is_throttled_after_repeated_failures(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    statuses = [cloud_client.get(API, auth=(email, f"guess-{n}")).status_code for n in range(ACCOUNT_LIMIT)]
    assert statuses == [401] * ACCOUNT_LIMIT
    refused = cloud_client.get(API, auth=(email, password))
    assert refused.status_code == 429
    assert "Retry-After" in refused.headers


def test_a_stranger_elsewhere_cannot_lock_the_admin_out(cloud_context):
    email, password = add_admin(cloud_context)
    app = create_app(context=cloud_context)
    with TestClient(app, client=("203.0.113.9", 40000)) as stranger:
        for n in range(ACCOUNT_LIMIT + 2):
            stranger.get(API, auth=(email, f"guess-{n}"))
        assert stranger.get(API, auth=(email, password)).status_code == 429
    with TestClient(app, client=("198.51.100.7", 40000)) as admin:
        assert admin.get(API, auth=(email, password)).status_code == 200


def test_a_right_password_forgets_the_failures_of_its_address(cloud_context):
    email, password = add_admin(cloud_context)
    for n in range(ACCOUNT_LIMIT - 1):
        assert throttle.sign_in(cloud_context, email, f"guess-{n}", "192.0.2.1") is None
    assert throttle.sign_in(cloud_context, email, password, "192.0.2.1") is not None
    for n in range(ACCOUNT_LIMIT - 1):
        assert throttle.sign_in(cloud_context, email, f"guess-{n}", "192.0.2.1") is None
    assert throttle.sign_in(cloud_context, email, password, "192.0.2.1") is not None


def test_one_address_spraying_many_accounts_is_throttled(cloud_context):
    add_admin(cloud_context)
    limit = cloud_context.settings.lockout_address_failures
    for n in range(limit):
        assert throttle.sign_in(cloud_context, f"user{n}@contoso.example", "guess", "192.0.2.2") is None
    with pytest.raises(throttle.TooManyFailures):
        throttle.sign_in(cloud_context, ADMIN[0], ADMIN[1], "192.0.2.2")


def test_an_unknown_email_takes_as_long_as_a_known_one(cloud_context):
    """Before the fix an unknown e-mail answered in ~3 ms and a known one in ~120 ms (argon2)."""
    email, _ = add_admin(cloud_context)

    def timed(account: str, address: str) -> float:
        started = time.perf_counter()
        assert throttle.sign_in(cloud_context, account, "wrong-password", address) is None
        return time.perf_counter() - started

    rounds = 4  # below the per-account limit, each from its own address
    known = statistics.median(timed(email, f"192.0.2.{10 + n}") for n in range(rounds))
    unknown = statistics.median(
        timed(f"nobody{n}@contoso.example", f"192.0.2.{50 + n}") for n in range(rounds)
    )
    assert unknown > 0.5 * known, (unknown, known)
