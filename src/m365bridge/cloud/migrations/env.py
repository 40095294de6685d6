from typing import Any

from alembic import context

from m365bridge.cloud.knowledge.models import SEARCH_INDEX_TABLES
from m365bridge.cloud.models import Base
from m365bridge.shared.migrations_env import run_migrations

# The knowledge base's full-text index is made by hand in 0004_kb_search_index (an FTS5 table and its
# shadow tables on SQLite, a generated tsvector column and its GIN index on PostgreSQL): not in the models.
_SEARCH_INDEX = (SEARCH_INDEX_TABLES, "search_vector", "ix_kb_article_search_vector")


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    return not (reflected and name is not None and name.startswith(_SEARCH_INDEX))


run_migrations(context, Base.metadata, include_object)
