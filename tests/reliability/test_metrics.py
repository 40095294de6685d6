"""What an operator scrapes from ``/metrics`` after traffic: request rates and latencies on both sides,
the cloud's outbox depth and dead letters, the connector's sync lag and token cache hits."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from m365bridge.shared.tls import ServerCertificate
from tests.e2e.loop import Loop, start_loop


def scrape(loop: Loop, side: str) -> dict[str, float]:
    """Every sample on the side's /metrics (labels folded into the name), fetched over https."""
    url = loop.record.identity_url if side == "cloud" else loop.record.connector_url
    with loop.agent() as client:
        text = client.get(f"{url}/metrics").text
    return {
        sample.name + str(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def total(samples: dict[str, float], prefix: str) -> float:
    return sum(value for name, value in samples.items() if name.startswith(prefix))


def test_metrics_cover_requests_outbox_sync_lag_and_token_cache(
    tmp_path: Path, tls: ServerCertificate
) -> None:
    loop = start_loop("basic", tmp_path, tls)
    try:
        incident = loop.new_incident()
        case_id = loop.escalate(incident)["caseId"]
        for n in range(3):
            loop.engineer_reply(case_id, f"update {n}")
        loop.assert_exactly_once_in_order(case_id)
        cloud, connector = scrape(loop, "cloud"), scrape(loop, "connector")
    finally:
        loop.close()
    assert total(cloud, "m365bridge_cloud_http_requests_total") > 0
    assert total(cloud, "m365bridge_cloud_http_request_duration_seconds_count") > 0
    assert cloud["m365bridge_cloud_outbox_depth[]"] == 0
    assert cloud["m365bridge_cloud_outbox_dead_letters[]"] == 0
    assert total(connector, "m365bridge_connector_http_requests_total") > 0
    # The demo ran a first service health sync moments ago.
    assert 0 <= connector["m365bridge_connector_health_sync_lag_seconds[]"] < 600
    # Test connection left fresh tokens in the cache, so the sync and the escalation found them there
    # (misses are counted in tests/connector/registry/test_token_client.py).
    assert connector["m365bridge_connector_token_cache_lookups_total[('outcome', 'hit')]"] >= 1
