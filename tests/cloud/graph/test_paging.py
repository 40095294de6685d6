import pytest

from m365bridge.cloud.graph import service
from m365bridge.cloud.graph.odata import ODataError
from m365bridge.cloud.graph.paging import page_size
from m365bridge.cloud.graph.resources import ISSUES
from m365bridge.cloud.graph.service import CollectionQuery

from .conftest import TENANT, make_issues


def walk(session, size, token=None, **options):
    seen, pages = [], 0
    while True:
        page = service.list_page(
            session,
            ISSUES,
            TENANT,
            CollectionQuery(skiptoken=token, **options),
            size=size,
        )
        seen += [row.id for row in page.rows]
        pages += 1
        token = page.next_token
        if token is None:
            return seen, pages


def test_pages_hold_each_issue_once_even_when_issues_arrive_between_pages(session):
    make_issues(session, TENANT, 250)
    first = service.list_page(
        session,
        ISSUES,
        TENANT,
        CollectionQuery(orderby="id desc"),
        size=100,
    )
    service.create_issue(
        session, TENANT, service="Exchange", title="Late", impact_description="", issue_id="T99999"
    )
    rest = service.list_page(
        session,
        ISSUES,
        TENANT,
        CollectionQuery(orderby="id desc", skiptoken=first.next_token),
        size=1000,
    )
    served = [row.id for row in first.rows + rest.rows]
    assert len(served) == len(set(served)) == 250


def test_ordering_on_a_nullable_key_pages_through_every_issue(session):
    make_issues(session, TENANT, 30)  # only resolved issues have an endDateTime
    seen, pages = walk(session, 7, orderby="endDateTime desc")
    assert sorted(seen) == [f"T{n:05d}" for n in range(30)]
    assert pages == 5


def test_a_skip_token_from_another_ordering_is_refused(session):
    make_issues(session, TENANT, 5)
    token = service.list_page(
        session,
        ISSUES,
        TENANT,
        CollectionQuery(orderby="title"),
        size=2,
    ).next_token
    with pytest.raises(ODataError):
        walk(session, 2, token=token)


@pytest.mark.parametrize(
    ("top", "prefer", "expected"),
    [
        (None, None, (100, None)),
        (None, "odata.maxpagesize=250", (250, 250)),
        (None, "return=minimal, odata.maxpagesize=5000", (1000, 1000)),
        (20, "odata.maxpagesize=250", (20, None)),
    ],
)
def test_page_size_follows_top_then_prefer_then_the_default(top, prefer, expected):
    assert page_size(top, prefer, 1000) == expected


def test_a_non_numeric_max_page_size_is_refused():
    with pytest.raises(ODataError):
        page_size(None, "odata.maxpagesize=lots", 1000)
