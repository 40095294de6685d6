"""The update set that puts a "Microsoft 365 support" button on the instance's incident form.

ServiceNow imports update sets as an ``unload`` XML file: one ``sys_remote_update_set`` (the retrieved
update set) and one ``sys_update_xml`` per change, whose ``payload`` is the changed record's own XML
(``record_update``) as escaped text. This one holds a single client-side UI action (``sys_ui_action``) on
``incident`` that opens the connector's tab for the record on screen.

The format follows ServiceNow's documented export; it is checked by parsing it back here, not by importing
it into a live instance.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import xml.etree.ElementTree as ET

from m365bridge.connector.servicenow.client import check_instance_url

NAME = "Microsoft 365 support"
ACTION_NAME = "x_mioms_m365_assis_open_tab"
TAB_PATH = "/incidents/{sys_id}/m365"
# A fixed namespace, so that the same connector URL always gives the same sys_ids: importing a newer file
# updates the button instead of adding a second one.
_NAMESPACE = uuid.UUID("5b0f8e5e-2f4c-4c0e-9d4e-6d1f3a0c9b51")


def _sys_id(*parts: str) -> str:
    return uuid.uuid5(_NAMESPACE, "/".join(parts)).hex


def build(connector_url: str, *, allow_loopback_http: bool = False, now: dt.datetime | None = None) -> str:
    """The update set XML for a connector reached at ``connector_url`` (https)."""
    base = check_instance_url(connector_url, allow_loopback_http=allow_loopback_http)
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%d %H:%M:%S")
    set_id = _sys_id(base, "sys_remote_update_set")
    action_id = _sys_id(base, "sys_ui_action")

    unload = ET.Element("unload", unload_date=stamp)
    remote = ET.SubElement(unload, "sys_remote_update_set", action="INSERT_OR_UPDATE")
    _fields(
        remote,
        {
            "application": ("global", {"display_value": "Global"}),
            "application_name": "Global",
            "application_scope": "global",
            "description": f"Adds a '{NAME}' button to the incident form; it opens {base}{TAB_PATH}.",
            "name": f"{NAME} (m365bridge)",
            "remote_sys_id": set_id,
            "state": "loaded",
            "sys_class_name": "sys_remote_update_set",
            "sys_created_by": "m365bridge",
            "sys_created_on": stamp,
            "sys_id": set_id,
            "sys_mod_count": "0",
            "sys_updated_by": "m365bridge",
            "sys_updated_on": stamp,
        },
    )
    update = ET.SubElement(unload, "sys_update_xml", action="INSERT_OR_UPDATE")
    _fields(
        update,
        {
            "action": "INSERT_OR_UPDATE",
            "application": ("global", {"display_value": "Global"}),
            "category": "customer",
            "name": f"sys_ui_action_{action_id}",
            "payload": _ui_action_payload(base, action_id, stamp),
            "remote_update_set": (set_id, {"display_value": f"{NAME} (m365bridge)"}),
            "replace_on_upgrade": "false",
            "sys_class_name": "sys_update_xml",
            "sys_created_by": "m365bridge",
            "sys_created_on": stamp,
            "sys_id": _sys_id(base, "sys_update_xml"),
            "sys_mod_count": "0",
            "sys_updated_by": "m365bridge",
            "sys_updated_on": stamp,
            "table": "incident",
            "target_name": NAME,
            "type": "UI Action",
            "update_domain": "global",
        },
    )
    ET.indent(unload)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(unload, encoding="unicode") + "\n"


def tab_script(connector_url: str) -> str:
    """The UI action's client script. The URL is a JSON string literal, so a quote or backslash in it
    cannot end the string; the sys_id comes from the form and is URL-encoded."""
    tab = json.dumps(connector_url + TAB_PATH.split("{", 1)[0])
    return (
        "function openM365Support() {\n"
        f"    var url = {tab} + encodeURIComponent(g_form.getUniqueValue()) + '/m365';\n"
        "    var features = 'resizable,scrollbars,width=1100,height=800';\n"
        "    g_navigation.openPopup(url, 'm365support', features, true);\n"
        "}\n"
    )


def _ui_action_payload(base: str, action_id: str, stamp: str) -> str:
    record = ET.Element("record_update", table="sys_ui_action")
    action = ET.SubElement(record, "sys_ui_action", action="INSERT_OR_UPDATE")
    _fields(
        action,
        {
            "action_name": ACTION_NAME,
            "active": "true",
            "client": "true",
            "comments": "Opens the m365bridge connector's Microsoft 365 support tab for this incident.",
            "condition": "!current.isNewRecord()",
            "form_button": "true",
            "form_link": "true",
            "hint": "Service health, recommended solutions and Microsoft support for this incident",
            "name": NAME,
            "onclick": "openM365Support()",
            "order": "100",
            "script": tab_script(base),
            "show_insert": "false",
            "show_update": "true",
            "sys_class_name": "sys_ui_action",
            "sys_created_by": "m365bridge",
            "sys_created_on": stamp,
            "sys_id": action_id,
            "sys_mod_count": "0",
            "sys_name": NAME,
            "sys_scope": ("global", {"display_value": "Global"}),
            "sys_update_name": f"sys_ui_action_{action_id}",
            "sys_updated_by": "m365bridge",
            "sys_updated_on": stamp,
            "table": "incident",
        },
    )
    return '<?xml version="1.0" encoding="UTF-8"?>' + ET.tostring(record, encoding="unicode")


def _fields(parent: ET.Element, values: dict[str, str | tuple[str, dict[str, str]]]) -> None:
    for name, value in values.items():
        text, attributes = value if isinstance(value, tuple) else (value, {})
        ET.SubElement(parent, name, attributes).text = text
