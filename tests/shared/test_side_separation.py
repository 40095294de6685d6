"""The two sides talk over HTTP only: neither imports the other, and shared code imports neither."""

import ast
from pathlib import Path

import pytest

import m365bridge

PACKAGE = Path(m365bridge.__file__).parent
FORBIDDEN = {
    "cloud": ("m365bridge.connector",),
    "connector": ("m365bridge.cloud",),
    "shared": ("m365bridge.cloud", "m365bridge.connector", "m365bridge.demo"),
}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("side", sorted(FORBIDDEN))
def test_a_side_never_imports_the_other(side):
    offenders = [
        f"{path.relative_to(PACKAGE)} imports {name}"
        for path in (PACKAGE / side).rglob("*.py")
        for name in imported_modules(path)
        if name.startswith(FORBIDDEN[side])
    ]
    assert offenders == []
