import datetime as dt
import random
import threading
import time
from collections import Counter

import httpx
import pytest
from fastapi.testclient import TestClient

from m365bridge.cloud.app import create_app
from m365bridge.cloud.cases import repository, service
from m365bridge.cloud.cases.delivery import DeliveryWorker, backoff_seconds
from m365bridge.cloud.connectors.client import HTTP_EXTRA
from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.shared.db import transaction
from tests.cloud.cases.fake_connector import IDENTITY, FakeClock, FakeConnector
from tests.cloud.cases.scenario import (
    aad_repository,
    basic_repository,
    open_case,
    reply,
    set_status,
    set_up_tenant,
)


@pytest.fixture
def context(tmp_path):
    settings = CloudSettings(
        data_dir=tmp_path / "cloud",
        identity_url=IDENTITY,
        outbox_max_attempts=4,
        outbox_backoff_base_seconds=2,
    )
    context = CloudContext.build(settings)
    yield context
    context.close()


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def connector(clock):
    return FakeConnector(clock=clock)


def worker_for(context, connector, clock=None, name=None):
    http = httpx.Client(transport=connector.transport())
    return DeliveryWorker(context, http, clock=clock or connector.now, rng=random.Random(7), name=name)


def event_states(context, case_id):
    with transaction(context.sessions) as session:
        return [(e.sequence, e.state) for e in repository.case_events(session, case_id)]


def three_events(context):
    case = open_case(context)
    reply(context, case.id, "Please send a message trace.")
    set_status(context, case.id, "waitingOnCustomer")
    return case


def test_basic_auth_delivers_every_event_once_in_order(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    first, second = three_events(context), three_events(context)
    worker_for(context, connector, clock).run_until_idle()
    assert connector.sequences() == {first.id: [1, 2, 3], second.id: [1, 2, 3]}
    assert connector.grants == ["password"]
    envelope = connector.received[0]
    assert set(envelope) == {
        "id",
        "sequence",
        "type",
        "caseId",
        "caseNumber",
        "incidentSysId",
        "occurredAt",
        "data",
    }
    assert envelope["caseNumber"] == first.number or envelope["caseNumber"] == second.number
    assert event_states(context, first.id) == [(1, "delivered"), (2, "delivered"), (3, "delivered")]


def test_aad_auth_delivers_with_a_client_credentials_token_for_the_rest_api(context, connector, clock):
    set_up_tenant(context, aad_repository(connector))
    case = three_events(context)
    worker_for(context, connector, clock).run_until_idle()
    assert connector.sequences() == {case.id: [1, 2, 3]}
    assert connector.grants == ["client_credentials"]


def test_a_503_burst_is_retried_with_growing_delays(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    case = open_case(context)
    connector.scripted.extend([httpx.Response(503), httpx.Response(503)])
    worker = worker_for(context, connector, clock)
    delays = []
    for _ in range(2):
        assert worker.run_once() == 1
        with transaction(context.sessions) as session:
            event = repository.case_events(session, case.id)[0]
        delays.append((event.next_attempt_at - clock()).total_seconds())
        assert worker.run_once() == 0  # not due yet
        clock.advance(delays[-1])
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4
    worker.run_until_idle()
    assert connector.sequences() == {case.id: [1]}


def test_429_retry_after_is_honoured(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    case = open_case(context)
    connector.scripted.append(httpx.Response(429, headers={"Retry-After": "120"}))
    worker = worker_for(context, connector, clock)
    worker.run_once()
    clock.advance(119)
    assert worker.run_once() == 0
    clock.advance(2)
    worker.run_until_idle()
    assert connector.sequences() == {case.id: [1]}


def test_a_refused_access_token_triggers_one_reauthentication(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    first = open_case(context)
    worker = worker_for(context, connector, clock)
    worker.run_until_idle()
    connector.revoke_access_tokens()
    reply(context, first.id, "after revocation")
    worker.run_until_idle()
    assert connector.grants == ["password", "refresh_token"]
    assert connector.sequences() == {first.id: [1, 2]}


def test_an_expired_access_token_is_refreshed(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    case = open_case(context)
    worker = worker_for(context, connector, clock)
    worker.run_until_idle()
    clock.advance(1900)
    reply(context, case.id, "later")
    worker.run_until_idle()
    assert connector.grants == ["password", "refresh_token"]


def test_past_the_refresh_token_expiry_a_password_grant_starts_over(context, connector, clock):
    set_up_tenant(context, basic_repository(connector, refresh_token_expiry=3600))
    case = open_case(context)
    worker = worker_for(context, connector, clock)
    worker.run_until_idle()
    clock.advance(4000)
    reply(context, case.id, "much later")
    worker.run_until_idle()
    assert connector.grants == ["password", "password"]
    assert connector.sequences() == {case.id: [1, 2]}


def test_a_refresh_token_the_connector_refuses_falls_back_to_a_password_grant(context, clock):
    connector = FakeConnector(clock=clock, refresh_lifespan=2000)
    set_up_tenant(context, basic_repository(connector))
    case = open_case(context)
    worker = worker_for(context, connector, clock)
    worker.run_until_idle()
    clock.advance(2500)
    reply(context, case.id, "after the connector's refresh lifespan")
    worker.run_until_idle()
    assert connector.grants == ["password", "refresh_token", "password"]
    assert connector.sequences() == {case.id: [1, 2]}


def test_after_n_tries_an_event_is_dead_and_its_case_waits(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    stuck, other = open_case(context), open_case(context)
    worker = worker_for(context, connector, clock)
    worker.run_until_idle()
    reply(context, stuck.id, "first reply")
    reply(context, stuck.id, "second reply")
    connector.scripted.extend([httpx.Response(503)] * 4)
    for _ in range(4):
        worker.run_once()
        clock.advance(3600)
    assert event_states(context, stuck.id) == [(1, "delivered"), (2, "dead"), (3, "pending")]
    reply(context, other.id, "other case flows")
    worker.run_until_idle()
    assert connector.sequences()[other.id] == [1, 2]
    assert connector.sequences()[stuck.id] == [1]
    with transaction(context.sessions) as session:
        dead = service.dead_events(session)
        assert [e.sequence for e in dead] == [2]
        service.retry_event(session, dead[0].id)
    worker.run_until_idle()
    assert connector.sequences()[stuck.id] == [1, 2, 3]


def test_a_permanent_refusal_dead_letters_at_once(context, connector, clock):
    set_up_tenant(context, basic_repository(connector))
    case = open_case(context)
    connector.scripted.append(httpx.Response(400, json={"error": {"message": "bad event"}}))
    worker_for(context, connector, clock).run_once()
    assert event_states(context, case.id) == [(1, "dead")]


def test_two_concurrent_workers_deliver_each_event_once_in_order(context):
    connector = FakeConnector(delay=0.01)
    set_up_tenant(context, basic_repository(connector))
    cases = [three_events(context) for _ in range(6)]
    workers = [worker_for(context, connector, name=f"w{i}") for i in range(2)]
    deadline = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=60)

    def run(worker):
        while len(connector.received) < 18 and dt.datetime.now(dt.UTC) < deadline:
            worker.run_until_idle()

    threads = [threading.Thread(target=run, args=(w,)) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert Counter(e["id"] for e in connector.received).most_common(1)[0][1] == 1
    assert connector.sequences() == {case.id: [1, 2, 3] for case in cases}


def test_backoff_grows_and_never_undercuts_retry_after():
    rng = random.Random(1)
    assert 1 <= backoff_seconds(1, 2, 900, None, rng) <= 2
    assert 64 <= backoff_seconds(7, 2, 900, None, rng) <= 128
    assert backoff_seconds(20, 2, 900, None, rng) <= 900
    assert backoff_seconds(1, 2, 900, 30, rng) == 30


def test_the_app_can_run_the_worker_in_a_background_thread(tmp_path):
    settings = CloudSettings(data_dir=tmp_path / "cloud", outbox_worker=True, outbox_poll_seconds=0.05)
    context = CloudContext.build(settings)
    connector = FakeConnector()
    context.extras[HTTP_EXTRA] = httpx.Client(transport=connector.transport())
    set_up_tenant(context, basic_repository(connector))
    with TestClient(create_app(context=context)):
        case = open_case(context)
        deadline = time.monotonic() + 20
        while not connector.received and time.monotonic() < deadline:
            time.sleep(0.05)
    assert connector.sequences() == {case.id: [1]}
