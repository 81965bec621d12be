"""Random-walk Metropolis against exact answers, within Monte Carlo error."""

from __future__ import annotations

import arviz as az
import numpy as np
import pytest
from scipy import stats

from course_utils.posterior import credible_interval, log_kernel, posterior_mean
from course_utils.samplers import random_walk_metropolis


def chains(log_density, starts, proposal, n_draws, seed):
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(starts))]
    results = [
        random_walk_metropolis(log_density, start, proposal, n_draws, rng)
        for start, rng in zip(starts, rngs, strict=True)
    ]
    return np.stack([r.draws for r in results]), [r.acceptance_rate for r in results]


def test_lesson_3_posterior_mean_within_4_mcse():
    draws, rates = chains(
        lambda x: float(log_kernel(x[0], 2, 2)), [0.2, 0.4, 0.6, 0.8], 0.25, 5000, seed=1
    )
    pi = draws[:, 1000:, 0]  # burn-in dropped
    summary = az.summary({"pi": pi}, round_to="none")
    assert summary.loc["pi", "r_hat"] <= 1.01 and summary.loc["pi", "ess_bulk"] >= 400
    exact = posterior_mean(2, 2)
    assert abs(summary.loc["pi", "mean"] - exact) < 4 * summary.loc["pi", "mcse_mean"]
    low, high = credible_interval(2, 2)
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
    ("kwargs", "message"),
    [
        ({"start": 2.0}, "start: the log density is not finite"),
        ({"proposal": -1.0}, "positive"),
        ({"proposal": [[1.0, 2.0], [2.0, 1.0]], "start": [0.5, 0.5]}, "positive definite"),
        ({"proposal": [[1.0]], "start": [0.5, 0.5]}, "2 x 2"),
        ({"n_draws": 0}, "n_draws"),
        ({"rng": 42}, "Generator"),
    ],
)
def test_bad_input_is_rejected(kwargs, message):
    def log_density(x):
        return float(np.sum(log_kernel(x, 2, 2)))

    arguments = {"start": 0.5, "proposal": 0.2, "n_draws": 10, "rng": np.random.default_rng(0)}
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=message):
        random_walk_metropolis(log_density, **arguments)
