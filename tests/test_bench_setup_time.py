"""bench.setup_time: the setup section's report (no clone is made here)."""

from bench import setup_time

OLD = {"make_setup_s": 117.0, "exit_code": 0, "venv_mb": 1347.0, "commit": "0711abb"}


def test_report_splits_the_venv_from_the_warm_up():
    data = {**OLD, "make_setup_s": 330.0, "venv_s": 110.0, "warm_up_s": 220.0}
    text, records = setup_time.report({"date": "D", "data": data})
    assert "**330 s** = 110 s for the venv + 220 s warming the compile caches" in text
    assert {r["metric"]: r["median"] for r in records}["warm_up_s"] == 220.0


def test_report_of_a_run_before_the_warm_up_says_so():
    text, records = setup_time.report({"date": "D", "data": OLD})
    assert "**117 s** (the venv only" in text
    assert "warm_up_s" not in {r["metric"] for r in records}
