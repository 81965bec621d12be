"""bench.common: the pure helpers every section uses."""

import pytest

from bench import common


def test_summarize_gives_median_and_range_of_finite_values():
    assert common.summarize([3.0, 1.0, 2.0, float("nan"), None]) == {
        "median": 2.0,
        "min": 1.0,
        "max": 3.0,
        "n": 3,
    }
    with pytest.raises(ValueError, match="at least one"):
        common.summarize([float("nan")])


def test_percentile_interpolates_and_refuses_bad_input():
    assert common.percentile(list(range(101)), 95) == pytest.approx(95.0)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        common.percentile([1.0], 101)
    with pytest.raises(ValueError, match="at least one"):
        common.percentile([], 50)


def test_ratio_and_markdown_table():
    assert common.ratio(1.0, 4.0) == 0.25
    assert common.ratio(None, 4.0) is None and common.ratio(1.0, 0.0) is None
    table = common.markdown_table(["x", "y"], [[0.123456, None], ["a|b", 12345.6]])
    assert table.splitlines() == ["| x | y |", "|---|---|", "| 0.123 | - |", "| a\\|b | 12346 |"]
    with pytest.raises(ValueError, match="one cell per header"):
        common.markdown_table(["x"], [[1, 2]])


def test_fmt_range():
    assert common.fmt_range(None) == "-"
    assert common.fmt_range({"median": 2.0, "min": 1.0, "max": 3.5, "n": 3}) == "2 (1-3.5)"
    assert common.fmt_range({"median": 0.05, "min": 0.05, "max": 0.05, "n": 1}, 1000) == "50"


def test_fill_puts_values_into_a_template_and_refuses_a_missing_one():
    text = common.fill("course", measured="M.", table="T", total="8", target="300", verdict="met")
    assert text.startswith("## The whole course cold, in order\n\nM.\n")
    assert "\n\nT\n\n" in text and text.endswith("**8 s** against a target of 300 s: met.")
    with pytest.raises(KeyError, match="verdict"):
        common.fill("course", measured="M.", table="T", total="8", target="300")


def test_measured_says_when_and_under_what_load_and_what_was_redone():
    section = {
        "date": "D1",
        "commit": "abc",
        "load_average": [1.0, 1.0, 1.0],
        "load_average_end": [2.0, 1.5, 1.0],
        "updates": [{"date": "D2", "items": ["m1", "m2"], "commit": "def", "load_average": [3]}],
    }
    assert common.measured(section) == (
        "Measured D1, at commit abc, load average at start [1.0, 1.0, 1.0], at end "
        "[2.0, 1.5, 1.0]. Re-measured D2: m1, m2 (commit def, load average at start [3])."
    )
