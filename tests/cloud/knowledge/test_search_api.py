import pytest

from m365bridge.cloud.identity.resources import GRAPH_RESOURCE, SUPPORT_RESOURCE
from m365bridge.cloud.integration.service import save_basic_information
from m365bridge.cloud.knowledge.importer import STARTER_FOLDER, STARTER_OPTIONS, ImportOptions, import_folder
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from tests.cloud.identity.conftest import make_directory


@pytest.fixture
def cloud_settings(tmp_path):
    return CloudSettings(data_dir=tmp_path / "cloud", solutions_public_rate_limit=3)


@pytest.fixture
def kb(cloud_context, tmp_path):
    private = tmp_path / "private"
    (private / "howto").mkdir(parents=True)
    (private / "howto" / "vpn.md").write_text("---\ntitle: Contoso VPN password reset\n---\nCall desk.\n")
    with transaction(cloud_context.sessions) as session:
        import_folder(session, STARTER_FOLDER, STARTER_OPTIONS)
        import_folder(session, private, ImportOptions(prefix="contoso/", public=False, tenant_id="t-1"))
    return cloud_context


def test_anonymous_search_returns_ranked_public_articles(kb, cloud_client):
    response = cloud_client.post(
        "/support/v1/solutions/search", json={"text": "assistant stopped getting the boss's invites"}
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["public_only"] is True
    first = body["value"][0]
    assert first["id"] == "starter/exchange/calendar-delegate-not-receiving"
    assert set(first) >= {"id", "title", "summary", "link", "score", "passage"}
    assert first["link"].endswith("/support/v1/articles/starter/exchange/calendar-delegate-not-receiving")
    scores = [item["score"] for item in body["value"]]
    assert scores == sorted(scores, reverse=True)


def test_anonymous_search_never_returns_private_articles(kb, cloud_client):
    response = cloud_client.get("/support/v1/solutions/search", params={"q": "Contoso VPN password reset"})
    assert all(not item["id"].startswith("contoso/") for item in response.json()["value"])


def test_anonymous_callers_are_rate_limited_per_address(kb, cloud_client):
    statuses = [
        cloud_client.get("/support/v1/solutions/search", params={"q": "onedrive full"}).status_code
        for _ in range(4)
    ]
    assert statuses == [200, 200, 200, 429]


def test_malformed_authorization_is_rejected(kb, cloud_client):
    response = cloud_client.get(
        "/support/v1/solutions/search", params={"q": "x"}, headers={"Authorization": "Basic abc"}
    )
    assert response.status_code == 401


def test_index_is_refreshed_after_the_kb_changes(kb, cloud_client, tmp_path):
    query = {"q": "zebra printer jams"}
    assert cloud_client.get("/support/v1/solutions/search", params=query).json()["value"] == []
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "printer.md").write_text("---\ntitle: Zebra printer jams\n---\nClean the rollers.\n")
    with transaction(kb.sessions) as session:
        import_folder(session, extra, ImportOptions(prefix="extra/"))
    assert cloud_client.get("/support/v1/solutions/search", params=query).json()["value"][0]["id"] == (
        "extra/printer"
    )


def test_article_endpoint_hides_private_articles_from_anonymous_callers(kb, cloud_client):
    assert cloud_client.get("/support/v1/articles/starter/signin/mfa-new-phone").status_code == 200
    assert cloud_client.get("/support/v1/articles/contoso/howto/vpn").status_code == 404


def support_token(client, tenant, app):
    form = {
        "grant_type": "client_credentials",
        "client_id": app.client_id,
        "client_secret": app.secret,
        "resource": SUPPORT_RESOURCE,
    }
    response = client.post(f"/{tenant}/oauth2/token", data=form)
    assert response.status_code == 200, response.text
    return response.json()["access_token"]


def configure_issuing_app(context, directory):
    with transaction(context.sessions) as session:
        save_basic_information(session, directory.tenant_id, app_id=directory.client.client_id)


def test_tenant_token_sees_its_private_articles_and_is_not_limited_like_anonymous(kb, cloud_client):
    directory = make_directory(kb, "fabrikam.onmicrosoft.com")
    configure_issuing_app(kb, directory)
    with transaction(kb.sessions) as session:
        import_folder(
            session,
            STARTER_FOLDER.parent / "starter" / "signin",
            ImportOptions(prefix=f"{directory.tenant_id}/", public=False, tenant_id=directory.tenant_id),
        )
    headers = {"Authorization": f"Bearer {support_token(cloud_client, directory.domain, directory.client)}"}
    for _ in range(5):
        response = cloud_client.get(
            "/support/v1/solutions/search", params={"q": "new phone authenticator"}, headers=headers
        )
        assert response.status_code == 200, response.text
    body = response.json()
    assert body["public_only"] is False
    assert any(item["id"].startswith(f"{directory.tenant_id}/") for item in body["value"])
    assert not any(item["id"].startswith("contoso/") for item in body["value"])


def test_token_of_an_app_other_than_the_configured_one_is_refused(kb, cloud_client):
    directory = make_directory(kb, "fabrikam.onmicrosoft.com")
    headers = {"Authorization": f"Bearer {support_token(cloud_client, directory.domain, directory.client)}"}
    response = cloud_client.get("/support/v1/solutions/search", params={"q": "mfa"}, headers=headers)
    assert response.status_code == 403
    assert "Application ID to issue Auth Token" in response.json()["error"]["message"]


def test_token_for_another_audience_is_rejected(kb, cloud_client):
    directory = make_directory(kb, "fabrikam.onmicrosoft.com")
    form = {
        "grant_type": "client_credentials",
        "client_id": directory.client.client_id,
        "client_secret": directory.client.secret,
        "resource": GRAPH_RESOURCE,
    }
    token = cloud_client.post(f"/{directory.domain}/oauth2/token", data=form).json()["access_token"]
    response = cloud_client.get(
        "/support/v1/solutions/search", params={"q": "x"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 401


def test_results_show_an_updated_article_as_it_is_now(kb, cloud_client, tmp_path):
    folder = tmp_path / "printers"
    folder.mkdir()
    article = folder / "zebra.md"
    article.write_text("---\ntitle: Zebra printer jams\n---\nClean the rollers.\n")
    with transaction(kb.sessions) as session:
        import_folder(session, folder, ImportOptions(prefix="printers/"))
    query = {"q": "zebra printer"}
    assert cloud_client.get("/support/v1/solutions/search", params=query).json()["value"][0]["title"] == (
        "Zebra printer jams"
    )
    article.write_text("---\ntitle: Zebra printer jams after the firmware update\n---\nRoll it back.\n")
    with transaction(kb.sessions) as session:
        import_folder(session, folder, ImportOptions(prefix="printers/"))
    [first, *_] = cloud_client.get("/support/v1/solutions/search", params=query).json()["value"]
    assert first["title"] == "Zebra printer jams after the firmware update"
    assert "Roll it back" in first["passage"]
