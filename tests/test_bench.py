"""The pure helpers of the benchmark harness (tools/bench.py); no sampling, no notebooks."""

import numpy as np
import pytest

from tools import bench


def test_summarize_gives_median_and_range_of_finite_values():
    assert bench.summarize([3.0, 1.0, 2.0, float("nan"), None]) == {
        "median": 2.0,
        "min": 1.0,
        "max": 3.0,
        "n": 3,
    }
    with pytest.raises(ValueError, match="at least one"):
        bench.summarize([float("nan")])


def test_percentile_interpolates_and_refuses_bad_input():
    assert bench.percentile(list(range(101)), 95) == pytest.approx(95.0)
    with pytest.raises(ValueError, match=r"\[0, 100\]"):
        bench.percentile([1.0], 101)
    with pytest.raises(ValueError, match="at least one"):
        bench.percentile([], 50)


def test_stan_draws_undo_pystans_interleaving_by_chain():
    chains, draws = 4, 5
    # value = 10 * chain + draw, stored by pystan at position draw * chains + chain
    expected = np.array([[10.0 * c + d for d in range(draws)] for c in range(chains)])
    flat = np.empty(chains * draws)
    for c in range(chains):
        for d in range(draws):
            flat[d * chains + c] = expected[c, d]
    np.testing.assert_array_equal(bench.stan_draws(flat, chains), expected)
    vector = np.stack([flat, -flat])  # a parameter of shape (2,)
    np.testing.assert_array_equal(
        bench.stan_draws(vector, chains), np.stack([expected, -expected], axis=-1)
    )
    with pytest.raises(ValueError, match="cannot be split"):
        bench.stan_draws(flat, 3)


def test_flatten_draws_names_every_scalar():
    draws = {"mu": np.zeros((2, 3)), "theta": np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)}
    flat = bench.flatten_draws(draws)
    assert list(flat) == ["mu", "theta[0,0]", "theta[0,1]", "theta[1,0]", "theta[1,1]"]
    np.testing.assert_array_equal(flat["theta[1,0]"], draws["theta"][:, :, 1, 0])
    with pytest.raises(ValueError, match="chain, draw"):
        bench.flatten_draws({"x": np.zeros(3)})


def test_agreement_is_the_difference_in_combined_mcse():
    scores = bench.agreement({"a": (1.0, 0.3), "b": (0.0, 0.1)}, {"a": (1.5, 0.4), "c": (0, 1)})
    assert scores == {"a": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="no quantity"):
        bench.agreement({"a": (0, 1)}, {"b": (0, 1)})


def test_ratio_and_markdown_table():
    assert bench.ratio(1.0, 4.0) == 0.25
    assert bench.ratio(None, 4.0) is None and bench.ratio(1.0, 0.0) is None
    table = bench.markdown_table(["x", "y"], [[0.123456, None], ["a|b", 12345.6]])
    assert table.splitlines() == ["| x | y |", "|---|---|", "| 0.123 | - |", "| a\\|b | 12346 |"]
    with pytest.raises(ValueError, match="one cell per header"):
        bench.markdown_table(["x"], [[1, 2]])


def test_fmt_range():
    assert bench.fmt_range(None) == "-"
    assert bench.fmt_range({"median": 2.0, "min": 1.0, "max": 3.5, "n": 3}) == "2 (1-3.5)"
    assert bench.fmt_range({"median": 0.05, "min": 0.05, "max": 0.05, "n": 1}, 1000) == "50"


def test_every_course_model_has_a_stan_program_and_a_case():
    from course_utils import models

    builders = {name for name in models.__all__ if name[0].islower()}
    assert builders == set(bench.CASES)
    for name in builders:
        assert (bench.STAN_DIR / f"{name}.stan").is_file(), name


def test_slider_steps_walk_one_step_at_a_time_and_back():
    from types import SimpleNamespace

    import ipywidgets

    widget = SimpleNamespace(
        sliders={
            "n": ipywidgets.IntSlider(value=0, min=0, max=30),
            "sd": ipywidgets.FloatSlider(value=1.0, min=0.25, max=10, step=0.25),
            "scale": ipywidgets.FloatLogSlider(value=10, base=10, min=0, max=2, step=0.05),
            "prior": ipywidgets.Dropdown(options=["flat", "half-normal"]),
        }
    )
    walks = bench.slider_steps(
        widget, {"n": [28], "sd": [1.0], "scale": [10.0], "prior": ["flat"]}, steps=4
    )
    assert "prior" not in walks  # dropdowns only jump
    assert walks["n"] == [28, 27, 26, 25, 24, 25, 26, 27, 28]  # too close to the top: down
    assert walks["sd"] == [1.0, 1.25, 1.5, 1.75, 2.0, 1.75, 1.5, 1.25, 1.0]
    ratios = np.diff(np.log10(walks["scale"]))
    np.testing.assert_allclose(np.abs(ratios), 0.05, rtol=1e-9)
    assert walks["scale"][0] == walks["scale"][-1] == 10.0


def test_course_in_order_adds_the_notebooks_and_shows_failures():
    course = {
        "lessons/00/a.ipynb": {"wall_s": 3.0, "error_cells": 1, "code_cells": 8, "errors": ["X"]},
        "lessons/01/b.ipynb": {"error": "timed out after 60 s"},
        "solutions/00/a.ipynb": {"wall_s": 4.5, "error_cells": 0, "code_cells": 8, "errors": []},
    }
    rows, records, total = bench.course_rows(course)
    assert total == 7.5  # the failed run adds nothing, and says so
    assert rows[1][1].startswith("ERROR: timed out")
    assert rows[0] == ["lessons/00/a.ipynb", "3", "1 of 8 (X)"]
    assert records[-1]["item"] == "all" and records[-1]["median"] == 7.5
    text, _ = bench.render({"machine": {}, "course": {"date": "d", "data": course}})
    assert "Whole course cold, in order: **8 s**" in text and "| lessons/01/b.ipynb |" in text
