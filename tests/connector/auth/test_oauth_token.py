import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select, update

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.auth.oauth.models import OAuthToken
from m365bridge.connector.keys.rotation import rotate_key
from m365bridge.connector.logs import system_log
from m365bridge.connector.setup.service import INBOUND_PATH
from m365bridge.connector.users.repository import by_user_name
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow
from m365bridge.shared.serving import serving
from m365bridge.shared.tokens import token_digest
from tests.connector.auth.helpers import API, PASSWORD, make_user

DENIED = {"error_description": "access_denied", "error": "server_error"}


def make_client(context):
    with transaction(context.sessions) as session:
        client, secret = oauth_server.create_client(session, "Microsoft 365 support")
        return client.client_id, secret


def password_grant(http, client_id, secret, username="integration", password=PASSWORD):
    return http.post(
        "/oauth_token.do",
        data={
            "grant_type": "password",
            "client_id": client_id,
            "client_secret": secret,
            "username": username,
            "password": password,
        },
    )


def refresh_grant(http, client_id, secret, refresh_token):
    return http.post(
        "/oauth_token.do",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": refresh_token,
        },
    )


def setup_integration(context):
    make_user(context, "integration", ["incident_manager"], web_service_access_only=True)
    return make_client(context)


def test_password_grant_answers_like_servicenow_and_the_token_works(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)

    response = password_grant(connector_client, client_id, secret)

    body = response.json()
    assert response.status_code == 200
    assert set(body) == {"access_token", "refresh_token", "scope", "token_type", "expires_in"}
    assert (body["scope"], body["token_type"], body["expires_in"]) == ("useraccount", "Bearer", 1800)
    whoami = connector_client.get(
        f"{API}/whoami", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert whoami.json()["result"] == {
        "user_id": whoami.json()["result"]["user_id"],
        "user_name": "integration",
        "roles": ["incident_manager"],
        "method": "bearer",
    }


def test_wrong_client_secret_or_password_is_servicenow_access_denied(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)

    wrong_secret = password_grant(connector_client, client_id, "not-the-secret")
    wrong_password = password_grant(connector_client, client_id, secret, password="nope")

    assert (wrong_secret.status_code, wrong_secret.json()) == (401, DENIED)
    assert (wrong_password.status_code, wrong_password.json()) == (401, DENIED)


def test_refresh_rotates_and_the_old_token_within_grace_returns_the_same_successor(
    connector_context, connector_client
):
    client_id, secret = setup_integration(connector_context)
    first = password_grant(connector_client, client_id, secret).json()

    rotated = refresh_grant(connector_client, client_id, secret, first["refresh_token"]).json()
    retried = refresh_grant(connector_client, client_id, secret, first["refresh_token"]).json()

    assert rotated["refresh_token"] != first["refresh_token"]
    assert retried["refresh_token"] == rotated["refresh_token"]
    assert refresh_grant(connector_client, client_id, secret, rotated["refresh_token"]).status_code == 200


def test_reuse_after_grace_revokes_the_whole_family(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)
    first = password_grant(connector_client, client_id, secret).json()
    rotated = refresh_grant(connector_client, client_id, secret, first["refresh_token"]).json()
    with transaction(connector_context.sessions) as session:
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.rotated_at.is_not(None))
            .values(rotated_at=utcnow() - dt.timedelta(seconds=60))
        )

    reuse = refresh_grant(connector_client, client_id, secret, first["refresh_token"])

    assert (reuse.status_code, reuse.json()) == (401, DENIED)
    assert refresh_grant(connector_client, client_id, secret, rotated["refresh_token"]).status_code == 401
    bearer = {"Authorization": f"Bearer {rotated['access_token']}"}
    assert connector_client.get(f"{API}/whoami", headers=bearer).status_code == 401
    with transaction(connector_context.sessions) as session:
        messages = [line.message for line in system_log.search(session)]
    assert any("family revoked" in m for m in messages)


def test_concurrent_refreshes_of_one_token_rotate_it_once(connector_context):
    client_id, secret = setup_integration(connector_context)
    app = create_app(context=connector_context)
    with serving(app) as server, httpx.Client(base_url=server.url) as http:
        first = password_grant(http, client_id, secret).json()
        with ThreadPoolExecutor(max_workers=6) as pool:
            answers = list(
                pool.map(lambda _: refresh_grant(http, client_id, secret, first["refresh_token"]), range(6))
            )

    assert all(a.status_code == 200 for a in answers)
    assert len({a.json()["refresh_token"] for a in answers}) == 1
    with transaction(connector_context.sessions) as session:
        refresh_tokens = session.scalar(select(func.count()).where(OAuthToken.kind == "refresh"))
    assert refresh_tokens == 2


def test_unsupported_grant_and_json_bodies_are_refused(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)

    # client_credentials is supported since issue 13 (for a client with a run-as user): another grant.
    grant = connector_client.post(
        "/oauth_token.do",
        data={"grant_type": "device_code", "client_id": client_id, "client_secret": secret},
    )
    as_json = connector_client.post("/oauth_token.do", json={"grant_type": "password"})

    assert grant.status_code == 400 and grant.json()["error"] == "unsupported_grant_type"
    assert as_json.status_code == 400 and as_json.json()["error"] == "invalid_request"


def test_client_credentials_in_a_basic_header_are_accepted(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)

    response = connector_client.post(
        "/oauth_token.do",
        data={"grant_type": "password", "username": "integration", "password": PASSWORD},
        auth=(client_id, secret),
    )

    assert response.status_code == 200 and response.json()["token_type"] == "Bearer"


def test_client_secret_in_both_header_and_body_is_refused(connector_context, connector_client):
    client_id, secret = make_client(connector_context)

    response = connector_client.post(
        "/oauth_token.do",
        data={"grant_type": "password", "client_id": client_id, "client_secret": secret},
        auth=(client_id, secret),
    )

    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


def test_only_the_newest_grants_of_a_client_and_user_stay_live(connector_context):
    make_user(connector_context, "integration", ["incident_manager"])
    with transaction(connector_context.sessions) as session:
        client, _ = oauth_server.create_client(session, "Support")
        user = by_user_name(session, "integration")
        first = oauth_server.issue(session, client, user)
        second = oauth_server.issue(session, client, user)
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.token_digest == token_digest(first.refresh_token))
            .values(created_at=utcnow() - dt.timedelta(minutes=5))
        )
        revoked = oauth_server.keep_newest_grants(session, client, user, keep=1)
        live = session.scalars(select(OAuthToken.token_digest).where(OAuthToken.revoked_at.is_(None))).all()

    assert revoked == 1
    assert set(live) == {token_digest(second.access_token), token_digest(second.refresh_token)}


def test_the_purge_deletes_expired_and_revoked_tokens_only(connector_context):
    make_user(connector_context, "integration", ["incident_manager"])
    with transaction(connector_context.sessions) as session:
        client, _ = oauth_server.create_client(session, "Support")
        user = by_user_name(session, "integration")
        kept = oauth_server.issue(session, client, user)
        expired = oauth_server.issue(session, client, user)
        revoked = oauth_server.issue(session, client, user)
        session.execute(
            update(OAuthToken)
            .where(OAuthToken.token_digest == token_digest(expired.access_token))
            .values(expires_at=utcnow() - dt.timedelta(seconds=1))
        )
        oauth_server.revoke_family(
            session,
            session.scalars(
                select(OAuthToken.family_id).where(
                    OAuthToken.token_digest == token_digest(revoked.refresh_token)
                )
            ).one(),
            utcnow(),
        )
        removed = oauth_server.purge_tokens(session)
        left = set(session.scalars(select(OAuthToken.token_digest)).all())

    assert removed == 3
    assert left == {token_digest(t) for t in (kept.access_token, kept.refresh_token, expired.refresh_token)}


def test_an_unsupported_grant_is_logged_without_the_secret(connector_context, connector_client):
    client_id, secret = setup_integration(connector_context)

    connector_client.post(
        "/oauth_token.do",
        data={"grant_type": "device_code", "client_id": client_id, "client_secret": secret},
    )

    with transaction(connector_context.sessions) as session:
        lines = system_log.search(session, text="unsupported grant_type")
    assert len(lines) == 1 and "device_code" in lines[0].message
    assert secret not in f"{lines[0].message} {lines[0].context}"


def test_the_inbound_token_path_answers_errors_in_the_token_shape(connector_context, connector_client):
    setup_integration(connector_context)

    for path in ("/oauth_token.do", f"{INBOUND_PATH}/oauth_token.do"):
        bad_client = connector_client.post(
            path, data={"grant_type": "password", "client_id": "nobody", "client_secret": "wrong"}
        )
        no_grant = connector_client.post(path, data={"client_id": "nobody"})

        assert bad_client.status_code == 401, path
        assert bad_client.json() == {"error_description": "access_denied", "error": "server_error"}, path
        assert no_grant.status_code == 400 and no_grant.json()["error"] == "invalid_request", path


def test_a_refresh_retry_across_an_encryption_key_rotation_gets_the_same_successor(
    connector_context, connector_client
):
    client_id, secret = setup_integration(connector_context)
    first = password_grant(connector_client, client_id, secret).json()
    rotated = refresh_grant(connector_client, client_id, secret, first["refresh_token"]).json()

    rotate_key(connector_context)  # the old key is gone: the stored successor must have been re-encrypted
    retried = refresh_grant(connector_client, client_id, secret, first["refresh_token"])

    assert retried.status_code == 200, retried.text
    assert retried.json()["refresh_token"] == rotated["refresh_token"]
