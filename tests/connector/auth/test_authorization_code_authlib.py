"""A real OAuth client library, Authlib's httpx client, runs the authorization-code grant with PKCE
against the built-in service desk served over https: the stand-in speaks the protocol, not just our tests'
idea of it."""

from __future__ import annotations

import ssl

import httpx
from authlib.common.security import generate_token
from authlib.integrations.httpx_client import OAuth2Client

from m365bridge.connector.app import create_app
from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.users.roles import ITIL
from m365bridge.shared.db import transaction
from m365bridge.shared.serving import serving
from tests.connector.auth.helpers import PASSWORD, hidden_field, hidden_fields, make_user

REDIRECT = "https://bridge.example.com/auth/servicenow/callback"


def test_authlib_gets_tokens_with_pkce_and_reads_the_current_user(connector_context, tls):
    agent_id = make_user(connector_context, "agent", [ITIL])
    with transaction(connector_context.sessions) as session:
        client, secret = oauth_server.create_client(session, "authlib", redirect_url=REDIRECT)
        client_id = client.client_id
    verify = ssl.create_default_context(cafile=str(tls.ca_cert))
    with serving(create_app(context=connector_context), tls=tls) as server:
        oauth = OAuth2Client(
            client_id,
            secret,
            redirect_uri=REDIRECT,
            code_challenge_method="S256",
            token_endpoint_auth_method="client_secret_post",
            verify=verify,
        )
        verifier = generate_token(48)
        url, state = oauth.create_authorization_url(f"{server.url}/oauth_auth.do", code_verifier=verifier)
        with httpx.Client(base_url=server.url, verify=verify) as browser:
            form = browser.get("/login")
            browser.post(
                "/login",
                data={
                    "user_name": "agent",
                    "password": PASSWORD,
                    "csrf_token": hidden_field(form.text, "csrf_token"),
                },
            )
            consent = browser.get(url)
            answer = browser.post("/oauth_auth.do", data={**hidden_fields(consent.text), "decision": "allow"})
        callback = answer.headers["location"]

        token = oauth.fetch_token(
            f"{server.url}/oauth_token.do",
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
        )
        me = oauth.get(f"{server.url}/api/now/ui/user/current_user")
        oauth.close()

    assert token["token_type"] == "Bearer" and token["refresh_token"]
    assert me.json()["result"]["user_sys_id"] == agent_id
