def test_unknown_api_path_is_a_servicenow_404(connector_client):
    response = connector_client.get("/api/x_mioms_m365_assis/v1/nothing-here")

    assert response.status_code == 404
    assert response.json()["status"] == "failure"
    assert set(response.json()["error"]) == {"message", "detail"}


def test_wrong_method_is_a_servicenow_405(connector_client):
    response = connector_client.put("/api/x_mioms_m365_assis/v1/whoami")

    assert response.status_code == 405
    assert response.json()["error"]["message"] == "Method not Supported"


def test_invalid_body_is_400_with_a_readable_detail(connector_context, connector_client):
    from tests.connector.auth.helpers import basic, make_user

    make_user(connector_context, "boss", ["admin"])

    response = connector_client.post(
        "/api/x_mioms_m365_assis/v1/allowlist", json={"description": "no cidr"}, headers=basic("boss")
    )

    assert response.status_code == 400
    assert "cidr" in response.json()["error"]["detail"]
    assert response.json()["status"] == "failure"
