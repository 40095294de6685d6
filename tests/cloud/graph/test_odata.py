import datetime as dt

import pytest

from m365bridge.cloud.graph import service
from m365bridge.cloud.graph.odata import ODataError
from m365bridge.cloud.graph.resources import ISSUES
from m365bridge.cloud.graph.service import CollectionQuery

from .conftest import START, TENANT, make_issues


def ids(session, filter_text=None, orderby=None):
    page = service.list_page(
        session,
        ISSUES,
        TENANT,
        CollectionQuery(filter=filter_text, orderby=orderby),
        size=1000,
    )
    return [row.id for row in page.rows]


@pytest.fixture
def issues(session):
    make_issues(session, TENANT, 12)
    return session


def expected(count, keep):
    return [f"T{n:05d}" for n in range(count) if keep(n)]


def hour(n):
    return (START + dt.timedelta(hours=n)).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("filter_text", "keep"),
    [
        ("id eq 'T00004'", lambda n: n == 4),
        ("id ne 'T00004'", lambda n: n != 4),
        (f"lastModifiedDateTime gt {hour(9)}", lambda n: n > 9),
        (f"lastModifiedDateTime ge {hour(9)}", lambda n: n >= 9),
        (f"lastModifiedDateTime lt {hour(2)}", lambda n: n < 2),
        (f"lastModifiedDateTime le {hour(2)}", lambda n: n <= 2),
        ("isResolved eq true", lambda n: n % 3 == 0),
        ("isResolved eq false", lambda n: n % 3 != 0),
        ("service eq 'Microsoft Teams'", lambda n: n % 3 == 1),
        ("classification eq 'advisory'", lambda n: n % 2 == 1),
        ("status eq 'serviceDegradation'", lambda n: n % 5 == 0 and n % 3),
    ],
)
def test_each_comparison_operator_selects_the_matching_issues(issues, filter_text, keep):
    assert ids(issues, filter_text) == expected(12, keep)


def test_and_binds_tighter_than_or(issues):
    result = ids(
        issues, "service eq 'Microsoft Teams' or isResolved eq true and classification eq 'advisory'"
    )
    assert result == expected(12, lambda n: n % 3 == 1 or (n % 3 == 0 and n % 2 == 1))


def test_parentheses_group_an_or_inside_an_and(issues):
    result = ids(
        issues, "(service eq 'Microsoft Teams' or service eq 'SharePoint Online') and isResolved eq false"
    )
    assert result == expected(12, lambda n: n % 3 in (1, 2))


def test_not_negates_a_group(issues):
    assert ids(issues, "not (isResolved eq true)") == expected(12, lambda n: n % 3 != 0)


def test_string_literal_with_a_doubled_quote(issues):
    assert ids(issues, "service eq 'Contoso''s service'") == []


def test_orderby_with_several_keys_and_directions(issues):
    rows = ids(issues, orderby="service desc,lastModifiedDateTime asc")
    services = ["Exchange Online", "Microsoft Teams", "SharePoint Online"]
    assert rows == sorted(
        expected(12, lambda n: True), key=lambda i: (-services.index(services[int(i[1:]) % 3]), i)
    )


@pytest.mark.parametrize(
    "bad",
    [
        "status eq",
        "status eq 'investigating' and",
        "(status eq 'investigating'",
        "status eq 'investigating')",
        "status = 'investigating'",
        "color eq 'red'",
        "status eq 'broken'",
        "isResolved gt true",
        "isResolved eq 'yes'",
        "lastModifiedDateTime gt 'yesterday'",
        "lastModifiedDateTime gt 2026-13-45T00:00:00Z",
        "service eq 'unterminated",
        "id eq 5",
        "",
    ],
)
def test_a_filter_that_cannot_be_parsed_is_a_bad_request(issues, bad):
    with pytest.raises(ODataError):
        ids(issues, bad)


def test_orderby_on_an_unknown_property_is_a_bad_request(issues):
    with pytest.raises(ODataError):
        ids(issues, orderby="colour desc")
