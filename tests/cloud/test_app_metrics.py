from fastapi.testclient import TestClient
from pydantic import SecretStr

from m365bridge.cloud.app import create_app
from m365bridge.cloud.context import CloudContext


def test_health_is_open_and_metrics_need_the_configured_token(cloud_settings):
    settings = cloud_settings.model_copy(update={"metrics_token": SecretStr("tok")})
    with TestClient(create_app(context=CloudContext.build(settings))) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
        assert client.get("/metrics").status_code == 403
        scraped = client.get("/metrics", headers={"Authorization": "Bearer tok"})
        counted = 'm365bridge_cloud_http_requests_total{method="GET",route="/healthz",status="200"} 1.0'
        assert counted in scraped.text
