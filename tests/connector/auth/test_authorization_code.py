"""The built-in service desk's authorization-code grant: ``/oauth_auth.do`` then ``/oauth_token.do``."""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import func, select, update

from m365bridge.connector.auth.authcode.models import AuthorizationCode
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow
from tests.connector.auth.helpers import hidden_field, login, make_user

REDIRECT = "https://bridge.example.com/auth/servicenow/callback"
VERIFIER = "v" * 43 + "-verifier._~"


def challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture
def registered(connector_context):
    """An agent and an OAuth client whose Redirect URL is ``REDIRECT``: (client_id, secret, agent id)."""
    agent_id = make_user(connector_context, "agent", [ITIL])
    with transaction(connector_context.sessions) as session:
        client, secret = oauth_server.create_client(session, "m365bridge sign-in", redirect_url=REDIRECT)
        return client.client_id, secret, agent_id


def params(client_id, *, redirect=REDIRECT, state="st-1", **extra):
    return {
        "response_type": "code",
        "client_id": client_id,
        "redirect_uri": redirect,
        "state": state,
        **extra,
    }


def approve(http, query, decision="allow"):
    """Open the consent page of a signed-in browser and answer it; the redirect's query."""
    page = http.get("/oauth_auth.do", params=query)
    assert page.status_code == 200, page.text
    form = {**query, "decision": decision, "csrf_token": hidden_field(page.text, "csrf_token")}
    answer = http.post("/oauth_auth.do", data=form, follow_redirects=False)
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?")
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def exchange(http, client_id, secret, code, *, redirect=REDIRECT, **extra):
    form = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": secret,
        "code": code,
        "redirect_uri": redirect,
        **extra,
    }
    return http.post("/oauth_token.do", data=form)


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def test_the_code_is_exchanged_for_tokens_of_the_signed_in_user(connector_client, registered):
    client_id, secret, agent_id = registered
    login(connector_client, "agent")
    answer = approve(connector_client, params(client_id))
    assert answer["state"] == "st-1"

    tokens = exchange(connector_client, client_id, secret, answer["code"])

    assert tokens.status_code == 200, tokens.text
    assert tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    assert body["token_type"] == "Bearer" and body["refresh_token"]
    me = connector_client.get("/api/now/ui/user/current_user", headers=bearer(body["access_token"]))
    assert me.json()["result"] == {
        "user_sys_id": agent_id,
        "user_name": "agent",
        "user_display_name": "agent",
    }


def test_the_consent_page_lets_its_form_lead_to_the_client_only(connector_client, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")

    page = connector_client.get("/oauth_auth.do", params=params(client_id))

    policy = page.headers["content-security-policy"]
    assert "form-action 'self' https://bridge.example.com;" in policy
    assert "frame-ancestors 'none'" in policy


def test_the_code_is_stored_only_as_a_digest(connector_client, connector_context, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")
    code = approve(connector_client, params(client_id))["code"]
    with transaction(connector_context.sessions) as session:
        stored = session.scalars(select(AuthorizationCode)).one()
        assert code not in stored.code_digest
        assert (stored.expires_at - stored.created_at).total_seconds() == 60


def test_signed_out_user_signs_in_first_and_comes_back_to_the_consent_page(connector_client, registered):
    client_id, _secret, _agent = registered
    first = connector_client.get("/oauth_auth.do", params=params(client_id), follow_redirects=False)
    assert first.status_code == 303
    next_path = parse_qs(urlsplit(first.headers["location"]).query)["next"][0]
    assert next_path.startswith("/oauth_auth.do?")

    signed_in = login(connector_client, "agent", next_path=next_path)

    assert signed_in.headers["location"] == next_path
    assert "Allow access" in connector_client.get(next_path).text


def test_a_code_is_single_use_and_its_replay_revokes_the_tokens(connector_client, registered):
    client_id, secret, _agent = registered
    login(connector_client, "agent")
    code = approve(connector_client, params(client_id))["code"]
    first = exchange(connector_client, client_id, secret, code).json()

    replay = exchange(connector_client, client_id, secret, code)

    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    me = connector_client.get("/api/now/ui/user/current_user", headers=bearer(first["access_token"]))
    assert me.status_code == 401


def test_an_expired_code_is_refused(connector_client, connector_context, registered):
    client_id, secret, _agent = registered
    login(connector_client, "agent")
    code = approve(connector_client, params(client_id))["code"]
    with transaction(connector_context.sessions, write=True) as session:
        session.execute(update(AuthorizationCode).values(expires_at=utcnow()))

    refused = exchange(connector_client, client_id, secret, code)

    assert refused.status_code == 400
    assert refused.json() == {"error_description": "authorization code expired", "error": "invalid_grant"}


def test_the_redirect_uri_must_match_at_the_exchange(connector_client, registered):
    client_id, secret, _agent = registered
    login(connector_client, "agent")
    code = approve(connector_client, params(client_id))["code"]

    refused = exchange(connector_client, client_id, secret, code, redirect=REDIRECT + "/other")

    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


def test_another_client_cannot_spend_the_code(connector_client, connector_context, registered):
    client_id, _secret, _agent = registered
    with transaction(connector_context.sessions) as session:
        other, other_secret = oauth_server.create_client(session, "other", redirect_url=REDIRECT)
        other_id = other.client_id
    login(connector_client, "agent")
    code = approve(connector_client, params(client_id))["code"]

    refused = exchange(connector_client, other_id, other_secret, code)

    assert refused.status_code == 400 and refused.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "redirect",
    [REDIRECT + "x", "https://evil.example.com/auth/servicenow/callback", REDIRECT.upper(), ""],
)
def test_a_redirect_uri_other_than_the_registered_one_is_shown_not_followed(
    connector_client, connector_context, registered, redirect
):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")

    page = connector_client.get(
        "/oauth_auth.do", params=params(client_id, redirect=redirect), follow_redirects=False
    )

    assert page.status_code == 400 and "location" not in page.headers
    assert "does not match the redirect URL registered" in page.text
    with transaction(connector_context.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0


def test_an_unknown_client_or_one_without_redirect_url_is_shown_not_followed(
    connector_client, connector_context
):
    make_user(connector_context, "agent", [ITIL])
    with transaction(connector_context.sessions) as session:
        bare, _secret = oauth_server.create_client(session, "no redirect")
        bare_id = bare.client_id
    login(connector_client, "agent")

    unknown = connector_client.get("/oauth_auth.do", params=params("nope"), follow_redirects=False)
    bare_page = connector_client.get("/oauth_auth.do", params=params(bare_id), follow_redirects=False)

    assert unknown.status_code == 400 and "Unknown or inactive OAuth client" in unknown.text
    assert bare_page.status_code == 400 and "no redirect URL registered" in bare_page.text


def test_pkce_s256_needs_the_matching_verifier(connector_client, registered):
    client_id, secret, _agent = registered
    login(connector_client, "agent")
    pkce = {"code_challenge": challenge(VERIFIER), "code_challenge_method": "S256"}

    codes = [approve(connector_client, params(client_id, **pkce))["code"] for _ in range(3)]
    missing = exchange(connector_client, client_id, secret, codes[0])
    wrong = exchange(connector_client, client_id, secret, codes[1], code_verifier=VERIFIER[:-1] + "X")
    right = exchange(connector_client, client_id, secret, codes[2], code_verifier=VERIFIER)

    assert missing.status_code == 400 and missing.json()["error"] == "invalid_grant"
    assert wrong.status_code == 400 and "does not match" in wrong.json()["error_description"]
    assert right.status_code == 200


def test_pkce_plain_is_refused_at_the_redirect_uri(connector_client, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")
    query = params(client_id, code_challenge=VERIFIER, code_challenge_method="plain")

    refused = connector_client.get("/oauth_auth.do", params=query, follow_redirects=False)

    answer = parse_qs(urlsplit(refused.headers["location"]).query)
    assert refused.headers["location"].startswith(REDIRECT)
    assert answer["error"] == ["invalid_request"] and answer["state"] == ["st-1"]


def test_other_response_types_are_refused_at_the_redirect_uri(connector_client, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")

    refused = connector_client.get(
        "/oauth_auth.do", params={**params(client_id), "response_type": "token"}, follow_redirects=False
    )

    assert parse_qs(urlsplit(refused.headers["location"]).query)["error"] == ["unsupported_response_type"]


def test_deny_answers_access_denied_and_issues_no_code(connector_client, connector_context, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")

    answer = approve(connector_client, params(client_id), decision="deny")

    assert answer["error"] == "access_denied" and "code" not in answer
    with transaction(connector_context.sessions) as session:
        assert session.scalar(select(func.count()).select_from(AuthorizationCode)) == 0


def test_approval_without_the_session_csrf_token_is_refused(connector_client, registered):
    client_id, _secret, _agent = registered
    login(connector_client, "agent")

    refused = connector_client.post(
        "/oauth_auth.do", data={**params(client_id), "decision": "allow"}, follow_redirects=False
    )

    assert refused.status_code == 403 and "location" not in refused.headers


def test_a_missing_code_is_an_invalid_request(connector_client, registered):
    client_id, secret, _agent = registered

    refused = connector_client.post(
        "/oauth_token.do",
        data={"grant_type": "authorization_code", "client_id": client_id, "client_secret": secret},
    )

    assert refused.status_code == 400 and refused.json()["error"] == "invalid_request"


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "/relative/path",
        "https://bridge.example.com/cb#fragment",
        "https://",
        "https://user:pw@bridge.example.com/cb",
        "https://a;b.example.com/cb",
    ],
)
def test_a_redirect_url_must_be_absolute_http_without_fragment(connector_context, url):
    with transaction(connector_context.sessions) as session, pytest.raises(UserError):
        oauth_server.create_client(session, "bad", redirect_url=url)
