"""The grader starts the submissions that took longest last time first (see
``tools.grading.grader.longest_first``): a notebook stopped by the time limit, started
last, would keep one core busy while the other jobs idle."""

from __future__ import annotations

from tools.grading.grader import longest_first
from tools.grading.store import ResultStore


def test_the_longest_last_time_goes_first_and_new_ones_count_as_typical():
    last = {"quick": 1.5, "slow": 2.5, "loops": 10.4, "new": None, "quicker": 1.0}
    order = longest_first(list(last), last.get)
    # median of the known times is 2.5 ("slow"), so "new" ranks with it, after it (stable)
    assert order == ["loops", "slow", "new", "quick", "quicker"]


def test_without_any_history_the_order_is_kept():
    items = ["c", "a", "b"]
    assert longest_first(items, lambda item: None) == items


def test_the_store_remembers_the_last_sandbox_time_under_any_hash(tmp_path):
    store = ResultStore(tmp_path / "results")
    assert store.last_seconds("ann", "00_start_here") is None
    store.put("ann", "00_start_here", "hash1", "v1", result={"seconds": 10.25, "exercises": {}})
    assert store.last_seconds("ann", "00_start_here") == 10.25
    assert store.last_seconds("ann", "01_credit_assignment") is None
    assert store.last_seconds("bob", "00_start_here") is None
    store.put("bob", "00_start_here", "hash2", "v1", result={"sandbox_error": "x"})
    assert store.last_seconds("bob", "00_start_here") is None
    (next((tmp_path / "results").glob("*.json"))).write_text("{not json")
    assert None in {store.last_seconds(s, "00_start_here") for s in ("ann", "bob")}
