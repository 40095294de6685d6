"""The service-desk port (``port.py``), its built-in adapter (``builtin.py``) and the outbox a remote
desk's writes go through (``outbox.py``). Features get their desk from ``desk_for``."""

from __future__ import annotations

import threading
import time
import weakref
from dataclasses import dataclass

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.servicedesk.builtin import BuiltinDesk
from m365bridge.connector.servicedesk.port import ServiceDesk
from m365bridge.connector.servicenow.desk import InstanceDesk
from m365bridge.connector.servicenow.service import instance_in_use
from m365bridge.shared.db import transaction

BUILTIN = BuiltinDesk()
# desk_for runs on every tab and API request: the choice is read from the database at most this often per
# process (``forget_choice`` drops it at once, for the process that changed it).
CHOICE_TTL = 5.0


@dataclass
class _Choice:
    owner: weakref.ref[ConnectorContext]
    desk: InstanceDesk
    in_use: bool
    until: float


_choices: dict[int, _Choice] = {}
_lock = threading.Lock()


def desk_for(context: ConnectorContext) -> ServiceDesk:
    """The desk this connector works with: the ServiceNow instance when an admin enabled it (``connector
    servicenow configure --use``), else the built-in desk."""
    choice = instance_choice(context)
    return choice.desk if choice.in_use else BUILTIN


def instance_desk(context: ConnectorContext) -> InstanceDesk:
    """The context's one ``InstanceDesk`` (it keeps the incidents read since the last poll)."""
    return instance_choice(context).desk


def instance_choice(context: ConnectorContext) -> _Choice:
    now = time.monotonic()
    with _lock:
        choice = _choices.get(id(context))
        if choice is not None and choice.owner() is context and choice.until > now:
            return choice
    with transaction(context.sessions) as session:
        in_use = instance_in_use(session)
    with _lock:
        choice = _choices.get(id(context))
        if choice is None or choice.owner() is not context:
            choice = _Choice(weakref.ref(context), InstanceDesk(context), in_use, now + CHOICE_TTL)
            _choices[id(context)] = choice
        choice.in_use, choice.until = in_use, now + CHOICE_TTL
        return choice


def forget_choice(context: ConnectorContext) -> None:
    """Read the choice again at the next ``desk_for`` (after ``use_instance`` in this process)."""
    with _lock:
        choice = _choices.get(id(context))
        if choice is not None:
            choice.until = 0.0
