"""``settle_heap``: what a server built before serving leaves the collector's sight; new garbage goes."""

from __future__ import annotations

import gc
import weakref
from collections.abc import Iterator

import pytest

from m365bridge.shared.serving import settle_heap


class Node:
    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def unfrozen() -> Iterator[None]:
    yield
    gc.unfreeze()  # the test process goes on building apps; give their objects back to the collector


def test_settle_heap_freezes_what_exists_and_still_collects_later_cycles(unfrozen: None) -> None:
    built = [Node() for _ in range(100)]
    before = gc.get_freeze_count()
    settle_heap()
    assert gc.get_freeze_count() >= before + len(built)

    late, partner = Node(), Node()
    late.other, partner.other = partner, late  # a cycle only the collector can free
    gone = weakref.ref(late)
    del late, partner
    gc.collect()
    assert gone() is None
