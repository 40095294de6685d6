"""The update set XML: it parses, holds the records ServiceNow's export format has, and escapes the URL."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET

import pytest

from m365bridge.connector.servicenow import update_set
from m365bridge.shared.errors import UserError

WHEN = dt.datetime(2026, 12, 1, 10, 0, tzinfo=dt.UTC)


def parse(xml: str) -> tuple[ET.Element, ET.Element]:
    unload = ET.fromstring(xml)
    [update] = unload.findall("sys_update_xml")
    payload = ET.fromstring(update.findtext("payload") or "")
    return unload, payload


def test_the_file_holds_one_update_set_and_one_ui_action_on_incident():
    unload, payload = parse(update_set.build("https://m365.contoso.com", now=WHEN))

    assert unload.tag == "unload" and unload.get("unload_date") == "2026-12-01 10:00:00"
    [remote] = unload.findall("sys_remote_update_set")
    [update] = unload.findall("sys_update_xml")
    assert (
        remote.findtext("state") == "loaded" and remote.findtext("sys_class_name") == "sys_remote_update_set"
    )
    assert update.findtext("remote_update_set") == remote.findtext("sys_id")
    assert update.findtext("type") == "UI Action" and update.findtext("table") == "incident"
    assert payload.tag == "record_update" and payload.get("table") == "sys_ui_action"
    action = payload.find("sys_ui_action")
    assert action is not None
    assert action.findtext("name") == "Microsoft 365 support" and action.findtext("table") == "incident"
    assert action.findtext("form_button") == "true" and action.findtext("client") == "true"
    assert update.findtext("name") == f"sys_ui_action_{action.findtext('sys_id')}"
    assert "https://m365.contoso.com/incidents/" in (action.findtext("script") or "")


def test_the_same_connector_gives_the_same_sys_ids_so_a_reimport_updates():
    first, second = (
        update_set.build("https://m365.contoso.com"),
        update_set.build("https://m365.contoso.com/"),
    )
    other = update_set.build("https://other.contoso.com")

    ids = [[e.text for e in ET.fromstring(x).iter("sys_id")] for x in (first, second, other)]
    assert ids[0] == ids[1] and ids[0] != ids[2]


def test_the_url_is_escaped_for_xml_and_for_javascript():
    url = "https://m365.contoso.com/a'b\"c&d<e>\\"

    _unload, payload = parse(update_set.build(url, now=WHEN))

    script = payload.findtext("sys_ui_action/script") or ""
    assert 'var url = "https://m365.contoso.com/a\'b\\"c&d<e>\\\\/incidents/"' in script
    assert "&amp;" not in script  # the XML layers were undone by the parser, nothing double-escaped


def test_a_non_https_connector_url_is_refused():
    with pytest.raises(UserError):
        update_set.build("http://m365.contoso.com")
