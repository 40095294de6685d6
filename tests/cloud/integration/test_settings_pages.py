from sqlalchemy import text

from tests.cloud.directory.test_login import csrf_of, sign_in
from tests.cloud.people import add_admin

PAGE = "/portal/settings/support-integration"


def signed_in_admin(cloud_client, cloud_context):
    sign_in(cloud_client, *add_admin(cloud_context))
    return csrf_of(cloud_client.get(PAGE).text)


def test_admin_saves_basic_information_in_the_page(cloud_client, cloud_context):
    csrf = signed_in_admin(cloud_client, cloud_context)
    saved = cloud_client.post(f"{PAGE}/basic", data={"csrf_token": csrf, "application_id": "outbound-app"})
    assert saved.status_code == 200
    assert "Your changes were saved." in saved.text
    assert 'value="outbound-app"' in saved.text


def test_admin_adds_edits_and_deletes_a_repository_in_the_pages(cloud_client, cloud_context):
    csrf = signed_in_admin(cloud_client, cloud_context)
    form = {
        "csrf_token": csrf,
        "repository": "contoso-sn",
        "endpoint": "https://contoso.service-now.example",
        "auth_type": "Basic Auth",
        "client_id": "sn-client",
        "client_secret": "page-secret-1",
        "refresh_token_expiry": "864000",
        "rest_username": "integration",
        "rest_password": "page-password-2",
    }
    added = cloud_client.post(f"{PAGE}/repositories/new", data=form)
    assert "contoso-sn" in added.text
    editor = cloud_client.get(f"{PAGE}/repositories/contoso-sn").text
    assert "page-secret-1" not in editor and "page-password-2" not in editor
    assert "A secret is saved" in editor
    edit = {**form, "client_secret": "", "rest_password": "", "endpoint": "https://edited.example"}
    assert "https://edited.example" in cloud_client.post(f"{PAGE}/repositories/contoso-sn", data=edit).text
    with cloud_context.engine.connect() as conn:
        stored = conn.execute(text("SELECT client_secret_encrypted FROM support_repositories")).scalar_one()
    assert cloud_context.secrets.decrypt(stored) == "page-secret-1"
    deleted = cloud_client.post(f"{PAGE}/repositories/contoso-sn/delete", data={"csrf_token": csrf})
    assert "No repository yet." in deleted.text


def test_a_page_form_with_an_invalid_endpoint_shows_the_error(cloud_client, cloud_context):
    csrf = signed_in_admin(cloud_client, cloud_context)
    form = {
        "csrf_token": csrf,
        "repository": "r1",
        "endpoint": "http://example.com",
        "auth_type": "Basic Auth",
    }
    response = cloud_client.post(f"{PAGE}/repositories/new", data=form)
    assert response.status_code == 400
    assert "must use https" in response.text


def test_forms_without_the_csrf_token_are_refused(cloud_client, cloud_context):
    signed_in_admin(cloud_client, cloud_context)
    response = cloud_client.post(f"{PAGE}/basic", data={"application_id": "x"})
    assert response.status_code == 403
