"""The encoded-query parser and compiler, over a small table of its own (the module serves any table)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Boolean, Integer, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from m365bridge.connector.incidents.encoded_query import (
    OPERATORS,
    VALUELESS,
    Condition,
    EncodedQuery,
    Field,
    Kind,
    OrderBy,
    compile_order,
    compile_query,
    parse,
    render,
)
from m365bridge.shared.orm import UTCDateTime


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "thing"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str | None] = mapped_column(String(40))
    count: Mapped[int | None] = mapped_column(Integer)
    flag: Mapped[bool] = mapped_column(Boolean, default=False)
    seen_on: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


FIELDS = {
    "name": Field(Thing.name),
    "count": Field(Thing.count, Kind.INTEGER),
    "flag": Field(Thing.flag, Kind.BOOLEAN),
    "seen_on": Field(Thing.seen_on, Kind.DATETIME),
}

ROWS = [
    Thing(id=1, name="Mail delayed", count=1, flag=True, seen_on=dt.datetime(2024, 1, 1, 8, tzinfo=dt.UTC)),
    Thing(id=2, name="Teams down", count=2, flag=False, seen_on=dt.datetime(2024, 2, 1, 8, tzinfo=dt.UTC)),
    Thing(id=3, name="mail 100%_sure", count=3, flag=True, seen_on=None),
    Thing(id=4, name="", count=None, flag=False, seen_on=dt.datetime(2024, 3, 1, tzinfo=dt.UTC)),
    Thing(id=5, name=None, count=5, flag=False, seen_on=None),
]


@pytest.fixture(scope="module")
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as db:
        columns = ("id", "name", "count", "flag", "seen_on")
        db.add_all([Thing(**{c: getattr(r, c) for c in columns}) for r in ROWS])
        db.commit()
        yield db
    engine.dispose()


def ids(session: Session, text: str) -> list[int]:
    query = parse(text)
    statement = select(Thing.id)
    condition = compile_query(query, FIELDS)
    if condition is not None:
        statement = statement.where(condition)
    return list(session.scalars(statement.order_by(*compile_order(query, FIELDS), Thing.id)))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("count=2", [2]),
        ("count!=2", [1, 3, 4, 5]),  # negations also match empty values, as ServiceNow's do
        ("count<3", [1, 2]),
        ("count>3", [5]),
        ("count<=3", [1, 2, 3]),
        ("count>=3", [3, 5]),
        ("nameLIKEmail", [1, 3]),  # case-insensitive, as ServiceNow on its default collation
        ("nameNOT LIKEmail", [2, 4, 5]),
        ("nameSTARTSWITHteams", [2]),
        ("nameENDSWITHdelayed", [1]),
        ("countIN1,3,5", [1, 3, 5]),
        ("countNOT IN1,3", [2, 4, 5]),
        ("nameISEMPTY", [4, 5]),
        ("nameISNOTEMPTY", [1, 2, 3]),
        ("countISEMPTY", [4]),
        ("nameANYTHING", [1, 2, 3, 4, 5]),
        ("flag=true", [1, 3]),
        ("flag=false", [2, 4, 5]),
        ("seen_on>=2024-02-01 00:00:00", [2, 4]),
        ("seen_on<javascript:gs.dateGenerate('2024-01-15','00:00:00')", [1]),
    ],
)
def test_each_operator_selects_the_rows_servicenow_would(session: Session, query: str, expected: list[int]):
    assert ids(session, query) == expected


def test_like_treats_sql_wildcards_in_the_value_literally(session: Session):
    assert ids(session, "nameLIKE100%_") == [3]
    assert ids(session, "nameLIKE_") == [3]


def test_caret_joins_terms_with_and(session: Session):
    assert ids(session, "flag=true^count>1") == [3]


def test_or_term_joins_the_term_before_it(session: Session):
    assert ids(session, "flag=true^count=1^ORcount=3") == [1, 3]
    assert ids(session, "count=1^ORcount=2^flag=false") == [2]


def test_nq_ors_whole_queries(session: Session):
    assert ids(session, "flag=true^count=1^NQcount=5") == [1, 5]


def test_orderby_and_orderbydesc_sort(session: Session):
    assert ids(session, "countISNOTEMPTY^ORDERBYDESCcount") == [5, 3, 2, 1]
    assert ids(session, "flag=false^ORDERBYname") == [5, 4, 2]  # NULL and '' sort first in SQLite


def test_unknown_fields_and_unreadable_terms_are_ignored(session: Session):
    assert ids(session, "nosuchfield=1^count=2") == [2]
    assert ids(session, "garbage^count=2^ORDERBYnosuchfield") == [2]
    assert ids(session, "nosuchfield=1") == [1, 2, 3, 4, 5]


def test_a_value_that_does_not_fit_the_field_matches_nothing_or_everything_when_negated(session: Session):
    assert ids(session, "count=abc") == []
    assert ids(session, "count!=abc") == [1, 2, 3, 4, 5]
    assert ids(session, "seen_on>yesterday") == []


def test_eq_ends_the_query(session: Session):
    assert ids(session, "count=2^EQ^count=3") == [2]


def test_double_caret_is_a_literal_caret():
    assert parse("name=a^^b^count=1") == EncodedQuery(
        groups=(((Condition("name", "=", "a^b"),), (Condition("count", "=", "1"),)),)
    )


field_names = st.from_regex(r"[a-z_][a-z0-9_]{0,10}", fullmatch=True)


@st.composite
def conditions(draw: st.DrawFn) -> Condition:
    operator = draw(st.sampled_from(OPERATORS))
    if operator in VALUELESS:
        return Condition(draw(field_names), operator)
    value = draw(st.text(max_size=12))
    if operator in ("<", ">"):  # "a<=b" reads as "<=": ServiceNow's syntax cannot say "< '=b'"
        value = value.lstrip("=")
    return Condition(draw(field_names), operator, value)


clauses = st.lists(conditions(), min_size=1, max_size=3).map(tuple)
groups = st.lists(clauses, min_size=1, max_size=3).map(tuple)
queries = st.builds(
    EncodedQuery,
    groups=st.lists(groups, max_size=3).map(tuple),
    order_by=st.lists(st.builds(OrderBy, field_names, st.booleans()), max_size=2).map(tuple),
)


@given(queries)
def test_render_then_parse_gives_back_the_same_query(query: EncodedQuery):
    assert parse(render(query)) == query


QUERYISH = "^=!<>,@%_ \\'nameflagcountseen_onORDERBYDESCNQLIKEINSTARTSWITH019-:"


@settings(suppress_health_check=[HealthCheck.function_scoped_fixture], max_examples=300)
@given(st.text(alphabet=st.sampled_from(QUERYISH)) | st.text())
def test_any_string_parses_compiles_and_runs(session: Session, text: str):
    ids(session, text)
