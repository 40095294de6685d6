"""The instance connection's switch (is the instance the connector's desk) and the agents' view.

Stand-in for the adapter branch's revision of the same two columns: at the merge, keep the adapter's one
and drop this file.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("servicenow_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), server_default="0", nullable=False))
        batch_op.add_column(
            sa.Column("agent_view", sa.String(length=20), server_default="work_notes", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("servicenow_instance", schema=None) as batch_op:
        batch_op.drop_column("agent_view")
        batch_op.drop_column("enabled")
