"""The service-desk port: incident numbers beside sys_ids, and the outbox of a remote desk's writes.

Stored insights, cases and auto-incident links gain the incident's number (filled here from the built-in
incident table, the only desk so far), so they are keyed by the desk's sys_id and number and need no row of
the built-in table. New columns get an empty server default so existing rows are valid before the fill.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import m365bridge.shared.orm

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "x_mioms_m365_assis_desk_outbox",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("operation", sa.String(length=20), nullable=False),
        sa.Column("incident_sys_id", sa.String(length=32), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("due_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("delivered_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("failed", sa.Boolean(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_x_mioms_m365_assis_desk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_x_mioms_m365_assis_desk_outbox_key")),
    )
    with op.batch_alter_table("x_mioms_m365_assis_desk_outbox", schema=None) as batch_op:
        batch_op.create_index("ix_desk_outbox_due", ["delivered_at", "failed", "due_at"], unique=False)

    with op.batch_alter_table("x_mioms_m365_assis_auto_incident", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incident_number", sa.String(length=40), nullable=False, server_default="")
        )
    _fill_numbers("x_mioms_m365_assis_auto_incident")

    with op.batch_alter_table("x_mioms_m365_assis_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incident_number", sa.String(length=40), nullable=False, server_default="")
        )
    _fill_numbers("x_mioms_m365_assis_case")

    with op.batch_alter_table("x_mioms_m365_assis_insight", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("incident_number", sa.String(length=40), nullable=False, server_default="")
        )
    _fill_numbers("x_mioms_m365_assis_insight")


def _fill_numbers(table: str) -> None:
    """Each row's incident number from the built-in incident table (rows whose incident is gone keep "")."""
    rows = sa.table(table, sa.column("incident_sys_id"), sa.column("incident_number"))
    incident = sa.table("incident", sa.column("sys_id"), sa.column("number"))
    same = incident.c.sys_id == rows.c.incident_sys_id
    number = sa.select(incident.c.number).where(same).scalar_subquery()
    op.execute(rows.update().where(sa.exists().where(same)).values(incident_number=number))


def downgrade() -> None:
    with op.batch_alter_table("x_mioms_m365_assis_insight", schema=None) as batch_op:
        batch_op.drop_column("incident_number")

    with op.batch_alter_table("x_mioms_m365_assis_case", schema=None) as batch_op:
        batch_op.drop_column("incident_number")

    with op.batch_alter_table("x_mioms_m365_assis_auto_incident", schema=None) as batch_op:
        batch_op.drop_column("incident_number")

    with op.batch_alter_table("x_mioms_m365_assis_desk_outbox", schema=None) as batch_op:
        batch_op.drop_index("ix_desk_outbox_due")

    op.drop_table("x_mioms_m365_assis_desk_outbox")
