"""The tuned collector: start-up's objects frozen while serving, cycles still collected."""

from __future__ import annotations

import gc
import weakref

from service.heap import THRESHOLDS, settled_heap


class _Node:
    def __init__(self) -> None:
        self.me = self  # a reference cycle: only the collector frees it


def test_while_serving_start_up_is_frozen_and_cycles_are_still_collected() -> None:
    before = gc.get_threshold()
    with settled_heap():
        assert gc.get_freeze_count() > 0
        assert gc.get_threshold() == THRESHOLDS
        cycle = _Node()
        gone = weakref.ref(cycle)
        del cycle
        gc.collect()
        assert gone() is None
    assert gc.get_threshold() == before
    assert gc.get_freeze_count() == 0
