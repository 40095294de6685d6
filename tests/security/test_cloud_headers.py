"""Cloud pages send the connector's security headers (issue 15 item 13): CSP, no framing, nosniff."""

from __future__ import annotations

import re

import pytest

from m365bridge.shared.headers import CSP


@pytest.mark.parametrize("path", ["/portal/login", "/portal/login?next=/console"])
def test_a_cloud_page_carries_the_content_security_policy_and_frame_rules(cloud_client, path):
    page = cloud_client.get(path)
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["content-security-policy"] == CSP
    assert page.headers["x-frame-options"] == "DENY"
    assert page.headers["referrer-policy"] == "same-origin"
    assert page.headers["x-content-type-options"] == "nosniff"


def test_cloud_json_and_graph_answers_get_nosniff(cloud_client):
    for path in ("/readyz", "/graph/v1.0/admin/serviceAnnouncement/issues"):
        answer = cloud_client.get(path)
        assert answer.headers["x-content-type-options"] == "nosniff", path
        assert "content-security-policy" not in answer.headers


def test_no_cloud_template_needs_inline_styles_or_scripts_the_policy_would_block():
    from m365bridge.cloud.web.templating import WEB

    for template in (WEB / "templates").rglob("*.html"):
        text = template.read_text()
        assert not re.search(r"\sstyle=\"|<script(?![^>]*\ssrc=)|\son[a-z]+=\"", text), template
