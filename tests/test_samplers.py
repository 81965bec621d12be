"""Random-walk Metropolis against exact answers, within Monte Carlo error."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy import stats

from course_utils.coin import CoinPosterior
from course_utils.samplers import random_walk_metropolis


def chains(log_density, starts, proposal, n_draws, seed):
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(starts))]
    results = [
        random_walk_metropolis(log_density, start, proposal, n_draws, rng)
        for start, rng in zip(starts, rngs, strict=True)
    ]
    return np.stack([r.draws for r in results]), [r.acceptance_rate for r in results]


def test_lesson_3_posterior_mean_within_4_mcse():
    coin = CoinPosterior(2, 2)
    draws, rates = chains(
        lambda x: float(coin.log_kernel(x[0])), [0.2, 0.4, 0.6, 0.8], 0.25, 5000, seed=1
    )
    pi = draws[:, 1000:, 0]  # burn-in dropped
    summary = az.summary({"pi": pi}, round_to="none")
    assert summary.loc["pi", "r_hat"] <= 1.01 and summary.loc["pi", "ess_bulk"] >= 400
    exact = coin.mean()
    assert abs(summary.loc["pi", "mean"] - exact) < 4 * summary.loc["pi", "mcse_mean"]
    low, high = coin.credible_interval()
    for outside in (pi < low, pi > high):  # each tail holds 2.5% of the posterior
        share = az.summary({"i": outside.astype(float)}, round_to="none").loc["i"]
        assert abs(share["mean"] - 0.025) < 4 * share["mcse_mean"]
    assert all(0.2 < rate < 0.8 for rate in rates)


def test_correlated_normal_with_a_covariance_proposal():
    covariance = np.array([[1.0, 0.8], [0.8, 1.0]])
    precision = np.linalg.inv(covariance)
    draws, _ = chains(
        lambda x: -0.5 * x @ precision @ x,
        [[2, 2], [-2, -2], [2, -2], [-2, 2]],
        2.4**2 / 2 * covariance,
        4000,
        seed=2,
    )
    kept = draws[:, 500:, :]
    summary = az.summary({"x": kept}, round_to="none")
    assert (summary["r_hat"] <= 1.01).all() and (summary["ess_bulk"] >= 400).all()
    assert (np.abs(summary["mean"]) < 4 * summary["mcse_mean"]).all()
    correlation = np.corrcoef(kept.reshape(-1, 2).T)[0, 1]
    assert correlation == pytest.approx(0.8, abs=0.05)


def test_small_steps_accept_more_than_large_ones():
    normal = stats.norm()
    rates = [
        random_walk_metropolis(
            lambda x: float(normal.logpdf(x[0])), 0.0, scale, 3000, np.random.default_rng(3)
        ).acceptance_rate
        for scale in (0.1, 1.0, 10.0)
    ]
    assert rates[0] > rates[1] > rates[2]


def test_same_generator_seed_same_chain():
    def log_density(x):
        return -0.5 * float(x @ x)

    a = random_walk_metropolis(log_density, [0, 0], 1.0, 100, np.random.default_rng(5))
    b = random_walk_metropolis(log_density, [0, 0], 1.0, 100, np.random.default_rng(5))
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.draws.shape == (100, 2)


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        ({"start": 2.0}, ValueError, "start: the log density is not finite"),
        ({"start": []}, ValueError, "start must have at least 1"),
        ({"start": "0.5"}, TypeError, "start must be a number"),
        ({"proposal": -1.0}, ValueError, "positive"),
        (
            {"proposal": [[1.0, 2.0], [2.0, 1.0]], "start": [0.5, 0.5]},
            ValueError,
            "positive definite",
        ),
        ({"proposal": [[1.0]], "start": [0.5, 0.5]}, ValueError, "2 x 2"),
        ({"n_draws": 0}, ValueError, "n_draws"),
        ({"n_draws": 10.0}, TypeError, "n_draws"),
        ({"rng": 42}, TypeError, "Generator"),
        ({"log_density": 3.0}, TypeError, "log_density must be a function"),
    ],
)
def test_bad_input_is_rejected(kwargs, error, message):
    coin = CoinPosterior(2, 2)

    def log_density(x):
        return float(np.sum(coin.log_kernel(x)))

    arguments = {
        "log_density": log_density,
        "start": 0.5,
        "proposal": 0.2,
        "n_draws": 10,
        "rng": np.random.default_rng(0),
    }
    arguments.update(kwargs)
    with pytest.raises(error, match=message):
        random_walk_metropolis(**arguments)


@pytest.mark.parametrize(
    ("value", "error"),
    [(float("nan"), ValueError), (float("inf"), ValueError), ("1.0", TypeError)],
)
def test_a_log_density_that_is_nan_or_plus_infinity_is_an_error(value, error):
    """The review's cases: NaN was silently rejected, +inf stuck the chain for good."""

    def log_density(x):
        return value if x[0] > 0.5 else -0.5 * float(x[0] ** 2)

    with pytest.raises(error, match="log_density"):
        random_walk_metropolis(log_density, 0.0, 1.0, 1000, np.random.default_rng(0))
