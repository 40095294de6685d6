"""Article vectors: encoded at import, stored with the article, replaced when it changes, then only read."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
from sqlalchemy import func, select, text

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.knowledge import semantic
from m365bridge.cloud.knowledge.importer import ImportOptions, import_folder
from m365bridge.cloud.knowledge.models import Article, Embedding
from m365bridge.cloud.knowledge.service import recommend
from m365bridge.shared.db import transaction

OPTIONS = ImportOptions(prefix="kb/", articles_url=None, site_url=None, attribution=None)


def write(root: Path, name: str, title: str, description: str, body: str = "Some steps.") -> None:
    root.mkdir(parents=True, exist_ok=True)
    (root / f"{name}.md").write_text(f"---\ntitle: {title}\ndescription: {description}\n---\n{body}\n")


def stored(context: CloudContext) -> dict[str, np.ndarray]:
    """Every article's stored vector by article id (articles without one are left out)."""
    with transaction(context.sessions) as session:
        rows = session.execute(
            select(Article.id, Embedding.vector).join(Embedding, Embedding.digest == Article.embedding_digest)
        ).all()
    return {article_id: semantic.from_blobs([vector])[0] for article_id, vector in rows}


def vector_count(context: CloudContext) -> int:
    with transaction(context.sessions) as session:
        return int(session.scalar(select(func.count()).select_from(Embedding)) or 0)


def import_(context: CloudContext, root: Path) -> None:
    with transaction(context.sessions, write=True) as session:
        import_folder(session, root, OPTIONS)


def test_import_stores_the_encoding_of_title_and_description(cloud_context, tmp_path):
    write(tmp_path, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.")
    write(tmp_path, "mfa", "Set up MFA on a new phone", "Move the authenticator app.")
    import_(cloud_context, tmp_path)
    vectors = stored(cloud_context)
    assert set(vectors) == {"kb/outbox", "kb/mfa"}
    outbox = semantic.article_text("Mail is stuck in the Outbox", "Messages are not sent.")
    expected = semantic.encode([outbox])[0]
    # float16 storage: equal to the fresh encoding within its precision, and unit length.
    assert np.allclose(vectors["kb/outbox"], expected, atol=2e-3)
    assert abs(float(np.linalg.norm(vectors["kb/mfa"])) - 1.0) < 1e-2


def test_same_text_is_encoded_once_and_shared(cloud_context, tmp_path):
    write(tmp_path / "a", "one", "Outlook crashes on start", "Safe mode helps.")
    write(tmp_path / "a", "two", "Outlook crashes on start", "Safe mode helps.", body="Other body.")
    import_(cloud_context, tmp_path / "a")
    assert vector_count(cloud_context) == 1
    assert len(stored(cloud_context)) == 2


def test_changed_article_gets_a_new_vector_and_the_old_one_goes(cloud_context, tmp_path):
    write(tmp_path, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.")
    write(tmp_path, "mfa", "Set up MFA on a new phone", "Move the authenticator app.")
    import_(cloud_context, tmp_path)
    before = stored(cloud_context)
    write(tmp_path, "outbox", "Teams meeting has no audio", "Check the speaker device.")
    import_(cloud_context, tmp_path)
    after = stored(cloud_context)
    expected = semantic.encode(["Teams meeting has no audio. Check the speaker device."])
    assert np.allclose(after["kb/outbox"], expected[0], atol=2e-3)
    assert not np.allclose(after["kb/outbox"], before["kb/outbox"], atol=2e-3)
    assert np.array_equal(after["kb/mfa"], before["kb/mfa"])
    assert vector_count(cloud_context) == 2  # the outdated vector was removed


def test_a_body_only_change_keeps_the_vector(cloud_context, tmp_path):
    write(tmp_path, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.", body="Restart.")
    import_(cloud_context, tmp_path)
    with transaction(cloud_context.sessions) as session:
        digest_before = session.scalar(select(Article.embedding_digest))
    write(tmp_path, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.", body="Check the size.")
    import_(cloud_context, tmp_path)
    with transaction(cloud_context.sessions) as session:
        assert session.scalar(select(Article.embedding_digest)) == digest_before
    assert vector_count(cloud_context) == 1


def test_articles_without_a_vector_get_one_at_the_next_import(cloud_context, tmp_path):
    write(tmp_path / "old", "outbox", "Mail is stuck in the Outbox", "Messages are not sent.")
    import_(cloud_context, tmp_path / "old")
    with transaction(cloud_context.sessions, write=True) as session:
        # As an article imported before vectors existed looks after the migration.
        session.execute(text("UPDATE kb_article SET embedding_digest = NULL"))
        session.execute(text("DELETE FROM kb_embedding"))
    assert stored(cloud_context) == {}
    write(tmp_path / "new", "mfa", "Set up MFA on a new phone", "Move the authenticator app.")
    import_(cloud_context, tmp_path / "new")
    assert set(stored(cloud_context)) == {"kb/outbox", "kb/mfa"}


def test_the_search_reads_stored_vectors_and_never_encodes_articles(cloud_context, cloud_settings, tmp_path):
    # Two articles the words of the query match equally: the stored vectors decide between them.
    write(tmp_path, "one", "Mail problem one", "Messages are late.")
    write(tmp_path, "two", "Mail problem two", "Messages are late.")
    import_(cloud_context, tmp_path)
    # Overwrite the stored vectors with ones no encoding of the articles would give: what a fresh process
    # (another server starting) searches with must be exactly what is stored.
    query = "mail problem"
    planted = {"kb/one": semantic.encode(["zebra printer jams"])[0], "kb/two": semantic.encode([query])[0]}
    with transaction(cloud_context.sessions, write=True) as session:
        for article_id, vector in planted.items():
            session.execute(
                text(
                    "UPDATE kb_embedding SET vector = :v WHERE digest = "
                    "(SELECT embedding_digest FROM kb_article WHERE id = :id)"
                ),
                {"v": semantic.to_blob(vector), "id": article_id},
            )
    fresh = CloudContext.build(cloud_settings)
    try:
        with transaction(fresh.sessions) as session:
            hits = recommend(fresh, session, query)
    finally:
        fresh.close()
    assert [hit.id for hit in hits] == ["kb/two", "kb/one"]
    # The best lexical score (weight 0.7) plus a cosine of 1 with the planted query vector (0.3).
    assert abs(hits[0].score - 1.0) < 5e-3


def test_unrelated_text_finds_nothing_rather_than_the_nearest_article(cloud_context, tmp_path):
    write(tmp_path, "outbox", "Mail is stuck in the Outbox", "Messages are not sent.")
    write(tmp_path, "mfa", "Set up MFA on a new phone", "Move the authenticator app.")
    import_(cloud_context, tmp_path)
    with transaction(cloud_context.sessions) as session:
        assert recommend(cloud_context, session, "zebra printer jams") == []
        assert [hit.id for hit in recommend(cloud_context, session, "outbox")][:1] == ["kb/outbox"]


def test_the_model_loads_and_encodes_with_the_network_closed(tmp_path):
    """The model comes from the installed wheel: no hub, no cache folder, no socket."""
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs):\n"
        "    raise OSError('network is closed in this test')\n"
        "socket.socket.connect = refuse\n"
        "socket.create_connection = refuse\n"
        "from m365bridge.cloud.knowledge import semantic\n"
        "vectors = semantic.encode(['mail is stuck in the outbox'])\n"
        "assert vectors.shape == (1, semantic.DIMENSIONS), vectors.shape\n"
        "print('ok')\n"
    )
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("HF_", "HUGGINGFACE", "XDG_CACHE"))
    }
    env.update(HOME=str(tmp_path), XDG_CACHE_HOME=str(tmp_path / "cache"))
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "ok"
    assert not (tmp_path / "cache").exists()
