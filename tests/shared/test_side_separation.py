"""The two sides talk over HTTP only: neither imports the other, and shared code imports neither."""

from pathlib import Path

import pytest

import m365bridge
from tests.support.imports import imported

PACKAGE = Path(m365bridge.__file__).parent
FORBIDDEN = {
    "cloud": ("m365bridge.connector",),
    "connector": ("m365bridge.cloud",),
    "shared": ("m365bridge.cloud", "m365bridge.connector", "m365bridge.demo"),
}


@pytest.mark.parametrize("side", sorted(FORBIDDEN))
def test_a_side_never_imports_the_other(side):
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / side).rglob("*.py")
        for name in imported(path)
        if name.startswith(FORBIDDEN[side])
    ]
    assert offenders == []
