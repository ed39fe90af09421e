"""`chibo` pauses the garbage collector while its modules load and freezes what they made (issue 12:
start-up); a caller of `main` with its own arguments (a test) keeps its collector as it was."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

from bot import cli


@pytest.fixture
def collector() -> Iterator[None]:
    """Whatever a test does to the collector is undone: this process's objects are not left frozen."""
    enabled = gc.isenabled()
    yield
    gc.unfreeze()
    (gc.enable if enabled else gc.disable)()


def test_the_program_loads_with_the_collector_paused_then_freezes_what_loaded(collector: None) -> None:
    gc.unfreeze()
    with cli._starting(True):
        assert not gc.isenabled()
        made: list[list[int]] = [[] for _ in range(10)]
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0
    assert made  # still alive: frozen, not collected


def test_a_caller_keeps_its_collector(collector: None) -> None:
    gc.unfreeze()
    with cli._starting(False):
        assert gc.isenabled()
    assert gc.isenabled() and gc.get_freeze_count() == 0
