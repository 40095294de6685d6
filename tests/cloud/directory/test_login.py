import re

from m365bridge.cloud.directory.dependencies import SESSION_COOKIE
from tests.cloud.people import add_admin


def csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


def sign_in(client, email: str, password: str, next_path: str = "/portal"):
    page = client.get("/portal/login")
    return client.post(
        "/portal/login",
        data={"email": email, "password": password, "csrf_token": csrf_of(page.text), "next": next_path},
        follow_redirects=False,
    )


def test_pages_send_visitors_to_the_login_page(cloud_client):
    response = cloud_client.get("/portal/settings/support-integration", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/portal/login?next=")


def test_signing_in_sets_an_httponly_samesite_session_cookie(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    response = sign_in(cloud_client, email, password)
    assert response.status_code == 303
    cookie = next(h for h in response.headers.get_list("set-cookie") if h.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_a_wrong_password_is_refused(cloud_client, cloud_context):
    email, _ = add_admin(cloud_context)
    response = sign_in(cloud_client, email, "not-the-password")
    assert response.status_code == 401
    assert "incorrect" in response.text
    assert SESSION_COOKIE not in cloud_client.cookies


def test_the_login_form_needs_its_csrf_token(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    cloud_client.get("/portal/login")
    response = cloud_client.post(
        "/portal/login", data={"email": email, "password": password, "csrf_token": "forged"}
    )
    assert response.status_code == 403


def test_login_never_redirects_off_site(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    response = sign_in(cloud_client, email, password, next_path="//evil.example/x")
    assert response.headers["location"] == "/portal"


def test_logout_needs_csrf_and_ends_the_session(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    sign_in(cloud_client, email, password)
    page = cloud_client.get("/portal/settings/support-integration")
    assert page.status_code == 200
    assert cloud_client.post("/portal/logout", data={"csrf_token": "forged"}).status_code == 403
    out = cloud_client.post("/portal/logout", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
    assert out.status_code == 303
    again = cloud_client.get("/portal/settings/support-integration", follow_redirects=False)
    assert again.status_code == 303


def test_sessions_end_after_the_idle_timeout(cloud_client, cloud_context):
    email, password = add_admin(cloud_context)
    sign_in(cloud_client, email, password)
    cloud_context.settings.ui_idle_timeout_seconds = 0
    response = cloud_client.get("/portal/settings/support-integration", follow_redirects=False)
    assert response.status_code == 303
