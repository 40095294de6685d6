"""The words of an incident or a service health issue, as the matcher compares them.

Agents type short, hurried text: "owa wont send", "outlok crash on shared cal", "SPO 503". Both sides of a
comparison go through ``terms``, so an abbreviation and the name Microsoft's post uses end up as the same
term, and both are stemmed the same way. The vocabulary here is deliberately small: Microsoft 365 product
names, their common abbreviations and a few IT shorthands, not phrasings of particular issues (the
labelled set in ``bench/health_match_set.jsonl`` is there to catch a list that only fits its own examples).

This is the connector's own text processing: the knowledge search (``shared/ranking.py``) tunes its
vocabulary for articles, which are long and written by Microsoft; issue matching compares two short texts.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Words that say nothing about which service or symptom an incident is about. Negations are here too:
# "can't send" and "send fails" describe the same problem.
STOPWORDS = frozenset(
    [
        "a",
        "about",
        "after",
        "again",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "been",
        "being",
        "but",
        "by",
        "can",
        "cannot",
        "cant",
        "could",
        "did",
        "do",
        "does",
        "doesnt",
        "dont",
        "for",
        "from",
        "get",
        "gets",
        "getting",
        "got",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "his",
        "i",
        "if",
        "in",
        "into",
        "is",
        "isnt",
        "it",
        "its",
        "just",
        "keeps",
        "keep",
        "me",
        "microsoft",
        "ms",
        "my",
        "no",
        "not",
        "now",
        "of",
        "on",
        "or",
        "our",
        "please",
        "pls",
        "some",
        "still",
        "that",
        "the",
        "their",
        "them",
        "there",
        "they",
        "this",
        "to",
        "too",
        "unable",
        "user",
        "users",
        "via",
        "was",
        "wasnt",
        "we",
        "were",
        "what",
        "when",
        "where",
        "which",
        "who",
        "will",
        "with",
        "wont",
        "would",
        "you",
        "your",
        "may",
        "might",
        "see",
        "experience",
        "experiencing",
        "issue",
        "issues",
        "problem",
        "problems",
        "anymore",
        "since",
        "today",
        "morning",
        "yesterday",
        "several",
        "multiple",
        "many",
        "few",
        "others",
        "other",
        "someone",
        "everyone",
        "working",
        "work",
        "works",
        "fine",
        "ok",
        "help",
        "urgent",
        "asap",
    ]
)

# Multi-word names folded into one term before the words are split (the longest forms first).
PHRASES = (
    (re.compile(r"\boutlook (?:on the web|web access|web app|online)\b"), "outlook web"),
    (re.compile(r"\b(?:microsoft|office) ?365\b"), "m365"),
    (re.compile(r"\bone ?drive\b"), "onedrive"),
    (re.compile(r"\bshare ?point\b"), "sharepoint"),
    (re.compile(r"\bazure (?:ad|active directory)\b"), "entra"),
    (re.compile(r"\b(?:sign|log)[ -]?(?:in|on)\b"), "signin"),
    (re.compile(r"\be-mails?\b"), "mail"),
)

# Single words (after lowercasing, before stemming) that stand for other words.
ALIASES = {
    "owa": "outlook web",
    "webmail": "outlook web mail",
    "o365": "m365",
    "m365": "m365",
    "office365": "m365",
    "exo": "exchange",
    "spo": "sharepoint",
    "sp": "sharepoint",
    "od": "onedrive",
    "odb": "onedrive",
    "odfb": "onedrive",
    "msteams": "teams",
    "aad": "entra",
    "login": "signin",
    "logon": "signin",
    "signon": "signin",
    "sso": "signin",
    "mfa": "signin",
    "email": "mail",
    "emails": "mail",
    "mails": "mail",
    "msg": "message",
    "msgs": "message",
    "creds": "credentials",
    "password": "credentials",
    "pwd": "credentials",
    "cal": "calendar",
    "rec": "recording",
    "doc": "document",
    "docs": "document",
    "incoming": "inbound",
    "outside": "external",
    "late": "delay",
    "slow": "delay",
}

_WORD = re.compile(r"[^\W_]+(?:['\u2019][^\W_]+)?")
_stemmer = snowballstemmer.stemmer("english")


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    return str(_stemmer.stemWord(word))


def words(text: str) -> list[str]:
    """Lowercased words with phrases folded, aliases spelled out and apostrophes dropped ("can't" is
    "cant"); stopwords are still there."""
    text = unicodedata.normalize("NFKC", text).lower().replace("\u2019", "'")
    for pattern, replacement in PHRASES:
        text = pattern.sub(replacement, text)
    found: list[str] = []
    for raw in _WORD.findall(text):
        word = raw.replace("'", "")
        found.extend(ALIASES.get(word, word).split())
    return found


def terms(text: str) -> list[str]:
    """The stemmed words of ``text`` that can tell one issue from another, in order, repeats kept."""
    return [stem(word) for word in words(text) if word not in STOPWORDS]
