"""No endpoint under ``/api/`` ships unauthenticated: every operation refuses an anonymous call with 401.

The walk goes over the app's own OpenAPI document, so a new router is covered the moment it is included.
Authentication runs as a dependency before any parameter or body is validated, so a 401 here means the
route has an auth dependency, whatever its inputs.
"""

from __future__ import annotations

import re

from m365bridge.connector.app import create_app

# Documented in docs/security.md as public: the token endpoint under the inbound Endpoint, where the cloud
# exchanges the repository's client credentials and rest user password for a token (it authenticates the
# caller itself, from the form, and answers 401 to bad credentials).
PUBLIC_API_OPERATIONS: frozenset[tuple[str, str]] = frozenset(
    {("POST", "/api/x_mioms_m365_assis/inbound/oauth_token.do")}
)


def test_every_api_operation_refuses_an_anonymous_caller(connector_context, connector_client):
    paths = create_app(context=connector_context).openapi()["paths"]
    operations = [
        (method.upper(), path)
        for path, items in paths.items()
        if path.startswith("/api/")
        for method in items
        if method in {"get", "post", "put", "patch", "delete"}
    ]
    assert operations, "no /api/ operations found"

    open_ones = []
    for method, path in operations:
        if (method, path) in PUBLIC_API_OPERATIONS:
            continue
        response = connector_client.request(method, re.sub(r"\{[^}]+\}", "x", path), json={})
        if response.status_code != 401:
            open_ones.append(f"{method} {path} -> {response.status_code}")

    assert open_ones == []


def test_every_api_route_is_in_the_openapi_document(connector_context):
    """The walk above sees only documented routes; an /api/ route hidden from the schema would escape it."""
    app = create_app(context=connector_context)
    documented = set(app.openapi()["paths"])
    hidden = [
        path
        for route in app.routes
        if (path := getattr(route, "path", "")).startswith("/api/")
        and not getattr(route, "include_in_schema", True)
    ]

    assert hidden == [] and documented
