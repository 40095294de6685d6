import pytest
from fastapi import FastAPI
from playwright.sync_api import Error as PlaywrightError

from m365bridge.shared.serving import serving
from m365bridge.shared.tls import ensure_server_certificate
from tests.browser.conftest import save_page


def test_the_connector_login_page_renders_over_trusted_https(page, demo):
    response = page.goto(f"{demo['connector_url']}/login")
    assert response is not None and response.ok
    assert page.url.startswith("https://localhost:")
    assert page.get_by_role("heading", name="Sign in").is_visible()
    assert page.get_by_label("User name").is_visible()
    assert page.get_by_label("Password").is_visible()
    assert page.get_by_role("button", name="Sign in").is_enabled()
    save_page(page, "connector_login_page")


def test_a_certificate_from_another_ca_is_refused(page, tmp_path):
    other = ensure_server_certificate(tmp_path / "other-ca")
    untrusted = pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID")
    with serving(FastAPI(), tls=other) as server, untrusted:
        page.goto(f"{server.url}/docs")
