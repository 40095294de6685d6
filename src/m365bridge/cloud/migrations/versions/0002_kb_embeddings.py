"""Knowledge base: stored article vectors for the semantic search (kb_embedding, kb_article.embedding_digest).

Articles imported before this revision get their vectors on the next `knowledge import` (any folder),
which encodes every article that has none.

Revision ID: 0002_kb_embeddings
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002_kb_embeddings"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "kb_embedding",
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name=op.f("pk_kb_embedding")),
    )
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.add_column(sa.Column("embedding_digest", sa.String(length=64), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_kb_article_embedding_digest"), ["embedding_digest"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("kb_article", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_kb_article_embedding_digest"))
        batch_op.drop_column("embedding_digest")

    op.drop_table("kb_embedding")
