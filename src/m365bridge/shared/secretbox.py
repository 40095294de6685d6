"""Secrets at rest: MultiFernet over one or more keys, the first of which encrypts.

Keys come from settings or from a key file created with mode 0600. Rotation prepends a new key, re-encrypts
every stored value with it, then drops the old ones.
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from m365bridge.shared.errors import UserError
from m365bridge.shared.private_files import private_dir, write_private


class SecretBoxError(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


class SecretBox:
    def __init__(self, keys: list[str]) -> None:
        if not keys:
            raise ValueError("at least one encryption key is required")
        self._keys = keys
        self._fernet = MultiFernet([Fernet(k.encode()) for k in keys])

    @classmethod
    def from_key_file(cls, path: Path) -> SecretBox:
        return cls(load_or_create_keys(path))

    @property
    def keys(self) -> list[str]:
        return list(self._keys)

    def encrypt(self, plain: str) -> str:
        return self._fernet.encrypt(plain.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret cannot be decrypted with the configured keys") from exc

    def rotate(self, token: str) -> str:
        return self._fernet.rotate(token.encode()).decode()


def load_or_create_keys(path: Path) -> list[str]:
    """Read keys (one a line, newest first); create the file with one fresh key, mode 0600, if absent."""
    if path.exists():
        keys = [line.strip() for line in path.read_text().splitlines() if line.strip()]
        if keys:
            return keys
    private_dir(path.parent)
    key = Fernet.generate_key().decode()
    write_private(path, (key + "\n").encode())
    return [key]


def read_keys(path: Path) -> list[str]:
    """The keys in an existing key file, for commands that must not create one."""
    keys = [line.strip() for line in path.read_text().splitlines() if line.strip()] if path.is_file() else []
    if not keys:
        raise UserError(f"no secret key in {path}: the stored secrets cannot be read without it")
    return keys


def write_keys(path: Path, keys: list[str]) -> None:
    tmp = path.with_suffix(".tmp")
    write_private(tmp, ("\n".join(keys) + "\n").encode())
    tmp.replace(path)


def new_key() -> str:
    return Fernet.generate_key().decode()
