"""Security headers: CSP, frame and referrer rules on HTML answers; ``nosniff`` on every answer."""

from __future__ import annotations

from fastapi.testclient import TestClient


def test_an_html_page_carries_the_content_security_policy_and_frame_rules(
    connector_client: TestClient,
) -> None:
    page = connector_client.get("/login")
    assert page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_a_json_answer_gets_nosniff_but_no_page_policy(connector_client: TestClient) -> None:
    answer = connector_client.get("/readyz")
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers
