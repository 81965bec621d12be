"""Profile likelihood and parametric-bootstrap LRT of course_utils.glmm."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize, stats

from course_utils.data import load_tutoring
from course_utils.glmm import (
    BoundaryFitWarning,
    _Deviance,
    _parse,
    bootstrap_lrt,
    glmer,
    lrt,
    profile_deviance,
    profile_interval,
)

FULL = "passed ~ method + (1 | site_id)"
NULL = "passed ~ 1 + (1 | site_id)"


@pytest.fixture(scope="module")
def tutoring():
    return load_tutoring()


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


def test_bootstrap_statistics_follow_roughly_chi_square_on_large_data():
    """With many sites the LRT is close to chi-square(1): its mean is near 1."""
    from course_utils.simulate import simulate_tutoring

    frame = simulate_tutoring(60, 8, 0.0, 0.0, 1.0, rng=4)
    result = bootstrap_lrt(NULL, FULL, frame, n_boot=150, rng=5)
    se = np.sqrt(2 / 150)  # SD of chi-square(1) is sqrt(2)
    assert abs(result.statistics.mean() - 1.0) < 4 * se


def test_bootstrap_rejects_bad_n_boot(tutoring):
    with pytest.raises(ValueError, match="n_boot"):
        bootstrap_lrt(NULL, FULL, tutoring, n_boot=0)
