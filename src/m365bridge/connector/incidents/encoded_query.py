"""ServiceNow encoded queries (``active=true^priority<=2^ORDERBYDESCnumber``) parsed and turned into SQL.

Parsing knows nothing about tables: it yields a small syntax tree. ``compile_query`` turns that tree
into SQLAlchemy conditions over a whitelist of fields, so any table can reuse it. Like ServiceNow, terms
naming an unknown field, or that cannot be read at all, are ignored; a value that does not fit its field's
type makes its term match nothing (or everything, for the negated operators) rather than raising.

Grammar (as ServiceNow writes it): ``^NQ`` separates whole queries that are OR'd; ``^`` separates terms
that are AND'd; a term written ``^OR…`` is OR'd with the term before it; ``ORDERBY…``/``ORDERBYDESC…``
terms sort; ``EQ`` ends the query. A literal ``^`` inside a value is written ``^^``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sqlalchemy import ColumnElement, String, and_, cast, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute

from m365bridge.shared.numbers import ascii_digits

# Longest first, so that "!=" wins over "=", "<=" over "<", "NOT LIKE" over "LIKE" …
OPERATORS = (
    "!=",
    ">=",
    "<=",
    "=",
    "<",
    ">",
    "NOT LIKE",
    "LIKE",
    "STARTSWITH",
    "ENDSWITH",
    "NOT IN",
    "IN",
    "ISNOTEMPTY",
    "ISEMPTY",
    "ANYTHING",
)
VALUELESS = frozenset({"ISEMPTY", "ISNOTEMPTY", "ANYTHING"})
NEGATED = frozenset({"!=", "NOT LIKE", "NOT IN"})

_TERM = re.compile(r"([a-z_][a-z0-9_.]*)(" + "|".join(re.escape(op) for op in OPERATORS) + r")(.*)", re.S)


class Kind(StrEnum):
    STRING = "string"
    INTEGER = "integer"
    BOOLEAN = "boolean"
    DATETIME = "datetime"


@dataclass(frozen=True)
class Condition:
    field: str
    operator: str
    value: str = ""


@dataclass(frozen=True)
class OrderBy:
    field: str
    descending: bool = False


# A clause is conditions OR'd together; a group is clauses AND'd; the query is groups OR'd (``^NQ``).
Clause = tuple[Condition, ...]
Group = tuple[Clause, ...]


@dataclass(frozen=True)
class EncodedQuery:
    groups: tuple[Group, ...] = ()
    order_by: tuple[OrderBy, ...] = ()


@dataclass(frozen=True)
class Field:
    """One queryable field: the column it reads and how its values are typed."""

    column: InstrumentedAttribute[Any]
    kind: Kind = Kind.STRING


FieldMap = Mapping[str, Field]


def _split_terms(text: str) -> list[str]:
    """Split on ``^``, reading ``^^`` as a literal caret."""
    terms, current, index = [], [], 0
    while index < len(text):
        char = text[index]
        if char == "^" and text.startswith("^^", index):
            current.append("^")
            index += 2
            continue
        if char == "^":
            terms.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    terms.append("".join(current))
    return terms


def parse(text: str) -> EncodedQuery:
    """Read an encoded query; terms that cannot be read are dropped, never raised."""
    groups: list[Group] = []
    order_by: list[OrderBy] = []
    clauses: list[list[Condition]] = []
    for term in _split_terms(text):
        if term == "EQ":
            break
        if term.startswith("NQ"):
            groups.append(tuple(tuple(c) for c in clauses))
            clauses = []
            term = term[2:]
        if term.startswith("ORDERBYDESC"):
            order_by.append(OrderBy(term[len("ORDERBYDESC") :], descending=True))
            continue
        if term.startswith("ORDERBY"):
            order_by.append(OrderBy(term[len("ORDERBY") :]))
            continue
        joins_previous = term.startswith("OR") and bool(clauses)
        condition = _parse_condition(term[2:] if term.startswith("OR") else term)
        if condition is None:
            continue
        if joins_previous:
            clauses[-1].append(condition)
        else:
            clauses.append([condition])
    groups.append(tuple(tuple(c) for c in clauses))
    return EncodedQuery(groups=tuple(g for g in groups if g), order_by=tuple(o for o in order_by if o.field))


def _parse_condition(term: str) -> Condition | None:
    match = _TERM.fullmatch(term)
    if match is None:
        return None
    field, operator, value = match.groups()
    if operator in VALUELESS:
        return Condition(field, operator) if value == "" else None
    return Condition(field, operator, value)


def render(query: EncodedQuery) -> str:
    """Write a query back in ServiceNow's syntax (``parse(render(q)) == q``)."""
    groups = []
    for group in query.groups:
        terms = []
        for clause in group:
            rendered = [_render_condition(c) for c in clause]
            terms.append("^OR".join(rendered))
        groups.append("^".join(terms))
    orders = [("ORDERBYDESC" if o.descending else "ORDERBY") + o.field for o in query.order_by]
    return "^".join(part for part in ("^NQ".join(groups), *orders) if part)


def _render_condition(condition: Condition) -> str:
    return condition.field + condition.operator + condition.value.replace("^", "^^")


class _Unusable(ValueError):
    """A value that does not fit its field's type."""


def compile_query(query: EncodedQuery, fields: FieldMap) -> ColumnElement[bool] | None:
    """The WHERE condition for ``query`` over ``fields``; ``None`` when nothing restricts the rows."""
    groups = []
    for group in query.groups:
        clauses = []
        for clause in group:
            alternatives = [_compile_condition(c, fields[c.field]) for c in clause if c.field in fields]
            if alternatives:
                clauses.append(or_(*alternatives))
        if not clauses:
            return None  # an OR'd group with no usable terms matches every row, as in ServiceNow
        groups.append(and_(*clauses))
    return or_(*groups) if groups else None


def compile_order(query: EncodedQuery, fields: FieldMap) -> list[ColumnElement[Any]]:
    return [
        fields[o.field].column.desc() if o.descending else fields[o.field].column.asc()
        for o in query.order_by
        if o.field in fields
    ]


def _compile_condition(condition: Condition, field: Field) -> ColumnElement[bool]:
    operator, column = condition.operator, field.column
    if operator == "ANYTHING":
        return true()
    if operator in ("ISEMPTY", "ISNOTEMPTY"):
        empty = column.is_(None) if field.kind is not Kind.STRING else or_(column.is_(None), column == "")
        return empty if operator == "ISEMPTY" else ~empty
    try:
        return _COMPILERS[operator](field, condition.value)
    except _Unusable:
        return true() if operator in NEGATED else false()


def _typed(field: Field, raw: str) -> Any:
    converter = _CONVERTERS[field.kind]
    try:
        return converter(raw)
    except (ValueError, OverflowError) as error:
        raise _Unusable(raw) from error


def _to_bool(raw: str) -> bool:
    lowered = raw.strip().lower()
    if lowered in ("true", "1"):
        return True
    if lowered in ("false", "0"):
        return False
    raise ValueError(raw)


_DATE_GENERATE = re.compile(r"javascript:gs\.dateGenerate\('([\d-]+)','([\d:]+)'\)")


def _to_datetime(raw: str) -> dt.datetime:
    generated = _DATE_GENERATE.fullmatch(raw.strip())
    text = f"{generated[1]} {generated[2]}" if generated else raw.strip()
    for pattern in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).replace(tzinfo=dt.UTC)
        except ValueError:
            continue
    raise ValueError(raw)


def _to_int(raw: str) -> int:
    text = raw.strip()
    if not ascii_digits(text.removeprefix("-")) or len(text) > 20:
        raise ValueError(raw)
    value = int(text)
    if not -(2**63) <= value < 2**63:
        raise OverflowError(raw)
    return value


_CONVERTERS: dict[Kind, Callable[[str], Any]] = {
    Kind.STRING: str,
    Kind.INTEGER: _to_int,
    Kind.BOOLEAN: _to_bool,
    Kind.DATETIME: _to_datetime,
}


def _text(field: Field) -> ColumnElement[Any]:
    if field.kind is Kind.STRING:
        return field.column.expression
    return cast(field.column, String)


def _like(field: Field, pattern: str) -> ColumnElement[bool]:
    return _text(field).ilike(pattern, escape="\\")


def _escape_like(value: str) -> str:
    return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _in(field: Field, raw: str) -> ColumnElement[bool]:
    return field.column.in_([_typed(field, part) for part in raw.split(",")])


def _or_null(field: Field, condition: ColumnElement[bool]) -> ColumnElement[bool]:
    """ServiceNow's negated operators also match empty values."""
    return or_(condition, field.column.is_(None))


_COMPILERS: dict[str, Callable[[Field, str], ColumnElement[bool]]] = {
    "=": lambda f, v: f.column == _typed(f, v),
    "!=": lambda f, v: _or_null(f, f.column != _typed(f, v)),
    "<": lambda f, v: f.column < _typed(f, v),
    ">": lambda f, v: f.column > _typed(f, v),
    "<=": lambda f, v: f.column <= _typed(f, v),
    ">=": lambda f, v: f.column >= _typed(f, v),
    "LIKE": lambda f, v: _like(f, f"%{_escape_like(v)}%"),
    "NOT LIKE": lambda f, v: _or_null(f, ~_like(f, f"%{_escape_like(v)}%")),
    "STARTSWITH": lambda f, v: _like(f, f"{_escape_like(v)}%"),
    "ENDSWITH": lambda f, v: _like(f, f"%{_escape_like(v)}"),
    "IN": _in,
    "NOT IN": lambda f, v: _or_null(f, ~_in(f, v)),
}
