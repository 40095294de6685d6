"""The housekeeping pass: what the retention settings call old goes, everything else stays."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from m365bridge.connector.auth.sessions import service as sessions
from m365bridge.connector.auth.sessions.models import LoginFailure
from m365bridge.connector.housekeeping.runner import HousekeepingRunner
from m365bridge.connector.logs import http_log, system_log
from m365bridge.connector.logs.models import SystemLogLine
from m365bridge.shared.db import transaction
from m365bridge.shared.orm import utcnow


def test_a_pass_purges_old_log_lines_and_login_failures_and_logs_what_it_did(connector_context):
    old = utcnow() - dt.timedelta(days=365)
    with transaction(connector_context.sessions) as session:
        system_log.write(session, "info", "ancient").created_at = old
        system_log.write(session, "info", "recent")
        http_log.record(session, source="t", method="GET", url="https://x.test/", status=200, duration_ms=1)
        http_log.record(
            session, source="t", method="GET", url="https://x.test/old", status=200, duration_ms=1
        ).created_at = old
        sessions.record_failure(session, "someone", "10.0.0.1")
        session.add(LoginFailure(account="someone", address="10.0.0.1", at=old))

    removed = HousekeepingRunner(connector_context).run_once()

    assert (removed["syslog"], removed["outbound_http_log"], removed["login_failure"]) == (1, 1, 1)
    with transaction(connector_context.sessions) as session:
        messages = set(session.scalars(select(SystemLogLine.message)).all())
        failures = session.scalar(select(func.count()).select_from(LoginFailure))
    assert "ancient" not in messages and {"recent", "Housekeeping purged old rows"} <= messages
    assert failures == 1


def test_the_runner_does_not_start_when_disabled(connector_context):
    runner = HousekeepingRunner(connector_context)  # the test settings set the interval to 0

    runner.start()

    assert runner._thread is None
