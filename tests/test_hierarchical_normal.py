"""The hierarchical normal model (eight schools) against independent integrals, closed
forms and NUTS."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, stats

from course_utils import hierarchical_normal as es

Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
SIGMA = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])


def density_mu_log_tau(mu: float, lam2: float) -> float:
    """p(mu, log tau | y) up to a constant, written independently: y_j ~ N(mu, s_j^2+tau^2)."""
    tau = np.exp(lam2)
    return float(np.exp(np.sum(stats.norm.logpdf(Y, mu, np.sqrt(SIGMA**2 + tau**2))) + lam2 + 30))


def double_integral(function) -> float:
    """E(function(mu, tau) | y) by 2-d adaptive quadrature over (mu, log tau)."""
    options = {"epsabs": 0, "epsrel": 1e-10, "limit": 200}
    lam_ranges = [(-45, -5), (-5, 0), (0, 2), (2, 4), (4, 8)]

    def mu_range(lam2: float) -> tuple[float, float]:
        """mu | tau, y is normal: 12 of its SDs either side of its mean hold everything."""
        weights = 1 / (SIGMA**2 + np.exp(2 * lam2))
        centre, spread = np.sum(weights * Y) / np.sum(weights), np.sqrt(1 / np.sum(weights))
        return centre - 12 * spread, centre + 12 * spread

    def integral(g) -> float:
        total = 0.0
        for low, high in lam_ranges:
            total += integrate.nquad(
                lambda mu, lam2: g(mu, np.exp(lam2)) * density_mu_log_tau(mu, lam2),
                [mu_range, (low, high)],
                opts=[options, options],
            )[0]
        return total

    return integral(function) / integral(lambda mu, tau: 1.0)


@pytest.fixture(scope="module")
def exact():
    return es.exact_posterior(Y, SIGMA, names=list("ABCDEFGH"))


def test_log_marginal_posterior_differs_from_a_direct_formula_by_a_constant():
    rng = np.random.default_rng(0)
    lam1, lam2 = rng.normal(8, 5, 10), rng.normal(1.5, 1.5, 10)
    direct = np.array([np.log(density_mu_log_tau(a, b)) for a, b in zip(lam1, lam2, strict=True)])
    ours = es.log_marginal_posterior(lam1, lam2, Y, SIGMA)
    assert np.ptp(ours - direct) < 1e-9
    grid = es.log_marginal_posterior(lam1[:, None], lam2[None, :], Y, SIGMA)
    assert grid.shape == (10, 10)


def test_exact_hyperparameters_match_a_two_dimensional_integration(exact):
    hyper = exact.attrs["hyper"]
    assert hyper.loc["mu", "mean"] == pytest.approx(double_integral(lambda m, t: m), abs=1e-4)
    assert hyper.loc["tau", "mean"] == pytest.approx(double_integral(lambda m, t: t), abs=1e-4)
    tau_second = double_integral(lambda m, t: t**2)
    assert hyper.loc["tau", "sd"] == pytest.approx(
        np.sqrt(tau_second - hyper.loc["tau", "mean"] ** 2), abs=1e-4
    )


def test_exact_school_a_and_probabilities_match_a_two_dimensional_integration(exact):
    def theta_a_mean(mu, tau):
        theta_hat, _ = es.conditional_theta(mu, tau, Y, SIGMA)
        return float(theta_hat[0])

    def theta_a_above_28(mu, tau):
        theta_hat, variance = es.conditional_theta(mu, tau, Y, SIGMA)
        return float(stats.norm.sf(28, theta_hat[0], np.sqrt(variance[0])))

    assert exact.loc["A", "mean"] == pytest.approx(double_integral(theta_a_mean), abs=1e-4)
    assert es.prob_exceeds(Y, SIGMA, 0, 28.0) == pytest.approx(
        double_integral(theta_a_above_28), abs=1e-5
    )


def test_exact_posterior_is_converged_against_a_fine_log_tau_grid(exact):
    """The same quantities from a trapezoid rule on a very wide, fine grid of log tau."""
    lam2 = np.linspace(-60, 12, 200_001)
    tau = np.exp(lam2)
    weights = 1 / (SIGMA**2 + tau[:, None] ** 2)
    mu_hat = (weights * Y).sum(axis=1) / weights.sum(axis=1)
    v_mu = 1 / weights.sum(axis=1)
    log_density = (
        0.5 * np.log(v_mu)
        + 0.5 * np.log(weights).sum(axis=1)
        - 0.5 * (weights * (Y - mu_hat[:, None]) ** 2).sum(axis=1)
        + lam2
    )
    density = np.exp(log_density - log_density.max())
    density /= np.trapezoid(density, lam2)
    b = SIGMA**2 / (SIGMA**2 + tau[:, None] ** 2)
    theta_mean = (1 - b) * Y + b * mu_hat[:, None]
    np.testing.assert_allclose(
        exact["mean"], np.trapezoid(density[:, None] * theta_mean, lam2, axis=0), atol=1e-6
    )
    np.testing.assert_allclose(
        exact["shrinkage"], np.trapezoid(density[:, None] * b, lam2, axis=0), atol=1e-6
    )
    # tau's density vanishes only like tau in log tau: stopping at log tau = -8 loses mass
    assert np.trapezoid(density[lam2 < -8], lam2[lam2 < -8]) > 1e-5


def test_prob_greater_is_consistent(exact):
    p_ac = es.prob_greater(Y, SIGMA, 0, 2)
    assert p_ac + es.prob_greater(Y, SIGMA, 2, 0) == pytest.approx(1.0, abs=1e-10)
    assert 0.5 < p_ac < 1  # A has the larger estimate

    def a_minus_c_positive(mu, tau):
        theta_hat, variance = es.conditional_theta(mu, tau, Y, SIGMA)
        spread = np.sqrt(variance[0] + variance[2])
        return float(stats.norm.sf(0, theta_hat[0] - theta_hat[2], spread))

    assert p_ac == pytest.approx(double_integral(a_minus_c_positive), abs=1e-5)


def test_conditional_theta_limits_and_formula():
    theta_hat, variance = es.conditional_theta(5.0, 1e-6, Y, SIGMA)
    np.testing.assert_allclose(theta_hat, 5.0, atol=1e-6)  # tau -> 0: complete pooling
    theta_hat, variance = es.conditional_theta(5.0, 1e6, Y, SIGMA)
    np.testing.assert_allclose(theta_hat, Y, atol=1e-6)  # tau -> inf: no pooling
    np.testing.assert_allclose(variance, SIGMA**2, rtol=1e-6)
    mu, tau = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    theta_hat, variance = es.conditional_theta(mu, tau, Y, SIGMA)
    assert theta_hat.shape == (3, 8)
    b = es.shrinkage(tau, SIGMA)
    np.testing.assert_allclose(theta_hat, (1 - b) * Y + b * mu[:, None])
    np.testing.assert_allclose(variance, (1 - b) * SIGMA**2)


def test_draw_theta_follows_the_conditional_normal():
    rng = np.random.default_rng(1)
    n = 200_000
    draws = es.draw_theta(np.full(n, 4.0), np.full(n, 6.0), Y, SIGMA, rng)
    theta_hat, variance = es.conditional_theta(4.0, 6.0, Y, SIGMA)
    se = np.sqrt(variance / n)
    assert (np.abs(draws.mean(axis=0) - theta_hat) < 4 * se).all()
    np.testing.assert_allclose(draws.var(axis=0), variance, rtol=0.02)


def test_shrinkage_order_follows_sigma():
    b = es.shrinkage(6.0, SIGMA)
    assert (np.argsort(np.argsort(b)) == np.argsort(np.argsort(SIGMA))).sum() >= 6  # ties
    assert np.all(np.diff(b[np.argsort(SIGMA)]) >= 0)


def test_posterior_mode_is_a_maximum_with_the_right_curvature():
    mode, cov = es.posterior_mode(Y, SIGMA)
    step = 1e-5
    for i in range(2):
        e = np.eye(2)[i] * step
        slope = (
            es.log_marginal_posterior(*(mode + e), Y, SIGMA)
            - es.log_marginal_posterior(*(mode - e), Y, SIGMA)
        ) / (2 * step)
        assert abs(slope) < 1e-5
    # a quadratic fitted through points around the mode has the inverse Hessian as cov
    h = 0.01
    f = lambda d: float(es.log_marginal_posterior(*(mode + d), Y, SIGMA))  # noqa: E731
    hess = np.empty((2, 2))
    for i in range(2):
        for j in range(2):
            ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
            hess[i, j] = (f(ei + ej) - f(ei - ej) - f(-ei + ej) + f(-ei - ej)) / (4 * h * h)
    np.testing.assert_allclose(np.linalg.inv(-hess), cov, rtol=1e-3)


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda: es.exact_posterior(Y * 1e300, SIGMA * 1e300), ValueError, "rescale the data"),
        (lambda: es.exact_posterior(Y, SIGMA, names=list("ABCDEFGA")), ValueError, "distinct"),
        (lambda: es.TauPriorSweep(Y, SIGMA, names=list("ABCDEFG")), ValueError, "8 labels"),
        (lambda: es.exact_posterior(Y, SIGMA[:-1]), ValueError, "same length"),
        (lambda: es.exact_posterior(Y, -SIGMA), ValueError, "sigma must be positive"),
        (lambda: es.exact_posterior(np.append(Y[:-1], np.nan), SIGMA), ValueError, "NaN"),
        (lambda: es.exact_posterior(Y, SIGMA, tau_prior="cauchy"), ValueError, "tau_prior"),
        (lambda: es.exact_posterior(Y, SIGMA, tau_prior="half-normal"), TypeError, "tau_scale"),
        (lambda: es.exact_posterior(Y[:4], SIGMA[:4]), ValueError, "at least 5 groups"),
        (lambda: es.exact_posterior(list("abcdefgh"), SIGMA), TypeError, "y must hold"),
        (lambda: es.prob_greater(Y, SIGMA, 0, 0), ValueError, "different"),
        (lambda: es.prob_exceeds(Y, SIGMA, 8, 0.0), ValueError, "from 0 to 7"),
        (lambda: es.prob_exceeds(Y, SIGMA, 1.0, 0.0), TypeError, "j must be an integer"),
        (lambda: es.conditional_theta(0.0, -1.0, Y, SIGMA), ValueError, "tau must be positive"),
        (lambda: es.shrinkage(0.0, SIGMA), ValueError, "tau must be positive"),
        (lambda: es.draw_theta(0.0, 1.0, Y, SIGMA, rng=1), TypeError, "rng"),
        (lambda: es.log_marginal_posterior(np.nan, 0.0, Y, SIGMA), ValueError, "NaN"),
        (lambda: es.log_marginal_posterior([0, 1], [0, 1, 2], Y, SIGMA), ValueError, "broadcast"),
    ],
)
def test_bad_input_is_refused(call, error, message):
    with pytest.raises(error, match=message):
        call()


def test_the_model_is_scale_equivariant_within_its_limits(exact):
    """Other units, same answer: the posterior of y * c is c times the posterior of y."""
    scaled = es.exact_posterior(Y * 1e40, SIGMA * 1e40, names=list("ABCDEFGH"))
    np.testing.assert_allclose(scaled.to_numpy(), exact.to_numpy() * [1e40, 1e40, 1], rtol=1e-7)


def test_proper_priors_shrink_more_than_flat(exact):
    tight = es.exact_posterior(Y, SIGMA, tau_prior="half-normal", tau_scale=2.0)
    assert tight.attrs["hyper"].loc["tau", "mean"] < exact.attrs["hyper"].loc["tau", "mean"]
    assert (tight["shrinkage"].to_numpy() > exact["shrinkage"].to_numpy()).all()


@pytest.mark.parametrize("groups", [8, 5])
def test_tau_prior_sweep_matches_adaptive_quadrature(groups):
    """The fixed rule against quad_vec for every prior, scales over seven decades; five
    groups is the heaviest tail a flat prior allows (tau^2 p(tau | y) ~ tau^-2)."""
    y, sigma = Y[:groups], SIGMA[:groups]
    sweep = es.TauPriorSweep(y, sigma)
    priors = [("flat", None)] + [
        (prior, scale)
        for prior in ("half-normal", "half-cauchy")
        for scale in (0.005, 0.1, 1.0, 5.0, 25.0, 100.0, 1e4)
    ]
    for prior, scale in priors:
        adaptive = es.exact_posterior(y, sigma, prior, scale)
        fixed = sweep.exact_posterior(prior, scale)
        np.testing.assert_allclose(fixed.to_numpy(), adaptive.to_numpy(), rtol=0, atol=1e-9)
        np.testing.assert_allclose(
            fixed.attrs["hyper"].to_numpy(), adaptive.attrs["hyper"].to_numpy(), atol=1e-9
        )


def test_tau_prior_sweep_refuses_what_it_cannot_resolve():
    sweep = es.TauPriorSweep(Y, SIGMA)
    with pytest.raises(ValueError, match="tau_scale must be at least"):
        sweep.exact_posterior("half-normal", 1e-4)
    with pytest.raises(ValueError, match="tau_scale"):
        sweep.exact_posterior("half-cauchy", -1.0)
    with pytest.raises(ValueError, match="at least 5 groups"):
        es.TauPriorSweep(Y[:4], SIGMA[:4])
    with pytest.raises(ValueError, match="sigma must be positive"):
        es.TauPriorSweep(Y, -SIGMA)
