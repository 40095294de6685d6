"""All SQL lives in ``repository.py`` modules: a scan of ``src/`` with ``ast`` enforces it.

The rule, precisely. A module *runs SQL* when it contains a call to
- a statement constructor imported from SQLAlchemy (``select``, ``insert``, ``update``, ``delete``, ``text``,
  ``union``, ``union_all``, ``exists``, ``values``), by its name (also renamed: ``from sqlalchemy import
  select as s``) or through the module (``sa.select``); dialect variants (``sqlalchemy.dialects.sqlite
  .insert``) count too;
- a table's own statement methods, ``X.__table__.insert() / update() / delete() / select()``;
- a method named ``execute``, ``executemany``, ``exec_driver_sql``, ``scalar``, ``scalars`` or ``query``,
  whatever it is called on.

The ORM's unit of work (``session.get``, ``session.add``, ``session.delete(obj)``, ``flush``, attribute
changes) is not SQL by this rule: services load and change entities, repositories hold the statements.
Allowed to run SQL: modules named ``repository.py``, Alembic migrations (any ``migrations`` package) and
``shared/db.py`` (the engine plumbing: pragmas, BEGIN, the readiness ping).
"""

from __future__ import annotations

import ast
from pathlib import Path

import m365bridge

PACKAGE = Path(m365bridge.__file__).parent

STATEMENT_CONSTRUCTORS = frozenset(
    {"select", "insert", "update", "delete", "text", "union", "union_all", "exists", "values"}
)
EXECUTING_METHODS = frozenset({"execute", "executemany", "exec_driver_sql", "scalar", "scalars", "query"})
TABLE_METHODS = frozenset({"insert", "update", "delete", "select"})
ALLOWED = frozenset({"shared/db.py"})

# Files that still run SQL outside a repository while their owners move it; remove a line with the move.
PENDING = {
    "connector/auth/allowlist.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/bearer.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/oauth_server.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/oidc.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/oidc_config.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/sessions.py": "authsec, with the auth split (issue 16 items 1-2)",
    "connector/auth/throttle.py": "authsec, with the auth split (issue 16 items 1-2)",
}


def sql_calls(source: str) -> list[str]:
    """``line: call`` for every call in ``source`` that builds or runs a SQL statement (the rule above)."""
    tree = ast.parse(source)
    constructors: set[str] = set()  # local names bound to a SQLAlchemy statement constructor
    modules: set[str] = set()  # local names bound to a sqlalchemy module
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            constructors.update(a.asname or a.name for a in node.names if a.name in STATEMENT_CONSTRUCTORS)
            modules.update(a.asname or a.name for a in node.names if a.name not in STATEMENT_CONSTRUCTORS)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    modules.add(alias.asname or alias.name.split(".")[0])
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and _runs_sql(node.func, constructors, modules):
            found.append(f"{node.lineno}: {ast.unparse(node.func)}(…)")
    return sorted(found, key=lambda line: int(line.split(":")[0]))


def _runs_sql(func: ast.expr, constructors: set[str], modules: set[str]) -> bool:
    if isinstance(func, ast.Name):
        return func.id in constructors
    if not isinstance(func, ast.Attribute):
        return False
    if func.attr in EXECUTING_METHODS:
        return True
    owner = func.value
    through_module = func.attr in STATEMENT_CONSTRUCTORS and _root_name(owner) in modules
    on_table = func.attr in TABLE_METHODS and isinstance(owner, ast.Attribute) and owner.attr == "__table__"
    return through_module or on_table


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, ast.Attribute):
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def may_run_sql(relative: Path) -> bool:
    in_migrations = "migrations" in relative.parts
    return relative.name == "repository.py" or in_migrations or relative.as_posix() in ALLOWED


def offenders(root: Path) -> dict[str, list[str]]:
    """Each module under ``root`` that runs SQL without being allowed to, with its calls."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root)
        if not may_run_sql(relative) and (calls := sql_calls(path.read_text())):
            found[relative.as_posix()] = calls
    return found


def test_no_sql_outside_repositories():
    found = offenders(PACKAGE)
    new = {path: calls for path, calls in found.items() if path not in PENDING}
    assert new == {}, "move these statements into the package's repository.py"


def test_every_pending_entry_still_runs_sql():
    """A stale PENDING line would let SQL creep back into that file unnoticed: delete it with the move."""
    found = offenders(PACKAGE)
    assert [path for path in PENDING if path not in found] == []


def test_the_scanner_finds_each_form_of_sql(tmp_path):
    planted = tmp_path / "feature" / "service.py"
    planted.parent.mkdir()
    planted.write_text(
        "import sqlalchemy as sa\n"
        "from sqlalchemy import select as pick, text\n"
        "from sqlalchemy.dialects.sqlite import insert\n"
        "def f(session, Model):\n"
        "    session.scalars(pick(Model))\n"
        "    sa.update(Model)\n"
        "    session.get_bind().execute(text('SELECT 1'))\n"
        "    insert(Model)\n"
        "    Model.__table__.delete()\n"
        "    session.query(Model)\n"
    )

    calls = offenders(tmp_path)["feature/service.py"]

    assert calls == [
        "5: session.scalars(…)",
        "5: pick(…)",
        "6: sa.update(…)",
        "7: session.get_bind().execute(…)",
        "7: text(…)",
        "8: insert(…)",
        "9: Model.__table__.delete(…)",
        "10: session.query(…)",
    ]


def test_the_scanner_leaves_the_unit_of_work_and_look_alikes_alone(tmp_path):
    (tmp_path / "service.py").write_text(
        "from sqlalchemy.orm import Session\n"
        "def f(session: Session, Model, row, changes: dict):\n"
        "    session.add(Model())\n"
        "    session.delete(row)\n"
        "    session.get(Model, 1)\n"
        "    changes.update(a=1)\n"
        "    'a,b'.split(',')\n"
    )
    (tmp_path / "repository.py").write_text("from sqlalchemy import select\nselect(1)\n")
    (tmp_path / "migrations" / "versions").mkdir(parents=True)
    (tmp_path / "migrations" / "versions" / "0001.py").write_text("def upgrade(op):\n    op.execute('X')\n")

    assert offenders(tmp_path) == {}
