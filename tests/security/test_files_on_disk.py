"""Issue 15 item 14: what either side writes to disk is for its own user only, whatever the umask
(docs/security.md, "Files and folders on disk"). The demo's own files are checked in tests/demo."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator

import pytest

from m365bridge.cloud.context import CloudContext
from m365bridge.cloud.settings import CloudSettings
from m365bridge.connector.context import ConnectorContext
from m365bridge.connector.settings import ConnectorSettings
from m365bridge.shared.private_files import private_dir


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def lax_umask() -> Iterator[None]:
    previous = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(previous)


@pytest.mark.parametrize(
    ("build", "settings"), [(ConnectorContext.build, ConnectorSettings), (CloudContext.build, CloudSettings)]
)
def test_a_new_data_folder_and_its_key_are_private(tmp_path, lax_umask, build, settings):
    data_dir = tmp_path / "data"
    context = build(settings(data_dir=data_dir))
    try:
        assert mode(data_dir) == 0o700
        assert mode(data_dir / "secret.key") == 0o600
    finally:
        context.close()


def test_an_existing_open_folder_is_narrowed(tmp_path, lax_umask):
    folder = tmp_path / "open"
    folder.mkdir(mode=0o755)
    private_dir(folder)
    assert mode(folder) == 0o700
