"""The exact tutoring posterior against independent integrals, and its grid convergence."""

from __future__ import annotations

import inspect
import sys
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, special, stats

from course_utils import glmm
from course_utils.exceptions import IntegrationWarning
from course_utils.tutoring_posterior import AGQ_MAX_SIGMA, TutoringPosterior


@pytest.fixture(scope="module")
def default_grid(tutoring) -> TutoringPosterior:
    return TutoringPosterior(tutoring)


def quad_log_likelihood(data: pd.DataFrame, b0: float, b1: float, sigma: float) -> float:
    """Sum over sites of log int prod_i p(y_i | b0 + b1 x_i + sigma z) phi(z) dz, by quad."""
    total = 0.0
    for _, site in data.groupby("site_id"):
        eta = b0 + b1 * site["method"].to_numpy()
        y = site["passed"].to_numpy()

        def integrand(z, eta=eta, y=y):
            linear = eta + sigma * z
            return np.exp(np.sum(y * linear - np.logaddexp(0, linear))) * stats.norm.pdf(z)

        value, _ = integrate.quad(integrand, -12, 12, epsabs=0, epsrel=1e-12, limit=500)
        total += np.log(value)
    return total


def test_grid_likelihood_matches_scipy_quad_and_glmm_deviance(tutoring):
    nagq = 15  # the same adaptive Gauss-Hermite rule as the grid's
    grid = TutoringPosterior(tutoring, n_beta=8, n_log_sigma=8, nagq=nagq)
    deviance = glmm._Deviance(glmm._parse("passed ~ method + (1 | site_id)", tutoring), nagq)
    for i, j, k in [(3, 4, 7), (4, 2, 6), (0, 7, 5), (5, 5, 3), (2, 6, 0), (4, 3, 4)]:
        b0, b1, sigma = grid.beta[i], grid.beta[j], grid.sigma[k]
        expected = quad_log_likelihood(tutoring, b0, b1, sigma)
        assert grid.log_likelihood[i, j, k] == pytest.approx(expected, abs=1e-5)
        if sigma <= AGQ_MAX_SIGMA:  # where both use adaptive Gauss-Hermite
            assert grid.log_likelihood[i, j, k] == pytest.approx(
                -0.5 * deviance(np.array([sigma, b0, b1])), abs=1e-8
            )


def test_default_gauss_hermite_rule_is_converged(tutoring):
    """The default number of nodes against 25 (lme4's largest nagq) on the AGQ slices of
    a grid reaching far into the tails (coefficients up to +-35)."""
    default = TutoringPosterior(tutoring, n_beta=24, n_log_sigma=24, max_prior_sd=5.0)
    many = TutoringPosterior(tutoring, n_beta=24, n_log_sigma=24, max_prior_sd=5.0, nagq=25)
    assert inspect.signature(TutoringPosterior).parameters["nagq"].default < 25
    small = default.sigma <= AGQ_MAX_SIGMA
    assert small.sum() >= 12
    np.testing.assert_allclose(
        default.log_likelihood[..., small], many.log_likelihood[..., small], rtol=0, atol=1e-6
    )
    np.testing.assert_allclose(
        default.site_effect_means[..., small],
        many.site_effect_means[..., small],
        rtol=0,
        atol=2e-6,
    )


def test_site_effect_means_match_quadrature(tutoring):
    grid = TutoringPosterior(tutoring, n_beta=8, n_log_sigma=8)
    for i, j, k in [(4, 2, 6), (3, 4, 4)]:  # one point for each integration method
        b0, b1, sigma = grid.beta[i], grid.beta[j], grid.sigma[k]
        for s, (_, site) in enumerate(tutoring.groupby("site_id")):
            eta = b0 + b1 * site["method"].to_numpy()
            y = site["passed"].to_numpy()

            def weight(z, eta=eta, y=y, sigma=sigma):
                linear = eta + sigma * z
                return np.exp(np.sum(y * linear - np.logaddexp(0, linear))) * stats.norm.pdf(z)

            top, _ = integrate.quad(
                lambda z, w=weight, sigma=sigma: sigma * z * w(z), -12, 12, epsrel=1e-12
            )
            bottom, _ = integrate.quad(weight, -12, 12, epsrel=1e-12)
            assert grid.site_effect_means[s, i, j, k] == pytest.approx(top / bottom, abs=1e-5)


def test_grid_is_converged(tutoring, default_grid):
    fine = TutoringPosterior(tutoring, n_beta=96, n_log_sigma=72).summary()
    coarse = default_grid.summary()
    np.testing.assert_allclose(coarse.mean, fine.mean, atol=2e-4)
    np.testing.assert_allclose(coarse.sd, fine.sd, atol=2e-4)
    np.testing.assert_allclose(coarse.site_effects, fine.site_effects, atol=5e-4)
    assert coarse.prob_method_negative == pytest.approx(fine.prob_method_negative, abs=1e-4)


def test_densities_integrate_to_one_and_match_the_moments(default_grid):
    summary = default_grid.summary()
    step = np.diff(summary.method_grid)[0]
    assert np.sum(summary.method_density) * step == pytest.approx(1.0, abs=1e-12)
    assert np.sum(summary.method_grid * summary.method_density) * step == pytest.approx(
        summary.mean["method"], abs=1e-12
    )
    log_step = np.diff(np.log(summary.sigma_grid))[0]
    sigma_mass = summary.sigma_density * summary.sigma_grid * log_step
    assert np.sum(sigma_mass) == pytest.approx(1.0, abs=1e-12)
    # P(method < 0) from the spline agrees with the plain cell sum to the cell size
    cells = np.sum(summary.method_density[summary.method_grid < 0]) * step
    assert summary.prob_method_negative == pytest.approx(cells, abs=0.02)


def test_prior_reweighting_agrees_with_a_fresh_grid(tutoring, default_grid):
    """A tighter prior on the site SD, by reweighting, equals the same prior computed on a
    grid built for it; and it shrinks the site SD."""
    reweighted = default_grid.summary(prior_sd=2.5, site_sd_prior_sd=0.5)
    fresh = TutoringPosterior(tutoring, max_site_sd_prior_sd=0.5).summary(2.5, 0.5)
    np.testing.assert_allclose(reweighted.mean, fresh.mean, atol=1e-3)
    assert reweighted.mean["sigma_site"] < default_grid.summary().mean["sigma_site"]


def test_with_no_data_the_posterior_is_the_prior():
    # one site, two students, both under the old method: the data say nothing about the
    # method effect, which keeps its Normal(0, 2.5) prior; one pass and one fail make the
    # likelihood symmetric in the intercept
    data = pd.DataFrame({"site_id": [1, 1], "method": [0, 0], "passed": [1, 0]})
    summary = TutoringPosterior(data).summary(prior_sd=2.5, site_sd_prior_sd=2.5)
    assert summary.mean["method"] == pytest.approx(0.0, abs=1e-9)
    assert summary.sd["method"] == pytest.approx(2.5, abs=1e-3)
    assert summary.prob_method_negative == pytest.approx(0.5, abs=1e-4)
    assert summary.mean["intercept"] == pytest.approx(0.0, abs=1e-9)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"n_beta": 3}, "n_beta"),
        ({"nagq": 0}, "nagq"),
        ({"max_prior_sd": -1.0}, "max_prior_sd"),
        ({"n_beta": 1000}, "n_log_sigma must be at most"),
    ],
)
def test_bad_construction_is_refused(tutoring, kwargs, message):
    with pytest.raises(ValueError, match=message):
        TutoringPosterior(tutoring, **kwargs)


def test_bad_priors_are_refused(default_grid):
    with pytest.raises(ValueError, match="prior_sd"):
        default_grid.summary(prior_sd=0.0)
    with pytest.raises(ValueError, match=r"site_sd_prior_sd.*beyond"):
        default_grid.summary(site_sd_prior_sd=50.0)
    with pytest.raises(ValueError, match=r"prior_sd.*beyond"):
        default_grid.summary(prior_sd=5.0)
    with pytest.raises(TypeError, match="prior_sd must be a number"):
        default_grid.summary(prior_sd="2.5")


def test_a_prior_narrower_than_the_grid_resolves_is_refused(tutoring, default_grid):
    """The review's case: prior_sd = 0.05 on a grid whose cells are 0.55 wide. It used to
    give a posterior SD of the method effect of 0.07 where the truth is 0.05."""
    assert default_grid.min_prior_sd == pytest.approx(7 * 2.5 * 2 / 64 / 1.5)
    with pytest.raises(ValueError, match="narrower than this grid resolves"):
        default_grid.summary(prior_sd=0.05)
    fine = TutoringPosterior(tutoring, max_prior_sd=0.1).summary(prior_sd=0.05)
    assert fine.sd["method"] == pytest.approx(0.05, rel=0.01)  # the data say little


def test_a_posterior_narrower_than_the_grid_warns_and_says_so(tutoring):
    """Many sites pin the coefficients down: a coarse grid cannot resolve them."""
    from course_utils.simulate import simulate_tutoring

    frame = simulate_tutoring(300, 20, 0.0, 0.0, 0.5, rng=1)
    grid = TutoringPosterior(frame, n_beta=16, n_log_sigma=16)
    with pytest.warns(IntegrationWarning, match="narrower than this grid resolves"):
        summary = grid.summary()
    assert summary.warnings and "n_beta" in summary.warnings[0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert TutoringPosterior(tutoring).summary().warnings == ()


def test_the_exact_posterior_does_not_load_pymc():
    """A numpy-only grid: importing it must not pull in PyMC (seconds of start-up)."""
    import subprocess

    code = "import sys, course_utils.tutoring_posterior; print('pymc' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr


def test_bad_data_is_refused():
    with pytest.raises(ValueError, match="passed"):
        TutoringPosterior(pd.DataFrame({"site_id": [1], "method": [0], "passed": [2]}))
    with pytest.raises(ValueError, match="missing the column"):
        TutoringPosterior(pd.DataFrame({"site_id": [1], "method": [0]}))


def test_expit_identity_used_by_the_grid():
    # the grid's kernel k*a - n*log(1 + e^a) is the binomial log-likelihood without the
    # binomial coefficient
    a = np.linspace(-5, 5, 11)
    np.testing.assert_allclose(
        2 * a - 3 * np.logaddexp(0, a),
        stats.binom.logpmf(2, 3, special.expit(a)) - np.log(3),
    )


def test_population_difference_matches_quadrature(tutoring):
    grid = TutoringPosterior(tutoring, n_beta=8, n_log_sigma=8)
    for i, j, k in [(4, 2, 6), (3, 4, 4), (2, 5, 7)]:
        b0, b1, sigma = grid.beta[i], grid.beta[j], grid.sigma[k]

        def mean_pass(eta, sigma=sigma):
            value, _ = integrate.quad(
                lambda z: special.expit(eta + sigma * z) * stats.norm.pdf(z),
                -12,
                12,
                epsabs=1e-13,
                epsrel=1e-12,
                limit=500,
            )
            return value

        expected = mean_pass(b0 + b1) - mean_pass(b0)
        assert grid.population_difference[i, j, k] == pytest.approx(expected, abs=1e-6)
