"""A respx stand-in for Graph's service communications: $filter on lastModifiedDateTime, nextLink paging,
and queued throttling answers. Shapes follow Graph v1.0 (``value``, ``@odata.nextLink``, error bodies)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx
import respx

GRAPH_URL = "https://graph.example.test/graph"
ANNOUNCEMENTS = f"{GRAPH_URL}/v1.0/admin/serviceAnnouncement"


def stamp(when: dt.datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def issue(issue_id: str, modified: dt.datetime, **fields: Any) -> dict[str, Any]:
    return {
        "id": issue_id,
        "title": fields.pop("title", f"Issue {issue_id}"),
        "impactDescription": fields.pop("impactDescription", "Users may be affected."),
        "classification": "incident",
        "status": fields.pop("status", "serviceDegradation"),
        "origin": "microsoft",
        "service": fields.pop("service", "Exchange Online"),
        "feature": fields.pop("feature", "E-Mail and calendar access"),
        "featureGroup": fields.pop("featureGroup", "E-Mail and calendar access"),
        "isResolved": fields.pop("isResolved", False),
        "startDateTime": stamp(modified - dt.timedelta(hours=1)),
        "endDateTime": fields.pop("endDateTime", None),
        "lastModifiedDateTime": stamp(modified),
        "posts": fields.pop("posts", []),
        **fields,
    }


def message(message_id: str, modified: dt.datetime, title: str = "") -> dict[str, Any]:
    return {
        "id": message_id,
        "title": title or f"Message {message_id}",
        "category": "stayInformed",
        "severity": "normal",
        "services": ["Microsoft Teams"],
        "tags": [],
        "isMajorChange": False,
        "startDateTime": stamp(modified),
        "endDateTime": None,
        "actionRequiredByDateTime": None,
        "lastModifiedDateTime": stamp(modified),
        "body": {"contentType": "html", "content": "<p>hello</p>"},
    }


class FakeGraph:
    def __init__(self, router: respx.MockRouter, *, page_size: int = 2) -> None:
        self.collections: dict[str, dict[str, dict[str, Any]]] = {"issues": {}, "messages": {}}
        self.page_size = page_size
        self.queued: list[httpx.Response] = []
        self.requests: list[httpx.Request] = []
        self.on_request: Callable[[], None] = lambda: None
        router.get(url__regex=rf"^{re.escape(ANNOUNCEMENTS)}/(issues|messages)").mock(side_effect=self.handle)

    def put(self, collection: str, item: dict[str, Any]) -> None:
        self.collections[collection][item["id"]] = item

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        self.on_request()
        if not request.headers.get("Authorization", "").startswith("Bearer "):
            return httpx.Response(401, json={"error": {"code": "InvalidAuthenticationToken", "message": "x"}})
        if self.queued:
            return self.queued.pop(0)
        collection = request.url.path.rsplit("/", 1)[-1]
        items = sorted(self.collections[collection].values(), key=lambda item: item["id"])
        query = request.url.params
        if "$filter" in query:
            found = re.fullmatch(r"lastModifiedDateTime ge (\S+)", query["$filter"])
            assert found, query["$filter"]
            since = dt.datetime.fromisoformat(found.group(1))
            items = [i for i in items if dt.datetime.fromisoformat(i["lastModifiedDateTime"]) >= since]
        offset = int(query.get("$skiptoken", "0"))
        body: dict[str, Any] = {"value": items[offset : offset + self.page_size]}
        if offset + self.page_size < len(items):
            params = {k: v for k, v in query.items() if k != "$skiptoken"}
            params["$skiptoken"] = str(offset + self.page_size)
            body["@odata.nextLink"] = f"{ANNOUNCEMENTS}/{collection}?{urlencode(params)}"
        return httpx.Response(200, json=body)
