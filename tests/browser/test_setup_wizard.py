"""An admin walks the setup wizard in the browser until Test connection passes, in every setup mode.

Each demo starts fully set up; the admin first clicks Change mode (the wizard's own reset: back to the two
questions), then answers them and goes through every step, choosing what the demo registered: the outbound
OAuth entity, the OAuth client or OIDC entity and the integration user, and typing the repository id and
application settings. The file runs after the others (its name sorts last) and leaves the setup complete.
"""

from typing import Any

from m365bridge.demo.browser import sign_in

ANSWERS = {  # Basic auth allowed for inbound calls? A single tenant?
    "basic": ("yes", "yes"),
    "aad": ("no", "yes"),
    "insights": ("no", "no"),
}


def test_an_admin_walks_the_wizard_until_test_connection_passes(page, mode_demo):
    mode = mode_demo["mode"]
    sign_in(page, mode_demo["connector_url"], mode_demo["users"]["admin"])
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Setup").click()
    page.get_by_role("button", name="Change mode").click()

    basic_auth, single_tenant = ANSWERS[mode]
    page.locator(f"input[name=basic_auth_allowed][value={basic_auth}]").check()
    page.locator(f"input[name=single_tenant][value={single_tenant}]").check()
    page.get_by_role("button", name="Next").click()
    assert page.get_by_role("heading", name="Step 0: Consent").is_visible()

    page.get_by_role("button", name="Agree").click()
    step(page, 1, "Outbound OAuth provider")
    page.get_by_label("OAuth profile").select_option(label="Azure default_profile")
    page.get_by_label("Microsoft Graph URL").fill(mode_demo["graph_url"])
    page.get_by_label("Support service URL").fill(mode_demo["support_url"])
    page.get_by_role("button", name="Next").click()

    step(page, 2, "Inbound OAuth provider")
    inbound_step(page, mode_demo)
    step(page, 3, "Inbound call integration user")
    integration_user_step(page, mode_demo)

    step(page, 4, "Repository ID")
    page.get_by_label("Repository ID").fill("contoso-servicenow")
    page.get_by_role("button", name="Next").click()

    step(page, 5, "Application settings")
    page.get_by_label("Microsoft 365 admin email").fill("admin@contoso.onmicrosoft.com")
    page.get_by_label("Test environment").check()
    page.get_by_label("Tenant domain").fill(mode_demo["tenant"]["domain"])
    page.get_by_role("button", name="Next").click()

    step(page, 6, "Complete the integration")
    page.get_by_role("button", name="Test connection").click()
    assert page.get_by_text("Test connection passed.").is_visible()
    assert page.locator("ul.checks li.failed").count() == 0
    page.get_by_role("button", name="Next").click()
    assert page.get_by_text("Setup is complete.").first.is_visible()


def step(page: Any, number: int, title: str) -> None:
    """The wizard moved on to this step (a refused step stays put and shows its error instead)."""
    errors = page.get_by_role("alert")
    assert errors.count() == 0, errors.first.inner_text()
    assert page.get_by_role("heading", name=f"Step {number}: {title}").is_visible()


def inbound_step(page: Any, demo: dict[str, Any]) -> None:
    """Basic: the OAuth client the cloud logs in with; AAD: the OIDC entity; Insights: nothing calls in."""
    if demo["mode"] == "basic":
        client_id = demo["oauth_clients"]["support"]["client_id"]
        page.get_by_label("OAuth client").select_option(label=f"Microsoft 365 support ({client_id})")
    elif demo["mode"] == "aad":
        assert page.get_by_label("External OIDC Auth Token").is_checked()
        audience = demo["apps"]["rest_api"]["client_id"]
        page.get_by_label("OIDC entity").select_option(label=f"Microsoft 365 support REST API ({audience})")
    else:
        page.get_by_role("button", name="Skip current step").click()
        return
    page.get_by_role("button", name="Next").click()


def integration_user_step(page: Any, demo: dict[str, Any]) -> None:
    if demo["mode"] == "basic":
        page.get_by_label("Integration user").select_option(demo["users"]["integration"]["user_name"])
    elif demo["mode"] == "aad":
        page.get_by_label("REST user app's client id").fill(demo["apps"]["rest_user"]["client_id"])
    else:
        page.get_by_role("button", name="Skip current step").click()
        return
    page.get_by_role("button", name="Next").click()
