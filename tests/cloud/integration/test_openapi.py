def test_the_support_api_is_documented_in_openapi_under_v1(cloud_client):
    paths = cloud_client.get("/openapi.json").json()["paths"]
    for path in (
        "/support/v1/tenants/{tenant}/integration",
        "/support/v1/tenants/{tenant}/integration/repositories/{repository}",
        "/support/v1/integration",
        "/support/v1/repositories/{repository}/probe",
        "/support/v1/cases",
        "/support/v1/cases/{case_id}/messages",
        "/support/v1/cases/{case_id}/contact",
    ):
        assert path in paths
    assert not any(p.startswith(("/portal", "/console")) for p in paths)
