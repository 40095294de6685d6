"""Import a folder of markdown articles into the knowledge base, idempotently and in batches.

An article's id is its path below the import root, posix separators, without ``.md`` (with an optional
prefix), e.g. ``Exchange/ExchangeOnline/mailflow/some-article``: stable across re-imports and machines.
A file whose content hash is unchanged is not rewritten; a file that cannot be parsed is reported with its
reason and skipped, the rest of the batch goes on.

Each written article is encoded for the semantic search here, in the import, and its vector stored under
the digest of the encoded text (``semantic.digest``): a text already encoded (another copy of the same
article, or an article whose title and description did not change) is not encoded again, and nothing is
encoded when a server starts. The digest is part of the content hash, so a new model re-encodes everything.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from m365bridge.cloud.knowledge import markdown, semantic
from m365bridge.cloud.knowledge.repository import ArticleRepository
from m365bridge.shared.errors import UserError
from m365bridge.shared.orm import utcnow

INCLUDES_FOLDER = "includes"
BATCH_SIZE = 500
STARTER_FOLDER = Path(__file__).parent / "starter"
STARTER_PREFIX = "starter/"

LEARN_SITE = "https://learn.microsoft.com"
OFFICEDOCS_ARTICLES = f"{LEARN_SITE}/troubleshoot/"
OFFICEDOCS_ATTRIBUTION = (
    "Microsoft, from MicrosoftDocs/OfficeDocs-Support, licensed CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/)"
)


@dataclass(frozen=True)
class ImportOptions:
    """Where an imported folder's articles came from and who may read them."""

    prefix: str = ""
    public: bool = True
    tenant_id: str | None = None
    # Published URL of an article is ``articles_url + id.lower()``; None: link to the cloud's own copy.
    articles_url: str | None = OFFICEDOCS_ARTICLES
    site_url: str | None = LEARN_SITE  # site-root links such as "/exchange/..." are made absolute with it
    attribution: str | None = OFFICEDOCS_ATTRIBUTION


STARTER_OPTIONS = ImportOptions(prefix=STARTER_PREFIX, articles_url=None, site_url=None, attribution=None)


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated)


def article_files(root: Path) -> list[Path]:
    """The markdown articles below ``root``, in a stable order; include snippets are not articles."""
    if not root.is_dir():
        raise UserError(f"{root} is not a folder; give the folder that holds the markdown articles")
    return sorted(
        path
        for path in root.rglob("*.md")
        if INCLUDES_FOLDER not in path.relative_to(root).parts[:-1] and path.is_file()
    )


class FolderImporter:
    def __init__(self, session: Session, root: Path, options: ImportOptions) -> None:
        self.repository = ArticleRepository(session)
        self.root = root.resolve()
        self.options = options
        self._include_cache: dict[Path, str | None] = {}

    def run(self, files: list[Path], advance: Callable[[], None] | None = None) -> ImportReport:
        report = ImportReport()
        known = self.repository.hashes()
        inserts: list[dict[str, Any]] = []
        updates: list[dict[str, Any]] = []
        for path in files:
            relative = path.resolve().relative_to(self.root).as_posix()
            try:
                row = self.row_for(path, relative)
            except (UserError, UnicodeDecodeError, OSError) as exc:
                report.failed.append((relative, str(exc)))
            else:
                previous = known.get(row["id"])
                if previous == row["content_hash"]:
                    report.unchanged += 1
                elif previous is None:
                    inserts.append(row)
                    report.created += 1
                else:
                    del row["created_at"]
                    updates.append(row)
                    report.updated += 1
            if advance:
                advance()
            self._flush(inserts, updates, at_least=BATCH_SIZE)
        self._flush(inserts, updates, at_least=1)
        self._encode_unencoded()
        if report.updated:
            self.repository.delete_unused_vectors()
        return report

    def _flush(self, inserts: list[dict[str, Any]], updates: list[dict[str, Any]], *, at_least: int) -> None:
        if len(inserts) >= at_least:
            self._store_vectors(inserts)
            self.repository.insert_many(inserts)
            inserts.clear()
        if len(updates) >= at_least:
            self._store_vectors(updates)
            self.repository.update_many(updates)
            updates.clear()

    def _store_vectors(self, rows: list[dict[str, Any]]) -> None:
        """Encode the texts of ``rows`` that have no stored vector yet, and store them."""
        texts = {row["embedding_digest"]: row.pop("embedding_text") for row in rows}
        stored = self.repository.stored_digests(texts)
        missing = [key for key in texts if key not in stored]
        vectors = semantic.encode([texts[key] for key in missing])
        self.repository.insert_vectors(
            {key: semantic.to_blob(vector) for key, vector in zip(missing, vectors, strict=True)}
        )

    def _encode_unencoded(self) -> None:
        """Give a vector to every article that has none: those imported before the search had vectors."""
        rows = self.repository.without_digest()
        for start in range(0, len(rows), BATCH_SIZE):
            batch = [
                {"id": row.id, "embedding_text": text, "embedding_digest": semantic.digest(text)}
                for row in rows[start : start + BATCH_SIZE]
                for text in [semantic.article_text(row.title, row.description)]
            ]
            self._store_vectors(batch)
            self.repository.set_digests({row["id"]: row["embedding_digest"] for row in batch})

    def row_for(self, path: Path, relative: str) -> dict[str, Any]:
        article_id = self.options.prefix + relative.removesuffix(".md")
        parsed = markdown.parse_article(
            path.read_text(encoding="utf-8"),
            read_include=lambda target: self._read_include(path, target),
            resolve_link=lambda target: self._resolve_link(relative, target),
        )
        content = {
            "id": article_id,
            "tenant_id": self.options.tenant_id,
            "public": self.options.public,
            "title": parsed.title[:500],
            "description": parsed.description,
            "body": parsed.markdown,
            "body_text": parsed.text,
            "headings": "\n".join(parsed.headings),
            "services": parsed.services,
            "source_url": self._published_url(article_id.removeprefix(self.options.prefix)),
            "attribution": self.options.attribution,
        }
        embedding_text = semantic.article_text(parsed.title[:500], parsed.description)
        content["embedding_digest"] = semantic.digest(embedding_text)
        digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()
        now = utcnow()
        return {
            **content,
            "embedding_text": embedding_text,
            "content_hash": digest,
            "created_at": now,
            "updated_at": now,
        }

    def _published_url(self, relative_id: str) -> str | None:
        return self.options.articles_url + relative_id.lower() if self.options.articles_url else None

    def _read_include(self, article: Path, target: str) -> str | None:
        """The included file's text when it lies inside the import root, else None (the line is dropped)."""
        included = (article.parent / target.split("#", 1)[0]).resolve()
        if included not in self._include_cache:
            inside = included.is_relative_to(self.root) and included.is_file()
            self._include_cache[included] = included.read_text(encoding="utf-8") if inside else None
        return self._include_cache[included]

    def _resolve_link(self, relative: str, target: str) -> str | None:
        if target.startswith("/"):
            return self.options.site_url + target if self.options.site_url else None
        resolved = markdown.relative_target(relative, target)
        if not resolved.endswith(".md") or resolved.startswith("../"):
            return None  # media and files outside the corpus have no public address we know
        anchor = "#" + target.split("#", 1)[1] if "#" in target else ""
        article_id = resolved.removesuffix(".md")
        published = self._published_url(article_id)
        return (published or f"/support/v1/articles/{self.options.prefix}{article_id}") + anchor


def import_folder(
    session: Session,
    root: Path,
    options: ImportOptions,
    *,
    on_start: Callable[[int], None] | None = None,
    advance: Callable[[], None] | None = None,
) -> ImportReport:
    """Import every article below ``root``; ``on_start`` learns the file count, ``advance`` each file."""
    files = article_files(root)
    if on_start:
        on_start(len(files))
    return FolderImporter(session, root, options).run(files, advance)


def iter_report_lines(report: ImportReport) -> Iterator[str]:
    yield f"created {report.created}, updated {report.updated}, unchanged {report.unchanged}"
    if report.failed:
        yield f"skipped {len(report.failed)} file(s):"
        for name, reason in report.failed:
            yield f"  {name}: {reason}"
