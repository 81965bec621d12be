"""Shared test setup: the scripts in tools/ are importable as modules."""

import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
if str(TOOLS) not in sys.path:
    sys.path.insert(0, str(TOOLS))


@pytest.fixture
def typical_update_seconds():
    """Time a widget: the median over a sequence of moves, best of 3 passes. The median is
    a typical move; the best pass is the widget's cost rather than a moment when the shared
    2-core machine was busy (one busy moment doubled a median in a CI run)."""

    def measure(moves: list[Callable[[], object]], passes: int = 3) -> float:
        medians = []
        for _ in range(passes):
            times = []
            for move in moves:
                start = time.perf_counter()
                move()
                times.append(time.perf_counter() - start)
            medians.append(statistics.median(times))
        return min(medians)

    return measure
