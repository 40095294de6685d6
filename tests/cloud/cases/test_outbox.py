import pytest

from m365bridge.cloud.cases import repository, service
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import Conflict
from tests.cloud.cases.fake_connector import FakeConnector
from tests.cloud.cases.scenario import basic_repository, new_case, open_case, reply, set_status, set_up_tenant
from tests.cloud.people import TENANT


@pytest.fixture
def tenant(cloud_context):
    set_up_tenant(cloud_context, basic_repository(FakeConnector()))
    return cloud_context


def events_of(context, case_id):
    with transaction(context.sessions) as session:
        return [(e.sequence, e.type) for e in repository.case_events(session, case_id)]


def test_each_case_event_gets_the_next_sequence_number(tenant):
    case = open_case(tenant)
    reply(tenant, case.id, "Can you send a message trace?")
    set_status(tenant, case.id, "resolved")
    assert events_of(tenant, case.id) == [
        (1, "case.created"),
        (2, "case.message"),
        (3, "case.statusChanged"),
        (4, "case.resolved"),
    ]


def test_a_rolled_back_change_leaves_no_event(tenant):
    case = open_case(tenant)

    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction(tenant.sessions) as session:
        service.engineer_reply(session, service.get_case(session, case.id), author="E", body="lost reply")
        raise Abort
    with pytest.raises(Abort), transaction(tenant.sessions) as session:
        service.create_case(session, TENANT, "outbound-app", new_case("never opened"), "key-1")
        raise Abort
    with transaction(tenant.sessions) as session:
        assert service.messages(session, service.get_case(session, case.id)) == []
        assert len(service.list_cases(session, tenant_id=TENANT)) == 1
    assert events_of(tenant, case.id) == [(1, "case.created")]
    reply(tenant, case.id, "kept reply")
    assert events_of(tenant, case.id)[-1] == (2, "case.message")


def test_the_same_idempotency_key_returns_the_same_case(tenant):
    with transaction(tenant.sessions) as session:
        first, created = service.create_case(session, TENANT, "outbound-app", new_case(), "retry-key")
    with transaction(tenant.sessions) as session:
        again, created_again = service.create_case(session, TENANT, "outbound-app", new_case(), "retry-key")
    assert created and not created_again
    assert again.id == first.id
    with transaction(tenant.sessions) as session, pytest.raises(Conflict):
        service.create_case(session, TENANT, "outbound-app", new_case("another title"), "retry-key")


def test_case_numbers_have_sixteen_digits(tenant):
    number = open_case(tenant).number
    assert len(number) == 16 and number.isdigit()


def test_a_dead_event_can_only_be_retried_once_dead(tenant):
    case = open_case(tenant)
    with transaction(tenant.sessions) as session:
        event = repository.case_events(session, case.id)[0]
        with pytest.raises(Conflict):
            service.retry_event(session, event.id)
