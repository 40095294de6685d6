import httpx
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from m365bridge.shared.metrics import Metrics, install_metrics
from m365bridge.shared.serving import serving

TOKEN = "scrape-me"


def make_app(metrics: Metrics, token: str | None = TOKEN) -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"id": item_id}

    install_metrics(app, metrics, token=token)
    return app


def scrape(client: TestClient | httpx.Client, token: str | None = TOKEN) -> dict[tuple[str, tuple], float]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_requests_are_counted_by_route_template_and_status():
    client = TestClient(make_app(Metrics("t")))
    for path in ("/items/7", "/items/8", "/items/x", "/nowhere"):
        client.get(path)
    samples = scrape(client)
    route = "/items/{item_id}"
    count = "t_http_requests_total"
    assert samples[(count, (("method", "GET"), ("route", route), ("status", "200")))] == 2
    assert samples[(count, (("method", "GET"), ("route", route), ("status", "422")))] == 1
    assert samples[(count, (("method", "GET"), ("route", "<unmatched>"), ("status", "404")))] == 1
    latency = "t_http_request_duration_seconds_count"
    assert samples[(latency, (("method", "GET"), ("route", route)))] == 3


def test_metrics_need_the_bearer_token_when_one_is_set():
    client = TestClient(make_app(Metrics("t")))
    assert client.get("/metrics").status_code == 403
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 403
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_without_a_token_only_loopback_clients_may_scrape():
    app = make_app(Metrics("t"), token=None)
    assert TestClient(app).get("/metrics").status_code == 403  # TestClient's peer is "testclient"
    with serving(app) as server, httpx.Client(base_url=server.url) as client:
        assert "t_http_requests_total" in client.get("/metrics").text


def test_features_add_gauges_and_counters_computed_or_set():
    metrics = Metrics("t")
    depth = [3]
    metrics.gauge("outbox_depth", "Messages waiting.", function=lambda: depth[0])
    hits = metrics.counter("token_cache_hits", "Cache hits.", labels=("provider",))
    hits.labels(provider="contoso").inc(2)
    depth[0] = 5
    samples = scrape(TestClient(make_app(metrics)))
    assert samples[("t_outbox_depth", ())] == 5
    assert samples[("t_token_cache_hits_total", (("provider", "contoso"),))] == 2


def test_registering_a_name_again_returns_the_same_metric():
    metrics = Metrics("t")
    assert metrics.gauge("lag", "Sync lag.") is metrics.gauge("lag", "Sync lag.")


def test_each_instance_has_its_own_registry():
    first, second = Metrics("t"), Metrics("t")
    first.counter("jobs", "Jobs run.").inc()
    second.counter("jobs", "Jobs run.")
    assert scrape(TestClient(make_app(first)))[("t_jobs_total", ())] == 1
    assert scrape(TestClient(make_app(second)))[("t_jobs_total", ())] == 0


def test_routes_of_a_mounted_app_are_labelled_with_the_mount_path():
    inner = FastAPI()

    @inner.get("/issues/{issue_id}")
    def issue(issue_id: str) -> dict[str, str]:
        return {"id": issue_id}

    app = make_app(Metrics("t"))
    app.mount("/graph", inner)
    client = TestClient(app)
    client.get("/graph/issues/EX1")
    client.get("/graph/elsewhere")
    samples = scrape(client)
    labels = (("method", "GET"), ("route", "/graph/issues/{issue_id}"), ("status", "200"))
    assert samples[("t_http_requests_total", labels)] == 1
    labels = (("method", "GET"), ("route", "/graph/<unmatched>"), ("status", "404"))
    assert samples[("t_http_requests_total", labels)] == 1
