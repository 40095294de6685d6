"""Sentence embeddings for the semantic half of the recommended-solutions search.

The model is WordLlama's ``l2_supercat`` at 256 dimensions: static token embeddings pooled into one
vector, shipped inside the ``wordllama`` wheel and run with numpy only (no deep-learning framework, no
GPU). It is always loaded from the installed package with downloads disabled, so a cloud without internet
access behaves exactly like one with it. docs/performance.md compares it with MiniLM on ONNX Runtime.

Articles are encoded when they are imported and their vectors stored beside them (``kb_embedding``,
keyed by the digest of the model and the encoded text, so identical texts share one vector); a search only
encodes its query (about a millisecond).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np

from m365bridge.shared.errors import UserError

MODEL_NAME = "wordllama/l2_supercat/256"
DIMENSIONS = 256
# What of an article is encoded: title and description say what the article is about; the body's many
# procedures blur a pooled vector (measured on the tuning fold, docs/performance.md).
DESCRIPTION_CHARS = 1000
_LOAD_LOCK = threading.Lock()


class ModelMissing(UserError):
    status_code = 500


def article_text(title: str, description: str) -> str:
    return f"{title}. {description[:DESCRIPTION_CHARS]}".strip()


def digest(text: str) -> str:
    """The key of a stored vector: the model and the text it encodes."""
    return hashlib.sha256(f"{MODEL_NAME}\n{text}".encode()).hexdigest()


@cache
def _model() -> Any:
    with _LOAD_LOCK:
        try:
            import wordllama
            from wordllama import WordLlama
        except ImportError as exc:  # the wheel is a hard dependency; this only shows a broken install
            raise ModelMissing("the 'wordllama' package is not installed; reinstall m365bridge") from exc
        # The package's own folder holds the weights and tokenizer; never fall back to a hub download.
        return WordLlama.load(
            config="l2_supercat",
            dim=DIMENSIONS,
            cache_dir=Path(wordllama.__file__).parent,
            disable_download=True,
        )


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit-length float32 vectors, one row per text."""
    if not texts:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    vectors = np.asarray(_model().embed(list(texts), norm=True), dtype=np.float32)
    return vectors.reshape(len(texts), DIMENSIONS)


def to_blob(vector: np.ndarray) -> bytes:
    """Stored as float16: half the bytes, and no measurable change in ranking."""
    return np.asarray(vector, dtype=np.float16).tobytes()


def from_blobs(blobs: Sequence[bytes]) -> np.ndarray:
    """The stored vectors as one float32 matrix (row order kept)."""
    if not blobs:
        return np.zeros((0, DIMENSIONS), dtype=np.float32)
    return np.frombuffer(b"".join(blobs), dtype=np.float16).reshape(len(blobs), DIMENSIONS).astype(np.float32)
