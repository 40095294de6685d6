"""Key rotation: a new key encrypts, every stored secret is re-encrypted in one transaction, old keys go.

The order makes a crash at any point recoverable: the key file gets the new key *in front of* the old ones
before any row changes (so rows in either state decrypt), and the old keys are dropped only after the
transaction that re-encrypted every marked column has committed.
"""

from __future__ import annotations

from dataclasses import dataclass

from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.keys import repository
from m365bridge.connector.keys.columns import encrypted_columns
from m365bridge.connector.models import Base
from m365bridge.shared.db import transaction
from m365bridge.shared.errors import UserError
from m365bridge.shared.secretbox import SecretBox, new_key, write_keys


@dataclass(frozen=True)
class RotationReport:
    columns: int
    values: int


def rotate_key(context: ConnectorContext) -> RotationReport:
    if context.settings.encryption_keys:
        raise UserError(
            "The encryption keys come from the M365BRIDGE_CONNECTOR_ENCRYPTION_KEYS setting, which "
            f"rotate-key cannot rewrite. Copy them into {context.settings.key_file} (one a line, newest "
            "first, mode 0600), unset the setting, then run rotate-key again."
        )
    key_file = context.settings.key_file
    old_keys = context.secrets.keys
    fresh = new_key()
    write_keys(key_file, [fresh, *old_keys])
    box = SecretBox([fresh, *old_keys])

    columns = encrypted_columns(Base.metadata)
    values = 0
    with transaction(context.sessions, write=True) as session:
        for table, column in columns:
            for *ids, token in repository.encrypted_values(session, table, column):
                repository.replace_value(session, table, column, ids, box.rotate(token))
                values += 1

    write_keys(key_file, [fresh])
    context.secrets = SecretBox([fresh])
    return RotationReport(columns=len(columns), values=values)
