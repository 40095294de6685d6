"""Knowledge base: a persistent full-text index of the articles, shared by every cloud process.

SQLite: a contentless FTS5 table ``kb_article_fts`` (the words only, no second copy of the text) keyed by
``kb_article``'s rowid, kept in step by triggers on every insert, update and delete of an article, so no
writer can forget it. PostgreSQL: a generated ``tsvector`` column ``kb_article.search_vector`` (title A,
description B, headings/id/services C, body D) with a GIN index, kept in step by the database itself.
Both are filled here from the articles already stored.

SQLite also gets ``kb_article_fts_terms`` (each indexed term's document count, read through the
``kb_article_fts_vocab`` view of the index): a search looks up its words there to leave out the most
common ones, whose long posting lists FTS5 would otherwise score row by row. The importer refreshes it
after each import; between imports it is only slightly stale, which changes which words are skipped, never
what is visible.

A later revision that rebuilds ``kb_article`` on SQLite (a batch ALTER copies the table: new rowids, no
triggers) must call ``rebuild_sqlite`` below again.

Revision ID: 0004_kb_search_index
Revises: 0003_cloud_login_failures
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004_kb_search_index"
down_revision: str | None = "0003_cloud_login_failures"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# What each FTS5 column holds, as SQL over a kb_article row (``{row}`` is ``new`` or ``old`` in a trigger).
# The keywords column gives the id's words ("Exchange/mailflow/ndr-5-7-1") and the services' JSON text:
# the unicode61 tokenizer splits both on their punctuation.
_COLUMNS = "title, description, headings, body, keywords"
_VALUES = "{row}.title, {row}.description, {row}.headings, {row}.body_text, {row}.id || ' ' || coalesce({row}.services, '')"
_WATCHED = "title, description, headings, body_text, id, services"

_PG_VECTOR = (
    "setweight(to_tsvector('english'::regconfig, coalesce(title, '')), 'A')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(description, '')), 'B')"
    " || setweight(to_tsvector('english'::regconfig, coalesce(headings, '') || ' ' || translate(id, '/_-', '   ')"
    " || ' ' || coalesce(services::text, '')), 'C')"
    # A tsvector holds at most 1 MB: the body's first 200,000 characters are indexed.
    " || setweight(to_tsvector('english'::regconfig, left(coalesce(body_text, ''), 200000)), 'D')"
)


def _drop_sqlite() -> None:
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS kb_article_fts_{name}")
    for table in ("kb_article_fts_terms", "kb_article_fts_vocab", "kb_article_fts"):
        op.execute(f"DROP TABLE IF EXISTS {table}")


def rebuild_sqlite() -> None:
    """(Re)create the FTS5 table, its triggers and term counts, filled from the stored articles."""
    _drop_sqlite()
    op.execute(
        f"CREATE VIRTUAL TABLE kb_article_fts USING fts5({_COLUMNS}, content='', tokenize='porter unicode61')"
    )
    # Every statement here is built from this module's constants: nothing comes from outside.
    new, old = _VALUES.format(row="new"), _VALUES.format(row="old")
    add = f"INSERT INTO kb_article_fts(rowid, {_COLUMNS}) VALUES (new.rowid, {new});"  # noqa: S608
    # A contentless table forgets a row when given exactly the values it was indexed with.
    remove = (
        f"INSERT INTO kb_article_fts(kb_article_fts, rowid, {_COLUMNS}) VALUES ('delete', old.rowid, {old});"  # noqa: S608
    )
    op.execute(f"CREATE TRIGGER kb_article_fts_insert AFTER INSERT ON kb_article BEGIN {add} END")
    op.execute(f"CREATE TRIGGER kb_article_fts_delete AFTER DELETE ON kb_article BEGIN {remove} END")
    op.execute(
        f"CREATE TRIGGER kb_article_fts_update AFTER UPDATE OF {_WATCHED} ON kb_article "
        f"BEGIN {remove} {add} END"
    )
    backfill = (
        f"INSERT INTO kb_article_fts(rowid, {_COLUMNS}) SELECT rowid, {_VALUES.format(row='kb_article')}"
    )
    op.execute(backfill + " FROM kb_article")
    op.execute("CREATE VIRTUAL TABLE kb_article_fts_vocab USING fts5vocab(kb_article_fts, 'row')")
    op.execute(
        "CREATE TABLE kb_article_fts_terms (term TEXT PRIMARY KEY, docs INTEGER NOT NULL) WITHOUT ROWID"
    )
    op.execute("INSERT INTO kb_article_fts_terms (term, docs) SELECT term, doc FROM kb_article_fts_vocab")
    # Term '' (never a token) holds how many articles the counts were taken over.
    op.execute("INSERT INTO kb_article_fts_terms (term, docs) SELECT '', count(*) FROM kb_article")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        rebuild_sqlite()
    else:
        op.execute(
            f"ALTER TABLE kb_article ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ({_PG_VECTOR}) STORED"
        )
        op.execute("CREATE INDEX ix_kb_article_search_vector ON kb_article USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _drop_sqlite()
    else:
        op.execute("DROP INDEX IF EXISTS ix_kb_article_search_vector")
        op.execute("ALTER TABLE kb_article DROP COLUMN IF EXISTS search_vector")
