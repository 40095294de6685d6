"""Every route an app serves, walked from its route table (FastAPI 0.165 keeps included routers nested)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import Mount, Route

DOCS_PAGES = ("/openapi.json", "/docs", "/docs/oauth2-redirect", "/redoc")


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    in_schema: bool

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"


def walk(routes: list, prefix: str = "") -> Iterator[Operation]:
    for route in routes:
        if hasattr(route, "original_router"):
            yield from walk(route.original_router.routes, prefix + route.include_context.prefix)
        elif isinstance(route, Mount) and getattr(route.app, "routes", None):
            yield from walk(route.routes, prefix + route.path)
        elif isinstance(route, Mount):  # static files
            yield Operation("GET", prefix + route.path + "/{path}", False)
        elif isinstance(route, APIRoute | Route):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                in_schema = isinstance(route, APIRoute) and route.include_in_schema
                yield Operation(method, prefix + route.path, in_schema)


def operations(app: FastAPI) -> list[Operation]:
    """The app's operations; every one of ``app.openapi()`` must be among them (else the walk missed some)."""
    found = sorted(set(walk(app.routes)), key=lambda op: op.key)
    walked = {re.sub(r":[a-z]+\}", "}", op.key) for op in found}  # OpenAPI drops ``{name:path}``'s converter
    documented = {
        f"{method.upper()} {path}" for path, item in app.openapi()["paths"].items() for method in item
    }
    assert documented <= walked, f"the walk missed {sorted(documented - walked)}"
    return found


def concrete(path: str, values: dict[str, str]) -> str:
    """``path`` with its parameters filled from ``values`` (an unknown id for the rest)."""
    return re.sub(r"\{([^}:]+)(:[^}]*)?\}", lambda m: values.get(m.group(1), "0" * 32), path)


def documented_paths(markdown: str) -> list[str]:
    """Every path written in backticks in ``markdown``, parameters reduced to ``{}`` (``…`` kept)."""
    fragments = []
    for code in re.findall(r"`([^`]+)`", markdown):
        for word in code.replace(",", " ").split():
            if "/" in word:
                fragments.append(re.sub(r"\{[^}]*\}", "{}", word.rstrip(".")))
    return fragments


def is_documented(path: str, fragments: list[str]) -> bool:
    """True when some fragment is the path, or (``…/tail``, two segments at least) one of its tails."""
    normal = re.sub(r"\{[^}]*\}", "{}", path)
    for fragment in fragments:
        if fragment == normal:
            return True
        tail = fragment.removeprefix("…")
        if fragment.startswith("…") and tail.count("/") >= 2 and normal.endswith(tail):
            return True
    return False
