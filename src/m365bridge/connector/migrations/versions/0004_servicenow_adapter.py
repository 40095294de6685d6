"""The ServiceNow instance adapter: which desk is in use, what agents see, and the mirror of instance incidents.

``servicenow_instance`` gains ``enabled`` (False: a configured instance is not used until an admin says so)
and ``agent_view`` (``both``). ``servicenow_incident`` keeps the incidents seen on the instance, so that
incident numbers are answered without a network call.

Revision ID: 0004
Revises: 0003
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import m365bridge.shared.orm

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("servicenow_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("enabled", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(
            sa.Column("agent_view", sa.String(length=20), nullable=False, server_default="both")
        )
    op.create_table(
        "servicenow_incident",
        sa.Column("sys_id", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=40), nullable=False),
        sa.Column("short_description", sa.String(length=160), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("correlation_id", sa.String(length=200), nullable=False),
        sa.Column("updated_on", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("seen_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("sys_id", name=op.f("pk_servicenow_incident")),
    )
    with op.batch_alter_table("servicenow_incident", schema=None) as batch_op:
        batch_op.create_index("ix_servicenow_incident_change", ["updated_on", "sys_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("servicenow_incident", schema=None) as batch_op:
        batch_op.drop_index("ix_servicenow_incident_change")
    op.drop_table("servicenow_incident")
    with op.batch_alter_table("servicenow_instance", schema=None) as batch_op:
        batch_op.drop_column("agent_view")
        batch_op.drop_column("enabled")
