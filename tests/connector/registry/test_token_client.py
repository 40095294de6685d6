from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from sqlalchemy import select

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.logs.http_log import OutboundHttpRequest
from m365bridge.connector.registry import service
from m365bridge.connector.registry.token_client import TokenClient, TokenPermanentError, TokenRetriableError
from m365bridge.shared.db import transaction
from tests.connector.conftest import CLIENT_SECRET, TENANT, TOKEN_URL

GRAPH = "https://graph.microsoft.com"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def token_response(n: int = 0, expires_in: str = "3599") -> httpx.Response:
    # Entra's v1 endpoint sends expires_in as a string.
    return httpx.Response(
        200, json={"token_type": "Bearer", "expires_in": expires_in, "access_token": f"token-{n}"}
    )


def form(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(request.content.decode())


@respx.mock
def test_one_token_request_serves_many_calls_until_it_nears_expiry(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    route = respx.post(TOKEN_URL).mock(side_effect=[token_response(1), token_response(2)])
    clock = FakeClock()
    client = TokenClient(connector_context, clock=clock)

    assert {client.get_token(outbound_entity, GRAPH) for _ in range(5)} == {"token-1"}
    assert route.call_count == 1
    body = form(route.calls[0].request)
    assert body["grant_type"] == ["client_credentials"] and body["resource"] == [GRAPH]

    clock.now += 3599 - connector_context.settings.token_expiry_skew_seconds + 1
    assert client.get_token(outbound_entity, GRAPH) == "token-2"
    assert route.call_count == 2


def lookups(context: ConnectorContext, outcome: str) -> float:
    value = context.metrics.registry.get_sample_value(
        "m365bridge_connector_token_cache_lookups_total", {"outcome": outcome}
    )
    return value or 0.0


@respx.mock
def test_cache_lookups_are_counted_as_hits_and_misses(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    respx.post(TOKEN_URL).mock(side_effect=[token_response(1), token_response(2)])
    client = TokenClient(connector_context)
    client.get_token(outbound_entity, GRAPH)
    client.get_token(outbound_entity, GRAPH)
    client.get_token(outbound_entity, GRAPH)
    client.get_token(outbound_entity, "https://other.example.test")
    assert lookups(connector_context, "miss") == 2
    assert lookups(connector_context, "hit") == 2


@respx.mock
def test_v2_token_url_asks_for_a_scope(connector_context: ConnectorContext) -> None:
    url = f"https://login.example.test/{TENANT}/oauth2/v2.0/token"
    with transaction(connector_context.sessions) as session:
        entity = service.create_entity(
            session, connector_context.secrets, name="v2", client_id="c", client_secret="s", token_url=url
        )
    route = respx.post(url).mock(return_value=token_response())
    TokenClient(connector_context).get_token(entity.id, GRAPH)
    body = form(route.calls[0].request)
    assert body["scope"] == [f"{GRAPH}/.default"] and "resource" not in body


@respx.mock
def test_concurrent_callers_share_one_token_request(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    def slow(_request: httpx.Request) -> httpx.Response:
        time.sleep(0.2)
        return token_response()

    route = respx.post(TOKEN_URL).mock(side_effect=slow)
    client = TokenClient(connector_context)
    results: list[str] = []
    threads = [
        threading.Thread(target=lambda: results.append(client.get_token(outbound_entity, GRAPH)))
        for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == ["token-0"] * 4
    assert route.call_count == 1


@respx.mock
def test_wrong_secret_is_a_permanent_error_naming_the_provider(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    respx.post(TOKEN_URL).mock(
        return_value=httpx.Response(
            401,
            json={
                "error": "invalid_client",
                "error_description": "AADSTS7000215: Invalid client secret provided. Ensure the secret being "
                "sent in the request is the client secret value, not the client secret ID.",
                "error_codes": [7000215],
            },
        )
    )
    with pytest.raises(TokenPermanentError) as caught:
        TokenClient(connector_context).get_token(outbound_entity, GRAPH)
    message = str(caught.value)
    assert "'Azure'" in message and "client secret is wrong" in message and "AADSTS7000215" in message
    assert CLIENT_SECRET not in message


@respx.mock
def test_throttling_is_retriable_with_retry_after(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    respx.post(TOKEN_URL).mock(return_value=httpx.Response(429, headers={"Retry-After": "7"}))
    with pytest.raises(TokenRetriableError) as caught:
        TokenClient(connector_context).get_token(outbound_entity, GRAPH)
    assert caught.value.retry_after == 7


@respx.mock
def test_unreachable_token_service_is_retriable(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    respx.post(TOKEN_URL).mock(side_effect=httpx.ConnectError("refused"))
    with pytest.raises(TokenRetriableError, match="cannot reach"):
        TokenClient(connector_context).get_token(outbound_entity, GRAPH)


@respx.mock
def test_token_requests_are_logged_without_the_secret(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    respx.post(TOKEN_URL).mock(return_value=token_response())
    TokenClient(connector_context).get_token(outbound_entity, GRAPH)
    with transaction(connector_context.sessions) as session:
        rows = session.scalars(select(OutboundHttpRequest)).all()
        assert [(r.method, r.host, r.status, r.source) for r in rows] == [
            ("POST", "login.example.test", 200, "oauth_token")
        ]
        assert all(CLIENT_SECRET not in (r.url + (r.error or "")) for r in rows)


@respx.mock
def test_a_remembered_fresh_token_replaces_the_cached_one_and_a_plain_fresh_token_does_not(
    connector_context: ConnectorContext, outbound_entity: str
) -> None:
    route = respx.post(TOKEN_URL).mock(side_effect=[token_response(n) for n in range(1, 4)])
    client = TokenClient(connector_context)
    assert client.get_token(outbound_entity, GRAPH) == "token-1"
    with transaction(connector_context.sessions) as session:
        credentials = service.outbound_credentials(session, connector_context.secrets, outbound_entity)

    assert client.fetch_uncached(credentials, GRAPH) == "token-2"
    assert client.get_token(outbound_entity, GRAPH) == "token-1"
    assert client.fetch_uncached(credentials, GRAPH, remember=True) == "token-3"
    assert client.get_token(outbound_entity, GRAPH) == "token-3"
    assert route.call_count == 3
