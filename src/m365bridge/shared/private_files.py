"""Folders and files only their owner may read: data folders (databases, keys, the local CA) and files
holding secrets (``secret.key``, private keys, the demo's ``demo.json``).

Modes are set explicitly after creation (``chmod``), so the result does not depend on the process's umask,
and a file that already existed with a wider mode is narrowed when it is written again.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def private_dir(path: Path) -> Path:
    """Create ``path`` and any missing parents as 0700; an existing ``path`` of ours is narrowed to 0700.

    Parents that already existed (``/tmp``, a home folder) are left as they are.
    """
    created = [folder for folder in (path, *path.parents) if not folder.exists()]
    path.mkdir(parents=True, exist_ok=True)
    for folder in created:
        os.chmod(folder, PRIVATE_DIR_MODE)
    if path not in created and path.stat().st_uid == os.getuid():
        os.chmod(path, PRIVATE_DIR_MODE)
    return path


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` with mode 0600 (narrowing an existing file's mode first)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, PRIVATE_FILE_MODE)
    with os.fdopen(fd, "wb") as handle:
        os.fchmod(handle.fileno(), PRIVATE_FILE_MODE)
        handle.write(data)
