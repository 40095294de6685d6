"""The OData subset Graph's service communications API accepts: ``$filter``, ``$orderby`` and ``$select``.

The filter language is a small recursive-descent parser written here rather than a library: the one maintained
candidate on PyPI (odata-query, last released 2024-06) depends on ``sly``, which is no longer published or
maintained, and it maps any field name to any column. Graph needs the opposite: a fixed list of filterable
properties per resource, typed literals checked against the property (strings, booleans, DateTimeOffset,
enum members) and Graph's own 400 message for anything else, which is simplest to guarantee with ~200 lines
we own.

Grammar (operators are lower case, as OData writes them)::

    expr       := and_expr ("or" and_expr)*
    and_expr   := unary ("and" unary)*
    unary      := "not" unary | "(" expr ")" | comparison
    comparison := PROPERTY ("eq"|"ne"|"gt"|"ge"|"lt"|"le") literal
    literal    := 'string' | true | false | null | 2026-11-27T15:00:00Z
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, not_, or_, true

from m365bridge.shared.errors import UserError

Kind = Literal["string", "boolean", "datetime", "enum"]
Literal_ = str | bool | dt.datetime | None


# Deepest nesting of "not" and parentheses a filter may use. The parser (and SQLAlchemy compiling what it
# builds) recurses once per level, so without a bound ~1,000 levels exhaust Python's stack: a 500 instead
# of Graph's 400. Real filters nest a handful of levels.
MAX_FILTER_DEPTH = 32


class ODataError(UserError):
    """A query option Graph would refuse with 400 BadRequest."""


@dataclass(frozen=True)
class Property:
    """One property of a Graph resource as a query may use it."""

    name: str
    column: Any  # an ORM attribute, e.g. ServiceHealthIssue.status
    kind: Kind
    nullable: bool = False
    members: frozenset[str] = frozenset()  # the allowed values of an enum
    filterable: bool = True


@dataclass(frozen=True)
class OrderKey:
    prop: Property
    descending: bool


_TOKEN = re.compile(
    r"""\s*(?:
        (?P<lparen>\()|(?P<rparen>\))
        |(?P<string>'(?:[^']|'')*')
        |(?P<datetime>\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2}))
        |(?P<word>[A-Za-z_][A-Za-z0-9_./]*)
        |(?P<other>\S+?)
    )""",
    re.VERBOSE,
)
_COMPARISONS = {"eq", "ne", "gt", "ge", "lt", "le"}


def _tokenize(text: str) -> list[tuple[str, str]]:
    tokens = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            break
        kind = match.lastgroup
        if kind is not None:
            value = match.group(kind)
            if kind == "other":
                raise ODataError(f"Syntax error at position {match.start(kind)} in '{text}'.")
            tokens.append((kind, value))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, text: str, properties: Mapping[str, Property], type_name: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.position = 0
        self.depth = 0
        self.properties = properties
        self.type_name = type_name

    def parse(self) -> ColumnElement[bool]:
        if not self.tokens:
            raise ODataError("The query specified in the URI is not valid: $filter is empty.")
        condition = self._or()
        if self.position != len(self.tokens):
            raise self._syntax_error()
        return condition

    def _peek(self) -> tuple[str, str] | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def _take(self) -> tuple[str, str]:
        token = self._peek()
        if token is None:
            raise ODataError(f"Syntax error: the filter '{self.text}' ends unexpectedly.")
        self.position += 1
        return token

    def _at_word(self, word: str) -> bool:
        return self._peek() == ("word", word)

    def _syntax_error(self) -> ODataError:
        token = self._peek()
        found = token[1] if token else "the end of the expression"
        return ODataError(f"Syntax error: unexpected '{found}' in the filter '{self.text}'.")

    def _or(self) -> ColumnElement[bool]:
        terms = [self._and()]
        while self._at_word("or"):
            self.position += 1
            terms.append(self._and())
        return terms[0] if len(terms) == 1 else or_(*terms)

    def _and(self) -> ColumnElement[bool]:
        terms = [self._unary()]
        while self._at_word("and"):
            self.position += 1
            terms.append(self._unary())
        return terms[0] if len(terms) == 1 else and_(*terms)

    def _unary(self) -> ColumnElement[bool]:
        if not (self._at_word("not") or self._peek() == ("lparen", "(")):
            return self._comparison()
        self.depth += 1
        if self.depth > MAX_FILTER_DEPTH:
            raise ODataError(
                f"The query specified in the URI is not valid: the $filter nests 'not' and parentheses more "
                f"than {MAX_FILTER_DEPTH} levels deep."
            )
        self.position += 1
        if self.tokens[self.position - 1] == ("word", "not"):
            inner = not_(self._unary())
        else:
            inner = self._or()
            if self._take() != ("rparen", ")"):
                raise ODataError(f"Syntax error: ')' expected in the filter '{self.text}'.")
        self.depth -= 1
        return inner

    def _comparison(self) -> ColumnElement[bool]:
        kind, name = self._take()
        if kind != "word" or name in _COMPARISONS or name in ("and", "or", "not"):
            self.position -= 1
            raise self._syntax_error()
        prop = self.properties.get(name)
        if prop is None or not prop.filterable:
            raise ODataError(f"Could not find a property named '{name}' on type '{self.type_name}'.")
        kind, operator = self._take()
        if kind != "word" or operator not in _COMPARISONS:
            raise ODataError(f"Syntax error: a comparison operator is expected after '{name}'.")
        value = self._literal(prop)
        return _compare(prop, operator, value)

    def _literal(self, prop: Property) -> Literal_:
        kind, text = self._take()
        if kind == "word" and text in ("true", "false", "null"):
            value: Literal_ = {"true": True, "false": False, "null": None}[text]
        elif kind == "string":
            value = text[1:-1].replace("''", "'")
        elif kind == "datetime":
            value = parse_datetime(text)
        else:
            raise ODataError(f"Syntax error: a literal is expected for '{prop.name}', found '{text}'.")
        return _coerce(prop, value)


def _coerce(prop: Property, value: Literal_) -> Literal_:
    """Check a literal against the property's type, as Graph does before it runs a query."""
    if value is None:
        return None
    if prop.kind == "boolean" and isinstance(value, bool):
        return value
    if prop.kind == "datetime":
        if isinstance(value, dt.datetime):
            return value
        if isinstance(value, str):
            return parse_datetime(value)
    if prop.kind in ("string", "enum") and isinstance(value, str):
        if prop.kind == "enum" and value not in prop.members:
            raise ODataError(f"Requested value '{value}' was not found for the property '{prop.name}'.")
        return value
    expected = {"string": "Edm.String", "boolean": "Edm.Boolean", "datetime": "Edm.DateTimeOffset"}
    raise ODataError(
        f"A binary operator with incompatible types was detected: '{prop.name}' is "
        f"{expected.get(prop.kind, 'an enumeration')}, the literal is not."
    )


def _compare(prop: Property, operator: str, value: Literal_) -> ColumnElement[bool]:
    column = prop.column
    if value is None:
        if operator == "eq":
            return column.is_(None) if prop.nullable else false()
        if operator == "ne":
            return column.is_not(None) if prop.nullable else true()
        raise ODataError(f"The operator '{operator}' cannot compare '{prop.name}' with null.")
    if prop.kind == "boolean" and operator not in ("eq", "ne"):
        raise ODataError(f"The operator '{operator}' is not defined for the Edm.Boolean '{prop.name}'.")
    if operator == "eq":
        return column == value
    if operator == "ne":
        # In OData a null property is "not equal" to any value; SQL would drop it.
        return or_(column != value, column.is_(None)) if prop.nullable else column != value
    ordered = {"gt": column > value, "ge": column >= value, "lt": column < value, "le": column <= value}
    return ordered[operator]


def parse_datetime(text: str) -> dt.datetime:
    """An ISO 8601 DateTimeOffset; a value without an offset is read as UTC, as Graph does."""
    try:
        value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ODataError(
            f"The DateTimeOffset '{text}' is not valid; use e.g. 2026-11-27T15:00:00Z."
        ) from None
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def parse_filter(text: str, properties: Mapping[str, Property], type_name: str) -> ColumnElement[bool]:
    """Turn a ``$filter`` value into a SQLAlchemy condition, or raise ``ODataError``."""
    return _Parser(text, properties, type_name).parse()


def parse_orderby(text: str, properties: Mapping[str, Property], type_name: str) -> list[OrderKey]:
    """``$orderby=lastModifiedDateTime desc,id`` → order keys; each property at most once."""
    keys: list[OrderKey] = []
    for part in text.split(","):
        words = part.split()
        if not words or len(words) > 2 or (len(words) == 2 and words[1] not in ("asc", "desc")):
            raise ODataError(f"The $orderby '{text}' is not valid; use e.g. lastModifiedDateTime desc,id.")
        prop = properties.get(words[0])
        if prop is None:
            raise ODataError(f"Could not find a property named '{words[0]}' on type '{type_name}'.")
        if any(key.prop.name == prop.name for key in keys):
            raise ODataError(f"The property '{prop.name}' appears twice in $orderby.")
        keys.append(OrderKey(prop, descending=len(words) == 2 and words[1] == "desc"))
    return keys


def parse_select(text: str, allowed: frozenset[str], type_name: str) -> list[str]:
    """``$select=id,title`` → property names, each one checked against the resource's properties."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ODataError("The $select query option is empty.")
    for name in names:
        if name not in allowed:
            raise ODataError(f"Could not find a property named '{name}' on type '{type_name}'.")
    return names
