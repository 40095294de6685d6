"""Inputs that used to crash the cloud with a 500 (issue 15 item 11, Graph part): Graph's 400 instead."""

from __future__ import annotations

import pytest

from m365bridge.cloud.graph.odata import MAX_FILTER_DEPTH
from tests.cloud.graph.tokens import caller

ISSUES = "/graph/v1.0/admin/serviceAnnouncement/issues"
LEVELS = 1200


@pytest.fixture
def contoso(cloud_context, cloud_client):
    return caller(cloud_context, cloud_client, "contoso.onmicrosoft.com")


@pytest.mark.parametrize(
    "filter_text",
    [
        "not " * LEVELS + "isResolved eq true",
        "(" * LEVELS + "isResolved eq true" + ")" * LEVELS,
        "(not " * LEVELS + "isResolved eq true" + ")" * LEVELS,
    ],
    ids=["nots", "parentheses", "both"],
)
def test_a_deeply_nested_filter_gets_graphs_400(cloud_client, contoso, filter_text):
    answer = cloud_client.get(ISSUES, params={"$filter": filter_text}, headers=contoso.headers)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == "BadRequest"
    assert f"more than {MAX_FILTER_DEPTH} levels" in error["message"]


def test_nesting_up_to_the_limit_still_works(cloud_client, contoso):
    depth = MAX_FILTER_DEPTH // 2
    filter_text = "(not " * depth + "isResolved eq true" + ")" * depth
    answer = cloud_client.get(ISSUES, params={"$filter": filter_text}, headers=contoso.headers)
    assert answer.status_code == 200, answer.text
