"""Lesson 3's posterior helpers against closed forms and independent integration."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from scipy import integrate, special, stats

from course_utils import posterior as post

matplotlib.use("Agg")


def test_with_k_zero_the_constant_is_a_beta_function():
    """Without the exp(-k pi^2) factor the posterior is Beta(h + a, t + b)."""
    for heads, tails, a, b in ((2, 2, 2, 2), (0, 5, 1, 1), (7, 1, 0.5, 3)):
        exact = special.beta(heads + a, tails + b)
        assert post.normalizing_constant(heads, tails, a, b, k=0) == pytest.approx(
            exact, rel=1e-10
        )
        mean = (heads + a) / (heads + tails + a + b)
        assert post.posterior_mean(heads, tails, a, b, k=0) == pytest.approx(mean, rel=1e-10)
        low, high = post.credible_interval(heads, tails, a, b, k=0)
        dist = stats.beta(heads + a, tails + b)
        assert (low, high) == pytest.approx((dist.ppf(0.025), dist.ppf(0.975)), rel=1e-7)


def test_lecture_posterior_by_series_expansion():
    """pi^3 (1-pi)^3 exp(-pi^2) = sum_n (-1)^n / n! pi^(3+2n) (1-pi)^3: a sum of Beta
    functions, an integration independent of quadrature."""
    series = sum((-1) ** n / math.factorial(n) * special.beta(4 + 2 * n, 4) for n in range(40))
    assert post.normalizing_constant(2, 2) == pytest.approx(series, rel=1e-12)


def test_grid_converges_to_quadrature():
    exact = post.normalizing_constant(2, 2)
    errors = [
        abs(post.normalizing_constant(2, 2, method="grid", n_grid=n) / exact - 1)
        for n in (10, 100, 1000)
    ]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-10
    # The midpoint rule's error usually falls like 1 / n^2, but this integrand's first
    # derivative vanishes at both ends, so the n^-2 term of Euler-Maclaurin cancels: n^-4.
    assert errors[1] / errors[2] == pytest.approx(1e4, rel=0.05)


def test_curves_are_normalized_and_consistent():
    curves = post.posterior_curves(3, 5, a=2, b=3, k=2, n_grid=2000)
    width = 1 / 2000
    assert curves.posterior.sum() * width == pytest.approx(1.0)
    assert curves.prior.sum() * width == pytest.approx(1.0)
    np.testing.assert_allclose(curves.unnormalized / curves.constant, curves.posterior)
    assert curves.mean == pytest.approx(post.posterior_mean(3, 5, 2, 3, 2), rel=1e-5)
    assert curves.constant == pytest.approx(post.normalizing_constant(3, 5, 2, 3, 2), rel=1e-5)


def test_log_kernel_outside_and_at_the_edges():
    values = post.log_kernel([-0.1, 0.0, 0.5, 1.0, 1.1], 2, 2)
    assert values[0] == -np.inf and values[-1] == -np.inf
    assert values[1] == -np.inf and values[3] == -np.inf  # pi^3 (1-pi)^3 vanishes there
    assert values[2] == pytest.approx(3 * math.log(0.5) + 3 * math.log(0.5) - 0.25)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"heads": -1}, "heads"),
        ({"tails": math.nan}, "tails"),
        ({"a": 0}, "shape a"),
        ({"b": -2}, "shape b"),
        ({"k": math.inf}, "prior k"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    arguments = {"heads": 2, "tails": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        post.log_kernel(0.5, **arguments)


def test_bad_method_and_grid():
    with pytest.raises(ValueError, match="method"):
        post.normalizing_constant(2, 2, method="simpson")
    with pytest.raises(ValueError, match="n_grid"):
        post.normalizing_constant(2, 2, method="grid", n_grid=0)
    with pytest.raises(ValueError, match="level"):
        post.credible_interval(2, 2, level=1.2)


def test_grid_cost_grows_exponentially_and_error_is_measured():
    table = post.grid_cost([1, 2, 3], points_per_axis=10)
    assert table["evaluations"].tolist() == [10, 100, 1000]
    ratio = post.normalizing_constant(2, 2, method="grid", n_grid=10) / (
        post.normalizing_constant(2, 2)
    )
    assert table["relative_error"].iloc[0] == pytest.approx(abs(ratio - 1), rel=1e-9)
    # a product of d copies: the grid estimate is the 1-d estimate to the power d
    assert table["relative_error"].iloc[2] == pytest.approx(abs(ratio**3 - 1), rel=1e-6)


def test_quadrature_agrees_with_an_independent_integrator():
    value, _ = integrate.quad(lambda p: p**5 * (1 - p) ** 2 * math.exp(-0.5 * p**2), 0, 1)
    assert post.normalizing_constant(4, 1, a=2, b=2, k=0.5) == pytest.approx(value, rel=1e-9)


def test_widget_updates_its_figure_quickly(typical_update_seconds):
    from course_utils.widgets import PosteriorExplorer

    explorer = PosteriorExplorer()
    for heads in range(1, 12):
        previous = explorer.png
        explorer.sliders["heads"].value = heads  # recomputes, redraws and renders a PNG
        assert explorer.png.startswith(b"\x89PNG") and explorer.png != previous
        expected = post.posterior_curves(heads, 2)
        np.testing.assert_allclose(explorer._posterior.get_ydata(), expected.posterior)
    explorer.sliders["k"].value = 4.0
    np.testing.assert_allclose(
        explorer._posterior.get_ydata(), post.posterior_curves(11, 2, k=4.0).posterior
    )
    slider = explorer.sliders["heads"]
    median = typical_update_seconds([lambda h=h: setattr(slider, "value", h) for h in range(12)])
    # the course requires well under 0.2 s per update; about 0.1 s is typical (a full redraw)
    assert median < 0.2, f"median update {median * 1000:.0f} ms"
