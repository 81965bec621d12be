"""course_utils.plots: the areas plot shades the right interval and rejects bad input."""

from __future__ import annotations

import types

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from scipy import stats

from course_utils import plots


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


def _band(ax, label):
    (patch,) = [c for c in ax.collections if c.get_label() == label]
    vertices = patch.get_paths()[0].vertices
    return vertices[:, 0].min(), vertices[:, 0].max()


def test_shaded_band_is_the_central_interval_of_a_normal():
    rng = np.random.default_rng(1)
    draws = {"a": rng.normal(1.0, 2.0, size=(4, 20_000)), "b": rng.normal(-3, 0.5, 80_000)}
    ax = plots.plot_areas(draws, prob=0.89)
    for name, (mean, sd) in {"a": (1.0, 2.0), "b": (-3.0, 0.5)}.items():
        low, high = _band(ax, f"{name} 89%")
        # the exact normal quantiles; 80,000 draws put the sample quantiles within 0.02 sd
        assert low == pytest.approx(stats.norm.ppf(0.055, mean, sd), abs=0.02 * sd)
        assert high == pytest.approx(stats.norm.ppf(0.945, mean, sd), abs=0.02 * sd)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["b", "a"]  # first on top


def test_other_probabilities_and_a_fit_like_object():
    fit = types.SimpleNamespace(
        posterior={"slope": np.random.default_rng(2).uniform(0, 1, 50_000)}
    )
    ax = plots.plot_areas(fit, prob=0.5)
    low, high = _band(ax, "slope 50%")
    assert (low, high) == pytest.approx((0.25, 0.75), abs=0.01)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"posterior": {"a": [1.0, np.nan, 2.0]}}, "NaN"),
        ({"posterior": {"a": [1.0, 2.0]}, "prob": 1.5}, "prob"),
        ({"posterior": {"a": [1.0, 2.0]}, "var_names": ["b"]}, "not in the posterior"),
        ({"posterior": {"a": [1.0]}}, "at least 2"),
        ({"posterior": [1.0, 2.0]}, "posterior"),
    ],
)
def test_bad_input_raises_value_error(kwargs, message):
    with pytest.raises(ValueError, match=message):
        plots.plot_areas(**kwargs)
