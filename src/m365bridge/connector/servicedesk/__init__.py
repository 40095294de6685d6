"""The service-desk port (``port.py``), its built-in adapter (``builtin.py``) and the outbox a remote
desk's writes go through (``outbox.py``). Features get their desk from ``desk_for``."""

from __future__ import annotations

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk.builtin import BuiltinDesk
from m365bridge.connector.servicedesk.port import ServiceDesk

BUILTIN = BuiltinDesk()


def desk_for(context: ConnectorContext) -> ServiceDesk:
    """The desk this connector works with. Only the built-in desk exists so far; the ServiceNow instance
    adapter adds its choice here, from the settings."""
    return BUILTIN
