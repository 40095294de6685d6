"""oauth authorization code and servicenow signin

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import m365bridge.shared.orm

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Authorization-code grant on the built-in service desk, and agents signing in with their ServiceNow account.
    op.create_table(
        "servicenow_signin_client",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("client_id", sa.String(length=200), nullable=False),
        sa.Column("client_secret", sa.Text(), nullable=False),
        sa.Column("updated_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicenow_signin_client")),
    )
    op.create_table(
        "oauth_auth_code",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("client_id", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("redirect_uri", sa.String(length=1000), nullable=False),
        sa.Column("code_challenge", sa.String(length=128), nullable=True),
        sa.Column("created_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("expires_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("used_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=True),
        sa.Column("family_id", sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(
            ["client_id"],
            ["oauth_client.id"],
            name=op.f("fk_oauth_auth_code_client_id_oauth_client"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["sys_user.id"], name=op.f("fk_oauth_auth_code_user_id_sys_user"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_oauth_auth_code")),
        sa.UniqueConstraint("code_digest", name=op.f("uq_oauth_auth_code_code_digest")),
    )
    op.create_table(
        "servicenow_account",
        sa.Column("id", sa.String(length=32), nullable=False),
        sa.Column("instance_url", sa.String(length=500), nullable=False),
        sa.Column("instance_user_sys_id", sa.String(length=64), nullable=False),
        sa.Column("instance_user_name", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("created_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.Column("signed_in_at", m365bridge.shared.orm.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["sys_user.id"],
            name=op.f("fk_servicenow_account_user_id_sys_user"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_servicenow_account")),
        sa.UniqueConstraint(
            "instance_url", "instance_user_sys_id", name=op.f("uq_servicenow_account_instance_url")
        ),
        sa.UniqueConstraint("user_id", name=op.f("uq_servicenow_account_user_id")),
    )
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("redirect_url", sa.String(length=1000), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("run_as_user_id", sa.String(length=32), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_oauth_client_run_as_user_id_sys_user"),
            "sys_user",
            ["run_as_user_id"],
            ["id"],
            ondelete="SET NULL",
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    # Authorization-code grant on the built-in service desk, and agents signing in with their ServiceNow account.
    with op.batch_alter_table("oauth_client", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_oauth_client_run_as_user_id_sys_user"), type_="foreignkey")
        batch_op.drop_column("run_as_user_id")
        batch_op.drop_column("redirect_url")

    op.drop_table("servicenow_account")
    op.drop_table("oauth_auth_code")
    op.drop_table("servicenow_signin_client")
    # ### end Alembic commands ###
