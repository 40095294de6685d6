"""Helpers for tests that need users and signed-in clients on the connector."""

from __future__ import annotations

import base64
import html
import re
from collections.abc import Iterable

from fastapi.testclient import TestClient

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.users import service
from m365bridge.shared.db import transaction

PASSWORD = "correct horse battery"
API = "/api/x_mioms_m365_assis/v1"


def make_user(
    context: ConnectorContext,
    user_name: str,
    roles: Iterable[str] = (),
    *,
    password: str = PASSWORD,
    web_service_access_only: bool = False,
) -> str:
    with transaction(context.sessions) as session:
        user = service.create_user(
            session,
            user_name,
            password=password,
            roles=roles,
            web_service_access_only=web_service_access_only,
        )
        return user.id


def basic(user_name: str, password: str = PASSWORD) -> dict[str, str]:
    encoded = base64.b64encode(f"{user_name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {encoded}"}


def hidden_field(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name}"
    return match.group(1)


def hidden_fields(page: str) -> dict[str, str]:
    """Every hidden input of a page (a form to post back as it is)."""
    found = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', page)
    return {name: html.unescape(value) for name, value in found}


def login(client: TestClient, user_name: str, password: str = PASSWORD, next_path: str = "/"):
    form = client.get("/login")
    return client.post(
        "/login",
        data={
            "user_name": user_name,
            "password": password,
            "csrf_token": hidden_field(form.text, "csrf_token"),
            "next": next_path,
        },
        follow_redirects=False,
    )


def page_csrf(client: TestClient, path: str = "/") -> str:
    return hidden_field(client.get(path).text, "csrf_token")
