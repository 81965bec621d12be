"""course_utils.glmm against exact integration and on awkward data; its warnings; the
likelihood-ratio test, the profile likelihood and the parametric bootstrap.
(Agreement with R's lme4 is in test_glmm_lme4.py.)"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import integrate, optimize, special, stats

from course_utils.exceptions import (
    BoundaryFitWarning,
    ConvergenceWarning,
    HessianInversionWarning,
    ModelWarning,
    PerfectSeparationWarning,
)
from course_utils.glmm import (
    GlmerFit,
    _Deviance,
    _parse,
    bootstrap_lrt,
    glmer,
    lrt,
    profile_deviance,
    profile_interval,
)
from course_utils.simulate import simulate_tutoring

FULL = "passed ~ method + (1 | site_id)"
NULL = "passed ~ 1 + (1 | site_id)"


def exact_deviance(theta: float, beta: np.ndarray, frame: pd.DataFrame, formula: str) -> float:
    """-2 log-likelihood by adaptive quadrature (scipy.quad) of each group's integral."""
    design = _parse(formula, frame)
    offset = design.X @ beta
    total = 0.0
    for g in range(len(design.group_levels)):
        rows = design.group_index == g
        y, eta0 = design.y[rows], offset[rows]

        def integrand(z, y=y, eta0=eta0):
            eta = eta0 + theta * z
            return math.exp(np.sum(y * eta - np.logaddexp(0.0, eta))) * stats.norm.pdf(z)

        value, _ = integrate.quad(integrand, -np.inf, np.inf, epsabs=0, epsrel=1e-12, limit=200)
        total += math.log(value)
    return -2.0 * total


@pytest.mark.parametrize(
    ("theta", "beta", "rel"),
    # Near the fit (theta about 3.5) AGQ with 25 nodes is exact to 1e-8; far out in the
    # tails, with a very large SD, the integrands stop looking Gaussian and it is 1e-4.
    [(0.5, [0.2, -1.0], 1e-10), (3.0, [1.0, -3.3], 1e-7), (8.0, [2.0, -5.0], 1e-4)],
)
def test_adaptive_quadrature_equals_exact_integration(tutoring, theta, beta, rel):
    deviance = _Deviance(_parse(FULL, tutoring), nagq=25)
    params = np.array([theta, *beta])
    exact = exact_deviance(theta, np.array(beta), tutoring, FULL)
    assert deviance(params) == pytest.approx(exact, rel=rel)


def test_quadrature_error_shrinks_with_more_nodes(tutoring):
    params = np.array([3.5, 1.1, -3.5])
    exact = exact_deviance(3.5, params[1:], tutoring, FULL)
    errors = [
        abs(_Deviance(_parse(FULL, tutoring), nagq=k)(params) - exact) for k in (1, 3, 7, 25)
    ]
    assert errors == sorted(errors, reverse=True) and errors[-1] < 1e-6 * exact
    assert errors[0] > 0.5  # the Laplace approximation is visibly off on 4 students a site


def test_laplace_is_exact_for_a_gaussian_integrand_limit(tutoring):
    """At theta = 0 the integral is trivial: Laplace, AGQ and exact all agree."""
    params = np.array([0.0, 0.3, -1.2])
    laplace = _Deviance(_parse(FULL, tutoring), nagq=1)(params)
    agq = _Deviance(_parse(FULL, tutoring), nagq=25)(params)
    eta = 0.3 - 1.2 * tutoring["method"].to_numpy()
    y = tutoring["passed"].to_numpy()
    plain = -2.0 * np.sum(y * eta - np.logaddexp(0.0, eta))
    assert laplace == pytest.approx(plain, rel=1e-12) and agq == pytest.approx(plain, rel=1e-12)


def test_agq_fit_maximizes_the_exact_likelihood(tutoring):
    fit = glmer(FULL, tutoring, nagq=25)
    start = np.array([fit.re_sd, *fit.fixed["estimate"]])
    exact = optimize.minimize(
        lambda p: exact_deviance(abs(p[0]), p[1:], tutoring, FULL),
        start + np.array([0.3, -0.2, 0.2]),
        method="Nelder-Mead",
        options={"xatol": 1e-7, "fatol": 1e-10, "maxiter": 4000},
    )
    assert fit.deviance == pytest.approx(exact.fun, rel=1e-7)
    np.testing.assert_allclose(np.abs(exact.x[0]), fit.re_sd, rtol=1e-3)
    np.testing.assert_allclose(exact.x[1:], fit.fixed["estimate"], rtol=1e-3)


def test_fit_attributes_are_consistent(tutoring):
    fit = glmer(FULL, tutoring)
    assert isinstance(fit, GlmerFit)
    assert fit.deviance == pytest.approx(-2 * fit.loglik)
    assert fit.aic == pytest.approx(fit.deviance + 2 * 3)
    assert fit.bic == pytest.approx(fit.deviance + math.log(24) * 3)
    assert fit.re_variance == pytest.approx(fit.re_sd**2)
    assert list(fit.fixed.index) == ["Intercept", "method"]
    assert list(fit.fixed.columns) == ["estimate", "se", "z", "p"]
    row = fit.fixed.loc["method"]
    assert row.z == pytest.approx(row.estimate / row.se)
    assert row.p == pytest.approx(2 * stats.norm.sf(abs(row.z)))
    assert np.sqrt(fit.vcov.loc["method", "method"]) == pytest.approx(row.se)
    assert len(fit.random_effects) == 6 and fit.n_groups == 6


def test_summary_reads_like_lme4(tutoring):
    text = glmer(FULL, tutoring).summary()
    for piece in (
        "Laplace Approximation",
        "Formula: passed ~ method + (1 | site_id)",
        "AIC       BIC    logLik  deviance  df.resid",
        "Random effects:",
        "site_id    (Intercept)",
        "Number of obs: 24, groups:  site_id, 6",
        "Fixed effects:",
        "Correlation of Fixed Effects:",
    ):
        assert piece in text, piece


def test_lrt_table(tutoring):
    m1, m0 = glmer(FULL, tutoring), glmer(NULL, tutoring)
    table = lrt(m0, m1)
    assert list(table.columns) == ["npar", "aic", "bic", "loglik", "deviance", "chisq", "df", "p"]
    assert table.loc["m1", "chisq"] == pytest.approx(2 * (m1.loglik - m0.loglik))
    assert table.loc["m1", "p"] == pytest.approx(stats.chi2.sf(table.loc["m1", "chisq"], 1))
    assert table["npar"].tolist() == [2, 3]
    assert lrt(m1, m0).loc["m1", "chisq"] == pytest.approx(table.loc["m1", "chisq"])


def test_lrt_rejects_fits_that_do_not_match(tutoring):
    m1 = glmer(FULL, tutoring)
    with pytest.raises(ValueError, match="same data"):
        lrt(glmer(NULL, tutoring, nagq=5), m1)
    with pytest.raises(ValueError, match="not nested"):
        lrt(m1, m1)
    with pytest.raises(TypeError, match="m0 must be a GlmerFit"):
        lrt("m0", m1)


def test_lrt_rejects_fits_of_other_data_of_the_same_size(tutoring):
    """The review's case: same number of rows, other outcomes; lrt used to compare them."""
    other = tutoring.assign(passed=1 - tutoring["passed"])
    with pytest.raises(ValueError, match="same data"):
        lrt(glmer(NULL, other), glmer(FULL, tutoring))
    shuffled_sites = tutoring.assign(site_id=tutoring["site_id"].to_numpy()[::-1])
    with pytest.raises(ValueError, match="same data"):
        lrt(glmer(NULL, shuffled_sites), glmer(FULL, tutoring))


def test_lrt_rejects_models_that_are_not_nested(tutoring):
    frame = tutoring.assign(other=np.arange(len(tutoring)) % 3, third=np.arange(len(tutoring)) % 2)
    small = glmer("passed ~ other + (1 | site_id)", frame)
    large = glmer("passed ~ method + third + (1 | site_id)", frame)
    with pytest.raises(ValueError, match="not nested"):
        lrt(small, large)


def simulate(n_groups, size, beta0, beta1, sigma, seed):
    rng = np.random.default_rng(seed)
    group = np.repeat(np.arange(n_groups), size)
    x = rng.integers(0, 2, size=group.size)
    u = rng.normal(0.0, sigma, size=n_groups)
    y = rng.random(group.size) < special.expit(beta0 + beta1 * x + u[group])
    return pd.DataFrame({"g": group, "x": x, "y": y.astype(int)})


def test_recovers_known_parameters_on_large_data():
    frame = simulate(300, 20, beta0=-0.5, beta1=1.0, sigma=1.2, seed=11)
    fit = glmer("y ~ x + (1 | g)", frame, nagq=10)
    assert abs(fit.fixed.loc["x", "estimate"] - 1.0) < 3 * fit.fixed.loc["x", "se"]
    assert abs(fit.fixed.loc["Intercept", "estimate"] + 0.5) < 3 * fit.fixed.loc["Intercept", "se"]
    assert 0.9 < fit.re_sd < 1.5


def test_awkward_groups_converge():
    """Unbalanced groups, all-0 and all-1 groups, and a group of size one."""
    frame = pd.DataFrame(
        {
            "g": [1, 1, 1, 2, 2, 2, 2, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5],
            "x": [0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1],
            "y": [1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0],
        }
    )
    for nagq in (1, 25):
        with warnings.catch_warnings():
            warnings.simplefilter("error", ModelWarning)  # none: a clean fit
            fit = glmer("y ~ x + (1 | g)", frame, nagq=nagq)
        assert (
            fit.converged and np.isfinite(fit.loglik) and np.isfinite(fit.fixed.to_numpy()).all()
        )
        # No parameter value does better: a small random search around the optimum.
        deviance = _Deviance(_parse("y ~ x + (1 | g)", frame), nagq)
        best = np.array([fit.re_sd, *fit.fixed["estimate"]])
        rng = np.random.default_rng(3)
        for _ in range(200):
            trial = best + rng.normal(scale=0.05, size=3)
            assert deviance(trial) >= fit.deviance - 1e-7


def test_zero_variance_warns_and_reports_boundary():
    # Every group has the same outcomes: no between-group variation at all.
    frame = pd.DataFrame({"g": np.repeat([1, 2, 3, 4], 4), "x": [0, 1] * 8, "y": [1, 0, 0, 1] * 4})
    with pytest.warns(BoundaryFitWarning, match="estimated as zero"):
        fit = glmer("y ~ x + (1 | g)", frame)
    assert fit.boundary and fit.re_variance == 0.0
    assert "boundary (singular) fit" in fit.summary()
    assert np.isfinite(fit.fixed["se"]).all()
    assert fit.warnings == (
        "boundary (singular) fit: the variance of the random intercept for 'g' is estimated "
        "as zero.",
    )


def test_a_clean_fit_has_no_warnings_and_its_summary_none(tutoring):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fit = glmer(FULL, tutoring)
    assert fit.warnings == () and fit.converged
    assert "Warnings" not in fit.summary()


@pytest.mark.parametrize(
    "outcome",
    [
        lambda frame: np.ones(len(frame), dtype=int),  # everybody passed: intercept to +inf
        lambda frame: 1 - frame["method"].to_numpy(),  # the old method passes, the new fails
    ],
    ids=["all_passed", "method_separates"],
)
def test_perfect_separation_warns_and_is_not_converged(tutoring, outcome):
    """The review's silent wrong answer: estimates of 20-56 with converged=True."""
    frame = tutoring.assign(passed=outcome(tutoring))
    with pytest.warns(PerfectSeparationWarning, match="perfect separation"):
        fit = glmer(FULL, frame)
    assert not fit.converged
    assert fit.warnings[0].startswith("perfect separation")
    assert "Warnings:\n[1] perfect separation" in fit.summary()


def test_separation_by_a_site_alone_is_no_separation(tutoring):
    """Sites 3, 5 and 6 are all-pass or all-fail, but a random intercept is finite there
    (partial pooling): the lecture's fit warns about nothing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)
        assert glmer(FULL, tutoring).converged


def test_hessian_and_convergence_warnings(tutoring, monkeypatch):
    """Each warning fires exactly where its condition holds, here forced by replacing the
    optimizer's result with a point that is not an optimum."""
    from course_utils import glmm

    real = glmm._maximize_likelihood

    def off_the_optimum(deviance):
        estimate, _ = real(deviance)
        return estimate + np.array([0.0, 3.0, -3.0]), False

    monkeypatch.setattr(glmm, "_maximize_likelihood", off_the_optimum)
    with pytest.warns(ModelWarning) as record:
        fit = glmer(FULL, tutoring)
    categories = {type(item.message) for item in record}
    assert ConvergenceWarning in categories
    assert not fit.converged
    if fit.fixed["se"].isna().any():
        assert HessianInversionWarning in categories
    assert len(fit.warnings) == len(record)


@pytest.mark.parametrize(
    ("formula", "change", "message"),
    [
        ("passed ~ method + (1 | site_id)", {"passed": 2}, "binary 0/1"),
        ("passed ~ method + (1 | site_id)", {"passed": np.nan}, "missing values"),
        ("passed ~ method + (1 | site_id)", {"site_id": np.nan}, "missing values"),
        ("passed ~ dose + (1 | site_id)", {}, "dose"),
        ("passed ~ method + (1 | school)", {}, "'school' is not in data"),
        ("score ~ method + (1 | site_id)", {}, "'score' is not in data"),
        ("passed ~ method + (method | site_id)", {}, "exactly one random intercept"),
        ("passed ~ method", {}, "exactly one random intercept"),
        ("passed ~ method + (1 | site_id) + (1 | student_id)", {}, "exactly one"),
        ("passed method (1 | site_id)", {}, "formula must be"),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(tutoring, formula, change, message):
    frame = tutoring.astype(float)
    for column, value in change.items():
        frame.loc[0, column] = value
    with pytest.raises(ValueError, match=message):
        glmer(formula, frame)


@pytest.mark.parametrize(
    "nagq, error", [(0, ValueError), (26, ValueError), (1.5, TypeError), (True, TypeError)]
)
def test_bad_nagq_is_rejected(tutoring, nagq, error):
    with pytest.raises(error, match="nagq"):
        glmer(FULL, tutoring, nagq=nagq)


def test_data_must_be_a_frame():
    with pytest.raises(TypeError, match="DataFrame"):
        glmer(FULL, {"passed": [1, 0]})


def test_plug_in_standard_errors_hold_the_sd_fixed(tutoring):
    """se_given_sd inverts the fixed-effects block of the Hessian, here recomputed with a
    five-point stencil; it is never larger than the SE that allows for the SD."""
    fit = glmer(FULL, tutoring)
    deviance = _Deviance(_parse(FULL, tutoring), nagq=1)
    beta = fit.fixed["estimate"].to_numpy()
    h = 1e-3

    def f(b):
        return deviance(np.array([fit.re_sd, *b]))

    def second(i, j):
        ei, ej = np.eye(2)[i] * h, np.eye(2)[j] * h
        if i == j:
            return (
                -f(beta + 2 * ei)
                + 16 * f(beta + ei)
                - 30 * f(beta)
                + 16 * f(beta - ei)
                - f(beta - 2 * ei)
            ) / (12 * h**2)
        return (f(beta + ei + ej) - f(beta + ei - ej) - f(beta - ei + ej) + f(beta - ei - ej)) / (
            4 * h**2
        )

    hessian = np.array([[second(i, j) for j in range(2)] for i in range(2)])
    expected = np.sqrt(np.diag(np.linalg.inv(hessian / 2)))
    np.testing.assert_allclose(fit.se_given_sd.to_numpy(), expected, rtol=1e-4)
    assert (fit.se_given_sd <= fit.fixed["se"] + 1e-12).all()


# ------------------------------------------------- profile likelihood and bootstrap


def brute_force_profile(frame, b: float) -> float:
    """Minimum deviance at method = b: a grid over the SD (intercept optimized at each),
    then a local polish from the best grid point."""
    deviance = _Deviance(_parse(FULL, frame), nagq=1)
    best = (np.inf, None)
    for theta in np.concatenate(([0.0], np.geomspace(0.05, 40, 120))):
        result = optimize.minimize_scalar(
            lambda a, theta=theta: deviance(np.array([theta, a, b])),
            bounds=(-15, 15),
            method="bounded",
            options={"xatol": 1e-7},
        )
        if result.fun < best[0]:
            best = (result.fun, np.array([theta, result.x]))
    polished = optimize.minimize(
        lambda p: deviance(np.array([p[0], p[1], b])),
        best[1],
        method="Nelder-Mead",
        options={"xatol": 1e-8, "fatol": 1e-12},
    )
    return min(best[0], polished.fun)


def test_profile_at_the_estimate_is_the_fit(tutoring):
    fit = glmer(FULL, tutoring)
    estimate = fit.fixed.loc["method", "estimate"]
    profile = profile_deviance(FULL, tutoring, "method", [estimate])
    assert profile["deviance"].iloc[0] == pytest.approx(fit.deviance, abs=1e-6)
    assert profile["re_sd"].iloc[0] == pytest.approx(fit.re_sd, rel=1e-3)


@pytest.mark.parametrize("b", [-12.0, -6.0, -1.0, 0.0, 1.5])
def test_profile_finds_the_global_minimum_over_the_sd(tutoring, b):
    profile = profile_deviance(FULL, tutoring, "method", [b])["deviance"].iloc[0]
    assert profile == pytest.approx(brute_force_profile(tutoring, b), abs=1e-6)


def test_profile_interval_ends_are_at_the_chi_square_cutoff(tutoring):
    fit = glmer(FULL, tutoring)
    low, high = profile_interval(FULL, tutoring, "method")
    cutoff = fit.deviance + stats.chi2.ppf(0.95, 1)
    ends = profile_deviance(FULL, tutoring, "method", [low, high])["deviance"]
    np.testing.assert_allclose(ends, cutoff, atol=1e-4)
    assert low < fit.fixed.loc["method", "estimate"] < high


def test_profile_interval_agrees_with_the_lrt_about_zero(tutoring):
    """0 lies outside the 95% profile interval exactly when the LRT rejects at 5%."""
    low, high = profile_interval(FULL, tutoring, "method")
    lrt_p = lrt(glmer(NULL, tutoring), glmer(FULL, tutoring)).loc["m1", "p"]
    assert (lrt_p < 0.05) == (not low <= 0.0 <= high)


def test_profile_rejects_bad_arguments(tutoring):
    with pytest.raises(ValueError, match="'dose' is not a fixed effect"):
        profile_deviance(FULL, tutoring, "dose", [0.0])
    with pytest.raises(ValueError, match="values"):
        profile_deviance(FULL, tutoring, "method", [np.nan])
    with pytest.raises(ValueError, match="level"):
        profile_interval(FULL, tutoring, "method", level=1.5)


def test_bootstrap_lrt(tutoring):
    result = bootstrap_lrt(NULL, FULL, tutoring, n_boot=40, rng=2)
    observed = lrt(glmer(NULL, tutoring), glmer(FULL, tutoring)).loc["m1", "chisq"]
    assert result.observed == pytest.approx(observed)
    assert result.statistics.shape == (40,) and (result.statistics >= 0).all()
    exceed = np.sum(result.statistics >= result.observed - 1e-9)
    assert result.p_value == pytest.approx((1 + exceed) / 41)
    assert result.chi2_p_value == pytest.approx(stats.chi2.sf(observed, 1))
    again = bootstrap_lrt(NULL, FULL, tutoring, n_boot=40, rng=2)
    np.testing.assert_array_equal(again.statistics, result.statistics)


def test_bootstrap_statistics_are_the_lrt_of_glmer_refits(tutoring):
    """Each simulated data set, made here from the documented recipe (new intercepts from
    the null fit's SD, then Bernoulli outcomes), refitted with glmer: the same statistic."""
    from scipy import special

    result = bootstrap_lrt(NULL, FULL, tutoring, n_boot=6, rng=11)
    null = glmer(NULL, tutoring)
    rng = np.random.default_rng(11)
    sites = sorted(tutoring["site_id"].unique())
    site_row = tutoring["site_id"].map({site: i for i, site in enumerate(sites)}).to_numpy()
    for statistic in result.statistics:
        u = rng.normal(0.0, null.re_sd, size=len(sites))
        p = special.expit(null.fixed.loc["Intercept", "estimate"] + u[site_row])
        simulated = tutoring.assign(passed=(rng.random(len(p)) < p).astype(int))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", BoundaryFitWarning)  # zero SDs happen here
            refit = lrt(glmer(NULL, simulated), glmer(FULL, simulated)).loc["m1", "chisq"]
        assert statistic == pytest.approx(refit, abs=1e-9)


@pytest.mark.slow
def test_bootstrap_statistics_follow_roughly_chi_square_on_large_data():
    """With many sites the LRT is close to chi-square(1): its mean is near 1."""
    frame = simulate_tutoring(60, 8, 0.0, 0.0, 1.0, rng=4)
    result = bootstrap_lrt(NULL, FULL, frame, n_boot=150, rng=5)
    se = np.sqrt(2 / 150)  # SD of chi-square(1) is sqrt(2)
    assert abs(result.statistics.mean() - 1.0) < 4 * se


def test_bootstrap_rejects_bad_n_boot(tutoring):
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_lrt(NULL, FULL, tutoring, n_boot=0)
    with pytest.raises(TypeError, match="rng"):
        bootstrap_lrt(NULL, FULL, tutoring, n_boot=2, rng="seed")


def test_bootstrap_orders_the_models_itself(tutoring):
    """The review's case: null and full swapped gave p = 0.01 and all statistics 0."""
    right = bootstrap_lrt(NULL, FULL, tutoring, n_boot=5, rng=3)
    swapped = bootstrap_lrt(FULL, NULL, tutoring, n_boot=5, rng=3)
    np.testing.assert_array_equal(swapped.statistics, right.statistics)
    assert swapped.p_value == right.p_value and swapped.observed == right.observed
    assert (right.statistics > 0).any()


def test_profile_interval_needs_a_standard_error(tutoring):
    """A fit without a finite SE has no step for the search: refused, not a hang."""
    frame = tutoring.assign(passed=1 - tutoring["method"])
    with pytest.warns(PerfectSeparationWarning), pytest.raises(ValueError, match="standard error"):
        profile_interval(FULL, frame, "method")
