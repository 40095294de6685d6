"""Stable ``@odata.nextLink`` paging: keyset pagination behind an opaque ``$skiptoken``.

A naive offset shifts when an item is inserted or resolved between two pages, so a client walking the pages
would see an item twice or never. The skip token instead carries the sort-key values of the last item served;
the next page starts strictly after them. Every ordering ends with ``id`` so the keys are unique.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_

from m365bridge.cloud.graph.odata import ODataError, OrderKey

DEFAULT_PAGE_SIZE = 100


def order_clauses(keys: list[OrderKey]) -> list[Any]:
    """ORDER BY for the keys; NULLs sort as the smallest value on every backend."""
    return [
        key.prop.column.desc().nulls_last() if key.descending else key.prop.column.asc().nulls_first()
        for key in keys
    ]


def after_condition(keys: list[OrderKey], values: list[Any]) -> ColumnElement[bool]:
    """Rows strictly after ``values`` in the order of ``keys`` (a lexicographic comparison)."""
    alternatives = []
    for position, key in enumerate(keys):
        equal_before = [_equal(k, v) for k, v in zip(keys[:position], values[:position], strict=True)]
        alternatives.append(and_(*equal_before, _strictly_after(key, values[position])))
    return or_(*alternatives)


def _equal(key: OrderKey, value: Any) -> ColumnElement[bool]:
    column = key.prop.column
    return column.is_(None) if value is None else column == value


def _strictly_after(key: OrderKey, value: Any) -> ColumnElement[bool]:
    column = key.prop.column
    if key.descending:
        return false() if value is None else or_(column < value, column.is_(None))
    return column.is_not(None) if value is None else column > value


def key_values(keys: list[OrderKey], row: Any) -> list[Any]:
    return [getattr(row, key.prop.column.key) for key in keys]


def encode_token(keys: list[OrderKey], values: list[Any]) -> str:
    payload = {
        "k": [f"{key.prop.name} {'desc' if key.descending else 'asc'}" for key in keys],
        "v": [{"dt": value.isoformat()} if isinstance(value, dt.datetime) else value for value in values],
    }
    return base64.urlsafe_b64encode(json.dumps(payload, separators=(",", ":")).encode()).decode().rstrip("=")


def decode_token(token: str, keys: list[OrderKey]) -> list[Any]:
    """The sort-key values in a skip token made for the same ordering, else a 400."""
    try:
        padded = token + "=" * (-len(token) % 4)
        payload = json.loads(base64.urlsafe_b64decode(padded.encode()))
        expected = [f"{key.prop.name} {'desc' if key.descending else 'asc'}" for key in keys]
        if payload["k"] != expected or len(payload["v"]) != len(keys):
            raise ValueError("the token belongs to another ordering")
        return [dt.datetime.fromisoformat(v["dt"]) if isinstance(v, dict) else v for v in payload["v"]]
    except (ValueError, KeyError, TypeError, binascii.Error):
        raise ODataError(
            "The $skiptoken is not valid for this request; follow the @odata.nextLink as given."
        ) from None


def page_size(top: int | None, prefer: str | None, max_size: int) -> tuple[int, int | None]:
    """The page size, and the ``odata.maxpagesize`` to echo in ``Preference-Applied`` (if one was honoured).

    As in Graph, ``$top`` sets the page size; otherwise ``Prefer: odata.maxpagesize=N`` does (capped at
    ``max_size``); otherwise the default of 100.
    """
    if top is not None:
        if top < 0:
            raise ODataError("Invalid value for the $top query parameter: it must be zero or more.")
        return min(top, max_size), None
    requested = _max_page_size(prefer)
    if requested is None:
        return min(DEFAULT_PAGE_SIZE, max_size), None
    applied = min(requested, max_size)
    return applied, applied


def _max_page_size(prefer: str | None) -> int | None:
    for preference in (prefer or "").split(","):
        name, _, value = preference.strip().partition("=")
        if name.strip().lower() == "odata.maxpagesize":
            try:
                size = int(value.strip())
            except ValueError:
                raise ODataError(
                    f"The preference odata.maxpagesize='{value.strip()}' is not a number."
                ) from None
            if size < 1:
                raise ODataError("The preference odata.maxpagesize must be 1 or more.")
            return size
    return None
