"""The features reach incidents only through the service-desk port: none of them imports the built-in
incident table's models, service or repository, nor the built-in adapter itself (they ask ``desk_for``)."""

from __future__ import annotations

from pathlib import Path

import pytest

import m365bridge.connector
from tests.support.imports import imported

CONNECTOR = Path(m365bridge.connector.__file__).parent
FEATURES = ("insights", "cases", "health", "troubleshooting", "m365")
BUILT_IN = (
    "m365bridge.connector.incidents.models",
    "m365bridge.connector.incidents.service",
    "m365bridge.connector.incidents.repository",
    "m365bridge.connector.servicedesk.builtin",
)


@pytest.mark.parametrize("feature", FEATURES)
def test_a_feature_never_imports_the_built_in_incident_table(feature):
    assert (CONNECTOR / feature).is_dir()
    offenders = sorted(
        f"{path.relative_to(CONNECTOR)} imports {name}"
        for path in (CONNECTOR / feature).rglob("*.py")
        for name in imported(path)
        if name.startswith(BUILT_IN)
    )
    assert offenders == []


def test_the_scan_sees_both_import_forms(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text(
        "from m365bridge.connector.incidents import service as incidents\n"
        "import m365bridge.connector.incidents.models\n"
    )
    found = {name for name in imported(sample) if name.startswith(BUILT_IN)}
    assert found == {"m365bridge.connector.incidents.service", "m365bridge.connector.incidents.models"}
