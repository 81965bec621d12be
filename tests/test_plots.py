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
    ("kwargs", "error", "message"),
    [
        ({"posterior": {"a": [1.0, np.nan, 2.0]}}, ValueError, "NaN"),
        ({"posterior": {"a": [1.0, 2.0]}, "prob": 1.5}, ValueError, "prob"),
        ({"posterior": {"a": [1.0, 2.0]}, "prob": "89%"}, TypeError, "prob"),
        ({"posterior": {"a": [1.0, 2.0]}, "var_names": ["b"]}, ValueError, "not in the posterior"),
        ({"posterior": {"a": [1.0, 2.0]}, "var_names": "a"}, TypeError, "var_names"),
        ({"posterior": {"a": [1.0]}}, ValueError, "at least 2"),
        ({"posterior": [1.0, 2.0]}, TypeError, "posterior"),
        ({"posterior": {"a": ["1", "2"]}}, TypeError, "real numbers"),
        ({"posterior": {"a": [1.0, 2.0]}, "ax": "left"}, TypeError, "ax"),
    ],
)
def test_bad_input_is_refused(kwargs, error, message):
    with pytest.raises(error, match=message):
        plots.plot_areas(**kwargs)


def test_a_vector_variable_is_refused_not_pooled_into_one_ridge():
    """The review's case: the 8 schools' theta drawn as one ridge of all 8 pooled."""
    import xarray as xr

    theta = xr.DataArray(
        np.random.default_rng(3).normal(size=(2, 50, 8)),
        dims=("chain", "draw", "school"),
        coords={"school": list("ABCDEFGH")},
    )
    posterior = xr.Dataset({"theta": theta, "mu": theta.isel(school=0)})
    with pytest.raises(ValueError, match=r"not a scalar parameter \(\['school'\]"):
        plots.plot_areas(posterior)
    with pytest.raises(ValueError, match="not a scalar parameter"):
        plots.plot_areas({"theta": np.zeros((2, 50, 8))})
    plots.plot_areas(posterior, var_names=["mu"])  # a scalar is fine
    plots.plot_areas({"A": theta.sel(school="A")})


# plots.show: a plotting cell's last line. Expected values are matplotlib's own state.


def _labelled_axes():
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1], label="a line")
    return ax


def test_show_sets_the_options_and_places_the_legend(monkeypatch):
    shown = []
    monkeypatch.setattr(plt, "show", lambda: shown.append(True))
    ax = _labelled_axes()
    plots.show(ax, legend="upper left", legend_size=7, xlabel="x", ylim=(0, 2), title="t")
    assert (ax.get_xlabel(), ax.get_ylim(), ax.get_title()) == ("x", (0.0, 2.0), "t")
    legend = ax.get_legend()
    assert [t.get_text() for t in legend.get_texts()] == ["a line"]
    assert legend._loc == 2  # matplotlib's code for "upper left"
    assert legend.get_texts()[0].get_fontsize() == 7
    assert shown == [True]


def test_show_puts_an_outside_legend_right_of_the_axes(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    ax = _labelled_axes()
    plots.show(ax, legend="outside")
    ax.figure.canvas.draw()
    legend_box = ax.get_legend().get_window_extent()
    assert legend_box.x0 >= ax.get_window_extent().x1  # entirely to the right


def test_show_without_a_legend_draws_none(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    ax = _labelled_axes()
    plots.show(ax, xlabel="x")
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("kwargs", "error", "names"),
    [
        ({"legend": "top"}, ValueError, "legend"),
        ({"legend": "best", "legend_size": -1}, ValueError, "legend_size"),
        ({"legend": 3}, TypeError, "legend"),
    ],
)
def test_show_rejects_a_bad_legend(monkeypatch, kwargs, error, names):
    monkeypatch.setattr(plt, "show", lambda: None)
    with pytest.raises(error, match=names):
        plots.show(_labelled_axes(), **kwargs)


def test_show_asks_for_labels_when_a_legend_has_nothing_to_show(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    _, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    with pytest.raises(ValueError, match="legend: nothing on the axes has a label"):
        plots.show(ax, legend="best")


def test_show_rejects_what_is_not_an_axes():
    fig = plt.figure()
    with pytest.raises(TypeError, match="ax must be a matplotlib Axes"):
        plots.show(fig)
