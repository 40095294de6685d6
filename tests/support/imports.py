"""What a source file imports, read with ``ast`` (nothing is run): for the tests that hold the house's
boundaries (the two sides, the service-desk port)."""

from __future__ import annotations

import ast
from pathlib import Path


def imported(path: Path) -> set[str]:
    """Every module a file imports, anywhere in it; ``from package import name`` also counts as
    ``package.name``, so that importing a module through its package is seen."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names
