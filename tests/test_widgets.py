"""The widgets, tested by what a user sees: the image shown (``widget.png``), drawn from the
public figure (``widget.figure``), after the sliders move. No private widget state.

What each widget computes is tested with its pure function (test_coin, test_priors,
test_tutoring_posterior, test_hierarchical_normal); here, that the figure shows it, that
reusing cached pixels never shows anything a full drawing would not, and that bad
starting values are refused. Timings belong to the benchmark (`make bench`).
"""

from __future__ import annotations

import io
import math
import warnings

import numpy as np
import pytest
from PIL import Image

from course_utils import hierarchical_normal, priors
from course_utils.coin import CoinPosterior
from course_utils.data import load_eight_schools
from course_utils.tutoring_posterior import TutoringPosterior
from course_utils.widgets import (
    PosteriorExplorer,
    PriorPredictiveExplorer,
    ShrinkageExplorer,
    TutoringPriorExplorer,
    nice_upper_limit,
)

MANTISSAS = {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}


@pytest.fixture(scope="module")
def grid(tutoring) -> TutoringPosterior:
    """A small grid: quick to build, fine enough for these priors (no warnings)."""
    return TutoringPosterior(tutoring, n_beta=48, n_log_sigma=24)


@pytest.fixture(scope="module")
def schools():
    return load_eight_schools()


# ------------------------------------------------------------------- nice_upper_limit


@pytest.mark.parametrize(
    ("value", "headroom", "expected"),
    [
        (2.7, 1.05, 3.0),  # 2.835 -> 3
        (0.0031, 1.05, 0.004),  # 0.003255 -> 0.004
        (9.6, 1.05, 12.5),  # 10.08 -> 12.5 (next decade)
        (1.0, 1.0, 1.0),  # exactly a round number: kept
        (4.1e-25, 1.1, 5e-25),  # tiny unnormalized posteriors
        (0.0, 1.05, 1.0),  # an all-zero curve still gets an axis
    ],
)
def test_nice_upper_limit_examples(value, headroom, expected):
    assert nice_upper_limit(value, headroom) == pytest.approx(expected, rel=1e-12)


def test_nice_upper_limit_is_the_smallest_round_number_above_the_target():
    rng = np.random.default_rng(0)
    for value in 10 ** rng.uniform(-30, 30, size=2000):
        limit = nice_upper_limit(value)
        target = 1.05 * value
        exponent = math.floor(math.log10(limit) + 1e-12)
        mantissa = round(limit / 10**exponent, 9)
        assert mantissa in MANTISSAS, (value, limit)
        assert limit >= target * (1 - 1e-12)
        # consecutive round numbers are at most 4/3 apart: the curve fills >= 3/4 of the axis
        assert limit <= target * 4 / 3 * (1 + 1e-12), (value, limit)


@pytest.mark.parametrize("bad", [-1.0, math.nan, math.inf])
def test_nice_upper_limit_rejects_bad_values(bad):
    with pytest.raises(ValueError, match="value"):
        nice_upper_limit(bad)
    with pytest.raises(ValueError, match="headroom"):
        nice_upper_limit(1.0, headroom=0.5)


# ------------------------------------------------------------------ what a user sees


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _matplotlib_rendering(widget) -> np.ndarray:
    """The widget's figure as matplotlib itself renders it (savefig draws every artist in
    z-order): a reference independent of the widget's reuse of pixels."""
    buffer = io.BytesIO()
    widget.figure.savefig(buffer, format="png", dpi=widget.figure.dpi)
    return _pixels(buffer.getvalue())


def _move(widget, changes):
    for name, value in changes:
        widget.sliders[name].value = value
    return widget


CASES = {
    # name: (build the widget from the test grid and data, moves that change its figure)
    "posterior": (
        lambda grid, schools: PosteriorExplorer(),
        [("heads", 9), ("a", 6.0), ("tails", 20), ("k", -3.0), ("b", 0.5), ("heads", 3)],
    ),
    "prior_predictive": (
        lambda grid, schools: PriorPredictiveExplorer(),
        [("prior_sd", 0.25), ("prior_sd", 7.5), ("prior_sd", 1.75), ("prior_sd", 2.0)],
    ),
    "tutoring_prior": (
        lambda grid, schools: TutoringPriorExplorer(grid),
        [("site_sd_prior_sd", 0.3), ("prior_sd", 1.0), ("site_sd_prior_sd", 5.0)],
    ),
    "shrinkage": (
        lambda grid, schools: ShrinkageExplorer(
            schools["y"], schools["sigma"], schools["school"].tolist()
        ),
        [("tau_prior", "half-normal"), ("tau_scale", 2.0), ("tau_scale", 40.0)],
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_after_moves_a_widget_shows_what_a_fresh_one_draws(case, grid, schools):
    """Reused pixels never leave stale tick labels, titles or curves behind: after a series
    of moves the image equals, pixel for pixel, that of a new widget moved straight to the
    final values, and a redraw from scratch."""
    make, moves = CASES[case]
    widget = _move(make(grid, schools), moves)
    final = {name: slider.value for name, slider in widget.sliders.items()}
    fresh = _move(make(grid, schools), list(final.items()))
    np.testing.assert_array_equal(_pixels(widget.png), _pixels(fresh.png))
    shown = widget.png
    np.testing.assert_array_equal(_pixels(widget.redraw(from_scratch=True)), _pixels(shown))


@pytest.mark.parametrize("case", CASES)
def test_away_and_back_shows_the_first_image_again(case, grid, schools):
    make, moves = CASES[case]
    widget = make(grid, schools)
    first = widget.png
    start = {name: slider.value for name, slider in widget.sliders.items()}
    _move(widget, moves)
    assert widget.png != first  # the figure changed
    _move(widget, list(start.items())[::-1])
    np.testing.assert_array_equal(_pixels(widget.png), _pixels(first))


@pytest.mark.parametrize("case", CASES)
def test_every_widget_shows_what_matplotlib_draws(case, grid, schools):
    """Tick labels, offsets and axis labels of the y-axes that follow the curves are all
    there. Curves are drawn over cached spines (matplotlib draws the spines last), so a few
    anti-aliased pixels where a curve meets a spine may differ: at most 0.05 %."""
    make, moves = CASES[case]
    widget = _move(make(grid, schools), moves)
    shown, reference = _pixels(widget.png), _matplotlib_rendering(widget)
    assert shown.shape == reference.shape
    assert np.any(shown != reference, axis=-1).mean() < 5e-4


def _line(widget, label):
    (line,) = [
        line for axes in widget.figure.axes for line in axes.lines if line.get_label() == label
    ]
    return line


def test_posterior_explorer_draws_the_coin_posterior():
    explorer = PosteriorExplorer()
    for heads in (1, 7, 11):
        explorer.sliders["heads"].value = heads
        expected = CoinPosterior(heads, 2).curves()
        np.testing.assert_allclose(_line(explorer, "posterior").get_ydata(), expected.posterior)
        assert f"mean {expected.mean:.3f}" in explorer.figure.axes[1].get_title()
    explorer.sliders["k"].value = 4.0
    expected = CoinPosterior(11, 2, k=4.0).curves()
    np.testing.assert_allclose(_line(explorer, "posterior").get_ydata(), expected.posterior)
    for axes in explorer.figure.axes:  # every curve fits its axes
        for line in axes.lines:
            assert np.max(line.get_ydata()) <= axes.get_ylim()[1]


def test_prior_predictive_explorer_draws_the_logit_normal_density():
    explorer = PriorPredictiveExplorer()
    explorer.sliders["prior_sd"].value = 7.5
    (density,) = explorer.figure.axes[0].lines
    np.testing.assert_allclose(
        density.get_ydata(), priors.logit_normal_density(density.get_xdata(), 7.5)
    )
    expected = priors.prior_predictive(7.5)
    assert f"{expected.prob_moderate:.3f}" in explorer.figure.axes[0].get_title()


def test_tutoring_prior_explorer_shows_the_exact_posterior(grid):
    explorer = TutoringPriorExplorer(grid)
    wide = explorer.update()
    explorer.sliders["site_sd_prior_sd"].value = 0.3
    narrow = explorer.update()
    assert narrow.mean["sigma_site"] < wide.mean["sigma_site"]
    expected = grid.summary(2.5, explorer.sliders["site_sd_prior_sd"].value)
    assert narrow.prob_method_negative == expected.prob_method_negative
    assert f"{expected.prob_method_negative:.3f}" in explorer.figure.axes[0].get_title()
    explorer.sliders["prior_sd"].value = 1.0
    assert explorer.update().mean["method"] == grid.summary(1.0, 0.3).mean["method"]


def test_tutoring_prior_explorer_says_approximate_where_the_grid_is_too_coarse(tutoring):
    """On a grid too coarse for the posterior, the summary warns; the widget shows that in
    its title instead of printing a warning under the slider."""
    coarse = TutoringPosterior(tutoring, n_beta=24, n_log_sigma=16)
    assert coarse.min_prior_sd > 0.5
    explorer = TutoringPriorExplorer(coarse)
    assert explorer.sliders["prior_sd"].min >= coarse.min_prior_sd  # never refused
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        explorer.sliders["prior_sd"].value = explorer.sliders["prior_sd"].min
        explorer.sliders["site_sd_prior_sd"].value = 0.1
    title = explorer.figure.axes[0].get_title()
    assert ("approximate" in title) == bool(explorer.update().warnings)


def test_shrinkage_explorer_shows_the_exact_posterior(schools):
    y, sigma = schools["y"].to_numpy(), schools["sigma"].to_numpy()
    explorer = ShrinkageExplorer(y, sigma, schools["school"].tolist())
    assert explorer.sliders["tau_scale"].disabled  # a flat prior has no scale
    for prior, scale in [("half-normal", 2.0), ("half-normal", 1.0), ("half-cauchy", 25.0)]:
        explorer.sliders["tau_prior"].value = prior
        explorer.sliders["tau_scale"].value = scale
        expected = hierarchical_normal.exact_posterior(y, sigma, prior, scale)
        drawn = [line.get_ydata()[1] for line in explorer.figure.axes[0].lines[: len(y)]]
        np.testing.assert_allclose(drawn, expected["mean"], rtol=1e-9)
    assert not explorer.sliders["tau_scale"].disabled


@pytest.mark.parametrize(
    "make, error, message",
    [
        (lambda g, s: PosteriorExplorer(heads=40), ValueError, "heads must be from 0 to 30"),
        (lambda g, s: PosteriorExplorer(tails=2.5), TypeError, "tails must be an integer"),
        (lambda g, s: PriorPredictiveExplorer(prior_sd=20.0), ValueError, "slider's range"),
        (lambda g, s: TutoringPriorExplorer(g, prior_sd=9.0), ValueError, "slider's range"),
        (lambda g, s: TutoringPriorExplorer("grid"), TypeError, "TutoringPosterior"),
        (
            lambda g, s: ShrinkageExplorer(s["y"], s["sigma"], list("AABCDEFG")),
            ValueError,
            "distinct",
        ),
        (
            lambda g, s: ShrinkageExplorer(s["y"], s["sigma"], list("ABCDEFGH"), tau_scale=0.1),
            ValueError,
            "slider's range",
        ),
    ],
)
def test_starting_values_outside_a_slider_are_refused_not_clamped(
    make, error, message, grid, schools
):
    with pytest.raises(error, match=message):
        make(grid, schools)
