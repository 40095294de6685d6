"""Property tests for the parsers that read caller-supplied text: Graph's ``$filter``/``$orderby``, the
knowledge importer's markdown, and encoded queries over the Table API. None may crash or answer 5xx."""

from __future__ import annotations

import contextlib
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, not_, select
from sqlalchemy.orm import Session

from m365bridge.cloud.graph.models import ServiceHealthIssue
from m365bridge.cloud.graph.odata import ODataError, parse_filter, parse_orderby
from m365bridge.cloud.graph.resources import ISSUES
from m365bridge.cloud.knowledge.markdown import parse_article
from m365bridge.shared.errors import UserError
from tests.cloud.graph.conftest import TENANT, make_issues
from tests.connector.auth.helpers import make_user
from tests.connector.auth.test_oauth_token import make_client, password_grant

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "8")) * 25
PROPERTY = settings(
    max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
ODATA_WORDS = [
    "id",
    "service",
    "status",
    "isResolved",
    "classification",
    "lastModifiedDateTime",
    "startDateTime",
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "and",
    "or",
    "not",
    "(",
    ")",
    "'",
    "''",
    "true",
    "false",
    "null",
    "2026-11-01T00:00:00Z",
    "'Exchange Online'",
    "'advisory'",
    "asc",
    "desc",
    ",",
    " ",
    "$",
]
odata_text = st.lists(st.sampled_from(ODATA_WORDS), max_size=12).map(" ".join) | st.text(max_size=40)


@pytest.fixture
def issues(cloud_context):
    with cloud_context.sessions() as session:
        make_issues(session, TENANT, 12)
        yield session


def count(session: Session, condition=None) -> int:
    query = select(func.count()).select_from(ServiceHealthIssue).where(ServiceHealthIssue.tenant_id == TENANT)
    if condition is not None:
        query = query.where(condition)
    return session.scalar(query) or 0


@PROPERTY
@given(text=odata_text)
def test_any_filter_text_parses_and_runs_or_is_an_odata_error(issues, text, record_property):
    record_property("tally:property_cases", 1)
    try:
        condition = parse_filter(text, ISSUES.properties, "serviceHealthIssue")
    except ODataError:
        return
    count(issues, condition)


@PROPERTY
@given(text=odata_text)
def test_any_orderby_text_parses_or_is_an_odata_error(text, record_property):
    record_property("tally:property_cases", 1)
    with contextlib.suppress(ODataError):
        parse_orderby(text, ISSUES.properties, "serviceHealthIssue")


VALUES = {
    "service": ["'Exchange Online'", "'Microsoft Teams'", "'O''Brien'"],
    "classification": ["'advisory'", "'incident'"],
    "id": ["'T00004'", "'T00010'", "''"],
}
comparisons = st.sampled_from(sorted(VALUES)).flatmap(
    lambda name: st.builds(
        "{} {} {}".format,
        st.just(name),
        st.sampled_from(["eq", "ne", "gt", "ge", "lt", "le"]),
        st.sampled_from(VALUES[name]),
    )
)
filters = st.recursive(
    comparisons,
    lambda inner: st.builds("({}) {} ({})".format, inner, st.sampled_from(["and", "or"]), inner),
    max_leaves=4,
)


@PROPERTY
@given(text=filters)
def test_a_filter_and_its_negation_split_the_issues(issues, text, record_property):
    record_property("tally:property_cases", 1)
    condition = parse_filter(text, ISSUES.properties, "serviceHealthIssue")
    negated = parse_filter(f"not ({text})", ISSUES.properties, "serviceHealthIssue")

    assert count(issues, condition) + count(issues, negated) == count(issues)
    assert count(issues, negated) == count(issues, not_(condition))


yaml_values = st.one_of(
    st.text(max_size=20), st.integers(), st.none(), st.booleans(), st.lists(st.text(max_size=8), max_size=3)
)
front_matter = st.one_of(
    st.dictionaries(
        st.sampled_from(["title", "description", "ms.service", "services", "ms.topic", "x"]),
        yaml_values,
        max_size=4,
    ).map(lambda d: "---\n" + "\n".join(f"{k}: {v!r}" for k, v in d.items()) + "\n---\n"),
    st.sampled_from(
        [
            "",
            "---\n",
            "---\n---\n",
            "---\n: :\n---\n",
            "---\n- a\n- b\n---\n",
            "---\ntitle: [unclosed\n---\n",
            "---\ntitle: !!python/object:os.system 'echo'\n---\n",
            "\ufeff---\ntitle: BOM\n---\n",
        ]
    ),
)
markdown_body = st.lists(
    st.sampled_from(
        [
            "# Heading",
            "## Sub",
            "[link](../other.md)",
            "![img](a.png)",
            "[!INCLUDE [x](../includes/x.md)]",
            "```\ncode\n```",
            ':::image type="content" source="a.png":::',
            "> [!NOTE]",
            "text",
            "\n",
            "<b>html</b>",
        ]
    )
    | st.text(max_size=30),
    max_size=8,
).map("\n".join)


@PROPERTY
@given(source=st.builds(str.__add__, front_matter, markdown_body) | st.text(max_size=200))
def test_any_markdown_parses_or_is_a_user_error(source, record_property):
    record_property("tally:property_cases", 1)
    try:
        article = parse_article(
            source, read_include=lambda _path: "included", resolve_link=lambda t: f"https://x/{t}"
        )
    except UserError:
        return
    assert article.title.strip()
    assert isinstance(article.text, str)


@pytest.fixture
def table_api(connector_context, connector_client):
    """The Table API client and a bearer token (cheap per call, unlike Basic's password hash)."""
    make_user(connector_context, "fuzz.itil", ["itil"])
    client_id, secret = make_client(connector_context)
    token = password_grant(connector_client, client_id, secret, "fuzz.itil").json()["access_token"]
    return connector_client, {"Authorization": f"Bearer {token}"}


@settings(PROPERTY, max_examples=max(10, EXAMPLES // 4))
@given(
    query=st.text(
        alphabet=st.sampled_from("^=!<>,@%_ \\'shortdescriptionstatepriorityORDERBYDESCNQLIKEIN019-:"),
        max_size=40,
    )
    | st.text(max_size=40),
    fields=st.text(max_size=20),
    limit=st.one_of(st.integers(-5, 100_000).map(str), st.text(max_size=5)),
    display=st.sampled_from(["true", "false", "all", "maybe"]),
)
def test_any_table_api_query_answers_without_a_server_error(
    table_api, query, fields, limit, display, record_property
):
    record_property("tally:property_cases", 1)
    client, headers = table_api
    response = client.get(
        "/api/now/table/incident",
        params={
            "sysparm_query": query,
            "sysparm_fields": fields,
            "sysparm_limit": limit,
            "sysparm_display_value": display,
        },
        headers=headers,
    )
    assert response.status_code < 500, response.text


@pytest.mark.parametrize("value", ["5", "2024-01-01", "{a: 1}", "true"])
def test_a_non_text_service_in_front_matter_is_ignored_not_a_crash(value):
    """Regression: ``ms.service: 5`` made the importer raise TypeError instead of importing the article."""
    source = f"---\ntitle: T\nms.service: {value}\nappliesto: Exchange Online\n---\nBody"

    article = parse_article(source, read_include=lambda _path: None, resolve_link=lambda _target: None)

    assert article.services == ["Exchange Online"]
