"""Cloud: failed sign-ins for the portal and admin API throttle (directory_login_failures).

Revision ID: 0003_cloud_login_failures
Revises: 0002_kb_embeddings
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import m365bridge.shared.orm

revision: str = "0003_cloud_login_failures"
down_revision: str | None = "0002_kb_embeddings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "directory_login_failures",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account", sa.String(length=320), nullable=False),
        sa.Column("address", sa.String(length=64), nullable=False),
        sa.Column("at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_directory_login_failures")),
    )
    with op.batch_alter_table("directory_login_failures", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_directory_login_failures_account"), ["account"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_login_failures_address"), ["address"], unique=False)
        batch_op.create_index(batch_op.f("ix_directory_login_failures_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("directory_login_failures", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_directory_login_failures_at"))
        batch_op.drop_index(batch_op.f("ix_directory_login_failures_address"))
        batch_op.drop_index(batch_op.f("ix_directory_login_failures_account"))

    op.drop_table("directory_login_failures")
