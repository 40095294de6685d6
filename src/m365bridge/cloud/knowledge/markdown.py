"""Docs-flavoured markdown (front matter, ``:::image`` blocks, ``[!INCLUDE]`` lines) to article parts.

The importer keeps an article's markdown for display and derives from it the plain text the search index
reads: headings apart (they are strong evidence of what an article is about), the body without markup.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import yaml

from m365bridge.shared.errors import UserError

_FRONT_MATTER = re.compile(r"\A\ufeff?---[ \t]*\r?\n(.*?)\r?\n---[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_INCLUDE = re.compile(r"^([ \t>]*)\[!INCLUDE\s*\[[^\]]*\]\(([^)]+)\)\]\s*$", re.MULTILINE | re.IGNORECASE)
# ``:::image ... :::`` may stand alone, span lines (``:::image-end:::``), or sit inside a link.
_IMAGE_BLOCK = re.compile(r":::image\b.*?(?::::image-end:::|:::)", re.DOTALL)
_EMPTY_LINK = re.compile(r"\[\s*\]\([^)]*\)")
_LINK = re.compile(r"(!?)\[([^\]]*)\]\(([^)\s]+)([^)]*)\)")
_HEADING = re.compile(r"^[ \t]{0,3}#{1,6}[ \t]+(.+?)\s*#*\s*$", re.MULTILINE)
_CODE_FENCE = re.compile(r"^\s*(```|~~~).*$", re.MULTILINE)
_HTML_TAG = re.compile(r"<[^>\n]+>")
_EMPHASIS = re.compile(r"(\*\*|__|\*|`)")
_TABLE_RULE = re.compile(r"^\s*\|?\s*:?-{3,}.*$", re.MULTILINE)
_ALERT = re.compile(r"^\s*>\s*\[!(NOTE|TIP|IMPORTANT|CAUTION|WARNING)\]\s*$", re.MULTILINE | re.IGNORECASE)
_LINE_PREFIX = re.compile(r"^[ \t]*(?:>[ \t]*)*(?:[-*+][ \t]+|\d+\.[ \t]+)?", re.MULTILINE)


@dataclass
class ParsedArticle:
    title: str
    description: str
    markdown: str
    text: str
    headings: list[str]
    services: list[str] = field(default_factory=list)


def split_front_matter(source: str) -> tuple[dict[str, Any], str]:
    """The YAML front matter (empty when there is none) and the markdown after it."""
    match = _FRONT_MATTER.match(source)
    if not match:
        return {}, source
    try:
        meta = yaml.safe_load(match.group(1)) or {}
    except yaml.YAMLError as exc:
        raise UserError(f"front matter is not valid YAML ({exc.__class__.__name__}); fix it") from exc
    if not isinstance(meta, dict):
        raise UserError("front matter is not a mapping of keys to values; fix it")
    return meta, source[match.end() :]


def expand_includes(markdown: str, read_include: Callable[[str], str | None]) -> str:
    """Replace ``[!INCLUDE [..](path)]`` lines by the included text (front matter dropped), or drop them."""

    def replace(match: re.Match[str]) -> str:
        included = read_include(match.group(2).strip())
        if included is None:
            return ""
        _meta, body = split_front_matter(included)
        prefix = match.group(1)
        return "\n".join(prefix + line for line in body.strip().splitlines())

    return _INCLUDE.sub(replace, markdown)


def rewrite_links(markdown: str, resolve: Callable[[str], str | None]) -> str:
    """Make relative links absolute with ``resolve``; images and links it cannot resolve keep only text."""

    def replace(match: re.Match[str]) -> str:
        bang, label, target = match.group(1), match.group(2), match.group(3)
        if bang:
            return ""
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            return match.group(0)
        absolute = resolve(target)
        return f"[{label}]({absolute})" if absolute else label

    return _LINK.sub(replace, markdown)


def clean_markdown(markdown: str) -> str:
    """Markdown for display: image blocks and empty links gone, blank-line runs collapsed."""
    markdown = _IMAGE_BLOCK.sub("", markdown)
    markdown = _EMPTY_LINK.sub("", markdown)
    return re.sub(r"\n{3,}", "\n\n", markdown).strip() + "\n"


def to_text(markdown: str) -> str:
    """Plain text for indexing and passages: paragraphs kept apart by blank lines, markup removed."""
    text = _ALERT.sub("", markdown)
    text = _CODE_FENCE.sub("", text)
    text = _TABLE_RULE.sub("", text)
    text = _LINK.sub(lambda m: m.group(2), text)
    text = _HTML_TAG.sub(" ", text)
    text = _HEADING.sub(lambda m: m.group(1) + ".", text)
    text = _LINE_PREFIX.sub("", text)
    text = _EMPHASIS.sub("", text).replace("|", " ").replace("&nbsp;", " ")
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def services_of(meta: Mapping[str, Any]) -> list[str]:
    """Product names from ``ms.service``, ``appliesto`` and the non-tag entries of ``ms.custom``."""
    found: list[str] = []
    for key in ("ms.service", "appliesto", "ms.custom"):
        values = meta.get(key) or []
        if not isinstance(values, list):  # YAML may give a number, a date or a mapping: only text counts
            values = [values]
        for value in values:
            if not isinstance(value, str):
                continue
            value = value.strip()
            # ms.custom mixes products with tags such as "sap:..." or "CSSTroubleshoot".
            if not value or ":" in value or value.startswith("CSS") or value in found:
                continue
            found.append(value)
    return found


def parse_article(
    source: str,
    *,
    read_include: Callable[[str], str | None],
    resolve_link: Callable[[str], str | None],
) -> ParsedArticle:
    """Parse one article; raises ``UserError`` saying what is wrong with it."""
    meta, markdown = split_front_matter(source)
    markdown = clean_markdown(rewrite_links(expand_includes(markdown, read_include), resolve_link))
    headings = [h.strip() for h in _HEADING.findall(markdown)]
    title = str(meta.get("title") or "").strip()
    if not title:
        title = headings[0] if headings else ""
    if not title:
        raise UserError("article has neither a front-matter title nor a heading; add a title")
    return ParsedArticle(
        title=title,
        description=str(meta.get("description") or "").strip(),
        markdown=markdown,
        text=to_text(markdown),
        headings=headings,
        services=services_of(meta),
    )


def relative_target(article_id: str, target: str) -> str:
    """The posix path a relative link in article ``article_id`` points at (``..`` resolved)."""
    path = target.split("#", 1)[0].split("?", 1)[0]
    return posixpath.normpath(posixpath.join(posixpath.dirname(article_id), path))
