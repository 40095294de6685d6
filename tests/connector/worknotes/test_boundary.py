"""The work-note feature reaches incidents only through the service-desk port, as every feature does
(``tests/connector/servicedesk/test_boundary.py``), so it works alike on a ServiceNow instance."""

from __future__ import annotations

from pathlib import Path

import m365bridge.connector.worknotes
from tests.connector.servicedesk.test_boundary import BUILT_IN
from tests.support.imports import imported

PACKAGE = Path(m365bridge.connector.worknotes.__file__).parent


def test_worknotes_never_imports_the_built_in_incident_table() -> None:
    offenders = sorted(
        f"{path.name} imports {name}"
        for path in PACKAGE.rglob("*.py")
        for name in imported(path)
        if name.startswith(BUILT_IN)
    )
    assert offenders == []
