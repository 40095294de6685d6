"""No password, client secret or token is ever stored, logged or answered in clear."""

from sqlalchemy import text

from m365bridge.connector.auth.oauth import service as oauth_server
from m365bridge.connector.models import Base
from m365bridge.shared.db import transaction
from tests.connector.auth.helpers import API, PASSWORD, basic, login, make_user


def test_no_secret_appears_in_any_row_log_line_or_response(connector_context, connector_client):
    make_user(connector_context, "integration", ["incident_manager"], web_service_access_only=True)
    make_user(connector_context, "root", ["admin"])
    with transaction(connector_context.sessions) as session:
        client, secret = oauth_server.create_client(session, "cloud")
        client_id = client.client_id
    form = {"client_id": client_id, "client_secret": secret, "username": "integration", "password": PASSWORD}
    grant = connector_client.post("/oauth_token.do", data={"grant_type": "password", **form}).json()
    rotated = connector_client.post(
        "/oauth_token.do",
        data={
            "grant_type": "refresh_token",
            "client_id": client_id,
            "client_secret": secret,
            "refresh_token": grant["refresh_token"],
        },
    ).json()
    connector_client.post(
        "/oauth_token.do", data={"grant_type": "password", **form, "password": "wrong guess"}
    )
    connector_client.get(f"{API}/whoami", headers=basic("integration", "wrong guess"))
    users = connector_client.get(f"{API}/users", headers=basic("root"))
    login(connector_client, "root")
    secrets = [PASSWORD, "wrong guess", secret, *grant.values(), *rotated.values()]
    secrets = [s for s in secrets if isinstance(s, str) and len(s) > 8]

    dump = []
    with connector_context.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            dump += [repr(row) for row in conn.execute(text(f"SELECT * FROM {table.name}"))]
    stored = "\n".join(dump)

    assert users.status_code == 200
    for value in secrets:
        assert value not in stored
        assert value not in users.text
