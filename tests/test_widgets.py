"""How the widgets draw: rounded axis limits, and blitting that shows exactly what a full
redraw would. (What each widget computes is tested with its pure function.)"""

import io
import math

import numpy as np
import pytest
from PIL import Image

from course_utils.data import load_eight_schools, load_tutoring
from course_utils.exact import TutoringPosterior
from course_utils.widgets import (
    PosteriorExplorer,
    PriorPredictiveExplorer,
    ShrinkageExplorer,
    TutoringPriorExplorer,
    nice_upper_limit,
)

MANTISSAS = {1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0}


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


def _pixels(png: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(png)))


def _full_redraw(widget) -> np.ndarray:
    """The widget's current state drawn from scratch, nothing reused."""
    widget._background = None
    widget._render()
    return _pixels(widget.png)


def _assert_shows_exactly_a_full_redraw(moved, fresh) -> None:
    """After its moves, ``moved`` shows what ``fresh`` (built at the same values) draws
    from scratch: no stale tick labels, titles or curves left behind by blitting."""
    for name, slider in moved.sliders.items():
        assert fresh.sliders[name].value == slider.value
    np.testing.assert_array_equal(_pixels(moved.png), _full_redraw(fresh))


def test_posterior_explorer_blits_what_a_full_redraw_shows():
    explorer = PosteriorExplorer()
    explorer.sliders["k"].value = 1.5
    draws = explorer.full_draws
    # at k = 1.5 and 2 the unnormalized maximum rounds up to the same 0.0125: axes stay
    explorer.sliders["k"].value = 2.0
    assert explorer._left.get_ylim() == pytest.approx((0, 0.0125))
    assert explorer.full_draws == draws
    explorer.sliders["heads"].value = 3  # about half the area: the left axis shrinks
    assert explorer._left.get_ylim()[1] < 0.0125
    # the y-axes are drawn with the curves: a new y-range redraws them, not the figure
    assert explorer.full_draws == draws
    for name, value in [("heads", 9), ("a", 6.0), ("tails", 20), ("k", -3.0), ("b", 0.5)]:
        explorer.sliders[name].value = value
    fresh = PosteriorExplorer(heads=9, tails=20)
    for name, value in [("a", 6.0), ("k", -3.0), ("b", 0.5)]:
        fresh.sliders[name].value = value
    _assert_shows_exactly_a_full_redraw(explorer, fresh)
    assert explorer.full_draws == draws
    # the curves fit their rounded axes
    assert explorer._posterior.get_ydata().max() <= explorer._right.get_ylim()[1]
    assert explorer._unnormalized.get_ydata().max() <= explorer._left.get_ylim()[1]


def test_prior_predictive_explorer_blits_what_a_full_redraw_shows():
    explorer = PriorPredictiveExplorer(prior_sd=1.5)
    draws = explorer.full_draws
    explorer.sliders["prior_sd"].value = 1.75  # one step: the axes stay
    assert explorer.full_draws == draws
    for value in [0.25, 7.5, 2.0]:
        explorer.sliders["prior_sd"].value = value
    assert explorer.full_draws == draws  # the y-ranges changed; only the y-axes redrew
    _assert_shows_exactly_a_full_redraw(explorer, PriorPredictiveExplorer(prior_sd=2.0))


def test_tutoring_prior_explorer_blits_what_a_full_redraw_shows():
    grid = TutoringPosterior(load_tutoring(), n_beta=32, n_log_sigma=24)
    explorer = TutoringPriorExplorer(grid)
    draws, top = explorer.full_draws, explorer._right.get_ylim()[1]
    for name, value in [("site_sd_prior_sd", 0.3), ("prior_sd", 1.0), ("site_sd_prior_sd", 5.0)]:
        explorer.sliders[name].value = value
    assert explorer._right.get_ylim()[1] != top
    assert explorer.full_draws == draws
    fresh = TutoringPriorExplorer(grid, prior_sd=1.0, site_sd_prior_sd=5.0)
    _assert_shows_exactly_a_full_redraw(explorer, fresh)


@pytest.mark.parametrize(
    "make, name, away, back",
    [
        (lambda: PosteriorExplorer(), "heads", 20, 2),
        (lambda: PriorPredictiveExplorer(prior_sd=1.5), "prior_sd", 0.25, 1.5),
        (
            lambda: TutoringPriorExplorer(
                TutoringPosterior(load_tutoring(), n_beta=32, n_log_sigma=24)
            ),
            "site_sd_prior_sd",
            0.2,
            2.5,
        ),
    ],
    ids=["posterior", "prior_predictive", "tutoring_prior"],
)
def test_a_y_range_seen_before_is_reused_not_redrawn(make, name, away, back):
    """Away to other y-ranges (the y-axes are laid out anew) and back: the back move
    reuses the saved axes, and shows exactly what it showed first and a full redraw."""
    widget = make()
    first = _pixels(widget.png)
    before = widget.y_axis_draws
    widget.sliders[name].value = away
    assert widget.y_axis_draws > before  # new y-ranges
    after_away = widget.y_axis_draws
    widget.sliders[name].value = back
    assert widget.y_axis_draws == after_away  # every y-range seen before: copied
    np.testing.assert_array_equal(_pixels(widget.png), first)
    np.testing.assert_array_equal(first, _full_redraw(widget))


def test_shrinkage_explorer_never_redraws_its_fixed_axes():
    schools = load_eight_schools()
    names = schools["school"].tolist()
    explorer = ShrinkageExplorer(schools["y"], schools["sigma"], names)
    draws = explorer.full_draws
    explorer.sliders["tau_prior"].value = "half-normal"
    for scale in [2.0, 2.5, 40.0]:
        explorer.sliders["tau_scale"].value = scale
    assert explorer.full_draws == draws  # only the lines and the title were drawn again
    fresh = ShrinkageExplorer(
        schools["y"], schools["sigma"], names, tau_prior="half-normal", tau_scale=40.0
    )
    _assert_shows_exactly_a_full_redraw(explorer, fresh)


def _matplotlib_rendering(widget) -> np.ndarray:
    """The widget's figure as matplotlib itself renders it (savefig draws every artist,
    animated ones included, in z-order): a reference independent of the blitting."""
    buffer = io.BytesIO()
    widget.figure.savefig(buffer, format="png", dpi=widget.figure.dpi)
    return _pixels(buffer.getvalue())


def _widgets_after_moves():
    schools = load_eight_schools()
    grid = TutoringPosterior(load_tutoring(), n_beta=32, n_log_sigma=24)
    moves = [
        (PosteriorExplorer(), [("heads", 9), ("tails", 1), ("k", 4.0)]),
        (PriorPredictiveExplorer(), [("prior_sd", 0.5), ("prior_sd", 9.0)]),
        (TutoringPriorExplorer(grid), [("site_sd_prior_sd", 0.2), ("prior_sd", 1.0)]),
        (
            ShrinkageExplorer(schools["y"], schools["sigma"], schools["school"].tolist()),
            [("tau_prior", "half-cauchy"), ("tau_scale", 1.0)],
        ),
    ]
    for widget, changes in moves:
        for name, value in changes:
            widget.sliders[name].value = value
        yield widget


def test_every_widget_shows_what_matplotlib_draws():
    """Tick labels, offsets and axis labels of the dynamic y-axes are all there. Blitting
    draws the curves over the cached spines (matplotlib draws the spines last), so a few
    anti-aliased pixels where a curve meets a spine may differ: at most 0.05 %."""
    for widget in _widgets_after_moves():
        shown, reference = _pixels(widget.png), _matplotlib_rendering(widget)
        assert shown.shape == reference.shape
        differing = np.any(shown != reference, axis=-1).mean()
        assert differing < 5e-4, (type(widget).__name__, differing)
