"""Prior predictive on the log-odds scale: densities, probabilities and draws."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from course_utils import priors


@pytest.mark.parametrize("prior_sd", [0.5, 1.0, 2.5, 5.0])
def test_logit_normal_density_is_a_density_with_the_right_cdf(prior_sd):
    def density(p):
        return float(priors.logit_normal_density(p, prior_sd))

    total, _ = integrate.quad(density, 0, 1, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    below, _ = integrate.quad(density, 0, 0.3, limit=200)
    assert below == pytest.approx(stats.norm.cdf(special.logit(0.3) / prior_sd), abs=1e-8)


def test_prob_between_matches_simulation():
    rng = np.random.default_rng(5)
    for prior_sd in (1.0, 2.5, 5.0):
        p = special.expit(rng.normal(0, prior_sd, 200_000))
        share = np.mean((p > 0.05) & (p < 0.95))
        se = np.sqrt(share * (1 - share) / p.size)
        assert abs(priors.prob_between(prior_sd, 0.05, 0.95) - share) < 4 * se + 1e-12


def test_the_lessons_claims_about_normal_1_and_normal_5():
    # Normal(0, 1): about 95% of the prior keeps the log-odds within +-2 (p in 0.12-0.88);
    # Normal(0, 5): over a half of the prior puts p below 0.05 or above 0.95
    assert priors.prob_between(1.0, special.expit(-2), special.expit(2)) == pytest.approx(
        0.9545, abs=1e-4
    )
    assert 1 - priors.prob_between(5.0, 0.05, 0.95) > 0.5


def test_prior_predictive_difference_is_symmetric_and_reproducible():
    first = priors.prior_predictive(2.5, n_draws=50_000, seed=3)
    again = priors.prior_predictive(2.5, n_draws=50_000, seed=3)
    np.testing.assert_array_equal(first.difference, again.difference)
    se = first.difference.std() / np.sqrt(first.difference.size)
    assert abs(first.difference.mean()) < 4 * se
    wide = priors.prior_predictive(5.0, n_draws=50_000, seed=3)
    assert wide.prob_large_difference > first.prob_large_difference


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: priors.logit_normal_density(0.5, -1.0), ValueError, "prior_sd"),
        (lambda: priors.logit_normal_density([0.2, 1.0], 1.0), ValueError, "between 0 and 1"),
        (lambda: priors.logit_normal_density(np.nan, 1.0), ValueError, "NaN"),
        (lambda: priors.prob_between(1.0, 0.9, 0.1), ValueError, "low < high"),
        (lambda: priors.prob_between(float("inf"), 0.1, 0.9), ValueError, "prior_sd"),
        (lambda: priors.prior_predictive(1.0, n_draws=0), ValueError, "n_draws"),
        (lambda: priors.prior_predictive("2"), TypeError, "prior_sd must be a number"),
        (lambda: priors.prior_predictive(1.0, seed="0"), TypeError, "seed"),
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()
