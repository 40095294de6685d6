import datetime as dt

from m365bridge.connector.logs import system_log
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow


def test_lines_default_to_the_app_source_and_filter_by_level_and_source(connector_context):
    with transaction(connector_context.sessions) as session:
        system_log.write(session, "info", "setup saved")
        system_log.write(session, "error", "token refused", context={"why": "expired"})
        system_log.write(session, "error", "other thing", source="elsewhere")

    with transaction(connector_context.sessions) as session:
        errors = system_log.search(session, source=system_log.APP_SOURCE, level="warning")

    assert [line.message for line in errors] == ["token refused"]
    assert errors[0].context == {"why": "expired"}


def test_purge_removes_only_lines_older_than_the_retention(connector_context):
    with transaction(connector_context.sessions) as session:
        system_log.write(session, "info", "old")
        system_log.write(session, "info", "new")
    with transaction(connector_context.sessions) as session:
        removed = system_log.purge(session, 30, now=utcnow() + dt.timedelta(days=31))
    assert removed == 2
    with transaction(connector_context.sessions) as session:
        system_log.write(session, "info", "fresh")
        assert system_log.purge(session, 30) == 0
