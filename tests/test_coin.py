"""Lesson 3's coin posterior against closed forms and independent integration."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate, special, stats

from course_utils.coin import CoinPosterior, grid_cost


def test_with_k_zero_the_constant_is_a_beta_function():
    """Without the exp(-k pi^2) factor the posterior is Beta(h + a, t + b)."""
    for heads, tails, a, b in ((2, 2, 2, 2), (0, 5, 1, 1), (7, 1, 0.5, 3)):
        coin = CoinPosterior(heads, tails, a, b, k=0)
        exact = special.beta(heads + a, tails + b)
        assert coin.normalizing_constant() == pytest.approx(exact, rel=1e-10)
        mean = (heads + a) / (heads + tails + a + b)
        assert coin.mean() == pytest.approx(mean, rel=1e-10)
        low, high = coin.credible_interval()
        dist = stats.beta(heads + a, tails + b)
        assert (low, high) == pytest.approx((dist.ppf(0.025), dist.ppf(0.975)), rel=1e-7)


def test_lecture_posterior_by_series_expansion():
    """pi^3 (1-pi)^3 exp(-pi^2) = sum_n (-1)^n / n! pi^(3+2n) (1-pi)^3: a sum of Beta
    functions, an integration independent of quadrature."""
    series = sum((-1) ** n / math.factorial(n) * special.beta(4 + 2 * n, 4) for n in range(40))
    assert CoinPosterior(2, 2).normalizing_constant() == pytest.approx(series, rel=1e-12)


def test_grid_converges_to_quadrature():
    coin = CoinPosterior(2, 2)
    exact = coin.normalizing_constant()
    errors = [
        abs(coin.normalizing_constant(method="grid", n_grid=n) / exact - 1)
        for n in (10, 100, 1000)
    ]
    assert errors[0] > errors[1] > errors[2] and errors[2] < 1e-10
    # The midpoint rule's error usually falls like 1 / n^2, but this integrand's first
    # derivative vanishes at both ends, so the n^-2 term of Euler-Maclaurin cancels: n^-4.
    assert errors[1] / errors[2] == pytest.approx(1e4, rel=0.05)


def test_curves_are_normalized_and_consistent():
    coin = CoinPosterior(3, 5, a=2, b=3, k=2)
    curves = coin.curves(n_grid=2000)
    width = 1 / 2000
    assert curves.posterior.sum() * width == pytest.approx(1.0)
    assert curves.prior.sum() * width == pytest.approx(1.0)
    np.testing.assert_allclose(curves.unnormalized / curves.constant, curves.posterior)
    assert curves.mean == pytest.approx(coin.mean(), rel=1e-5)
    assert curves.constant == pytest.approx(coin.normalizing_constant(), rel=1e-5)


def test_log_kernel_outside_and_at_the_edges():
    values = CoinPosterior(2, 2).log_kernel([-0.1, 0.0, 0.5, 1.0, 1.1])
    assert values[0] == -np.inf and values[-1] == -np.inf
    assert values[1] == -np.inf and values[3] == -np.inf  # pi^3 (1-pi)^3 vanishes there
    assert values[2] == pytest.approx(3 * math.log(0.5) + 3 * math.log(0.5) - 0.25)


def test_without_data_it_is_the_prior():
    prior = CoinPosterior()
    assert prior == CoinPosterior(2, 2).prior
    pi = np.linspace(0.05, 0.95, 7)
    np.testing.assert_allclose(
        prior.log_kernel(pi), np.log(pi) + np.log1p(-pi) - pi**2, rtol=1e-12
    )


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
def test_bad_values_are_rejected(kwargs, message):
    arguments = {"heads": 2, "tails": 2, **kwargs}
    with pytest.raises(ValueError, match=message):
        CoinPosterior(**arguments)


def test_bad_method_and_grid():
    coin = CoinPosterior(2, 2)
    with pytest.raises(ValueError, match="method"):
        coin.normalizing_constant(method="simpson")
    with pytest.raises(ValueError, match="n_grid"):
        coin.normalizing_constant(method="grid", n_grid=0)
    with pytest.raises(ValueError, match="level"):
        coin.credible_interval(level=1.2)


def test_grid_cost_grows_exponentially_and_error_is_measured():
    table = grid_cost([1, 2, 3], points_per_axis=10)
    assert table["evaluations"].tolist() == [10, 100, 1000]
    coin = CoinPosterior(2, 2)
    ratio = coin.normalizing_constant(method="grid", n_grid=10) / coin.normalizing_constant()
    assert table["relative_error"].iloc[0] == pytest.approx(abs(ratio - 1), rel=1e-9)
    # a product of d copies: the grid estimate is the 1-d estimate to the power d
    assert table["relative_error"].iloc[2] == pytest.approx(abs(ratio**3 - 1), rel=1e-6)


def test_grid_cost_refuses_a_grid_that_would_run_for_years_before_computing():
    with pytest.raises(ValueError, match="curse of dimensionality"):
        grid_cost([1, 12], points_per_axis=12)
    table = grid_cost([2], points_per_axis=3, max_evaluations=9)
    assert table["evaluations"].tolist() == [9]
    with pytest.raises(ValueError, match="max_evaluations"):
        grid_cost([3], points_per_axis=3, max_evaluations=9)


def test_quadrature_agrees_with_an_independent_integrator():
    value, _ = integrate.quad(lambda p: p**5 * (1 - p) ** 2 * math.exp(-0.5 * p**2), 0, 1)
    coin = CoinPosterior(4, 1, a=2, b=2, k=0.5)
    assert coin.normalizing_constant() == pytest.approx(value, rel=1e-9)
