"""Work-note mode: the ledger of insights work notes per incident, and the issues each incident follows.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import m365bridge.shared.orm

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "x_mioms_m365_assis_worknote",
        sa.Column("incident_sys_id", sa.String(length=32), nullable=False),
        sa.Column("incident_number", sa.String(length=40), nullable=False),
        sa.Column("short_description", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("notes_posted", sa.Integer(), nullable=False),
        sa.Column("posted_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("updated_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("incident_sys_id", name=op.f("pk_x_mioms_m365_assis_worknote")),
    )
    op.create_table(
        "x_mioms_m365_assis_worknote_issue",
        sa.Column("incident_sys_id", sa.String(length=32), nullable=False),
        sa.Column("issue_id", sa.String(length=64), nullable=False),
        sa.Column("posts_posted", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "incident_sys_id", "issue_id", name=op.f("pk_x_mioms_m365_assis_worknote_issue")
        ),
    )


def downgrade() -> None:
    op.drop_table("x_mioms_m365_assis_worknote_issue")
    op.drop_table("x_mioms_m365_assis_worknote")
