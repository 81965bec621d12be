"""The reference PyMC models: log densities written out by hand, and NUTS against exact
posteriors within Monte Carlo error."""

from __future__ import annotations

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytest
from scipy import special, stats

from course_utils import models
from course_utils.checks import AnswerError, check_same_model
from course_utils.data import load_tutoring
from course_utils.exact import TutoringPosterior


@pytest.fixture(scope="module")
def tutoring() -> pd.DataFrame:
    return load_tutoring()


def test_beta_binomial_log_density_by_hand():
    model = models.beta_binomial(12, 5)
    logp = model.compile_logp(jacobian=False)
    for p in (0.1, 0.42, 0.9):
        expected = stats.beta.logpdf(p, 1, 1) + stats.binom.logpmf(5, 12, p)
        assert float(logp({"p_logodds__": special.logit(p)})) == pytest.approx(expected)


def test_tutoring_log_density_by_hand(tutoring):
    model = models.tutoring_mixed_logit(tutoring, prior_sd=2.0, site_sd_prior_sd=1.5)
    assert sorted(v.name for v in model.free_RVs) == ["intercept", "method", "sigma_site", "z"]
    assert list(model.coords["site"]) == [1, 2, 3, 4, 5, 6]
    logp = model.compile_logp(jacobian=False)
    rng = np.random.default_rng(3)
    site = tutoring["site_id"].to_numpy() - 1
    for _ in range(4):
        b0, b1, sigma = rng.normal(), rng.normal(), rng.gamma(2.0)
        z = rng.normal(size=6)
        eta = b0 + b1 * tutoring["method"].to_numpy() + sigma * z[site]
        expected = (
            stats.norm.logpdf([b0, b1], 0, 2.0).sum()
            + stats.halfnorm.logpdf(sigma, scale=1.5)
            + stats.norm.logpdf(z).sum()
            + stats.bernoulli.logpmf(tutoring["passed"], special.expit(eta)).sum()
        )
        point = {"intercept": b0, "method": b1, "sigma_site_log__": np.log(sigma), "z": z}
        assert float(logp(point)) == pytest.approx(expected, rel=1e-8)


def test_check_same_model_accepts_equivalent_and_refuses_different_models():
    reference = models.beta_binomial(10, 3)
    with pm.Model() as uniform_prior:  # Uniform(0, 1) is Beta(1, 1)
        p = pm.Uniform("p", 0, 1)
        pm.Binomial("r", n=10, p=p, observed=3)
    assert "Correct" in check_same_model("model", uniform_prior, reference)
    with pm.Model() as wrong_data:
        p = pm.Beta("p", 1, 1)
        pm.Binomial("r", n=10, p=p, observed=4)
    with pytest.raises(AnswerError, match="log density"):
        check_same_model("model", wrong_data, reference)
    with pm.Model() as wrong_name:
        theta = pm.Beta("theta", 1, 1)
        pm.Binomial("r", n=10, p=theta, observed=3)
    with pytest.raises(AnswerError, match="free variables"):
        check_same_model("model", wrong_name, reference)
    with pm.Model() as wrong_observed:
        p = pm.Beta("p", 1, 1)
        pm.Binomial("successes", n=10, p=p, observed=3)
    with pytest.raises(AnswerError, match="observed variables"):
        check_same_model("model", wrong_observed, reference)
    with pytest.raises(AnswerError, match=r"pymc\.Model"):
        check_same_model("model", None, reference)


@pytest.mark.parametrize(
    "n, r, message",
    [
        (0, 0, "n must be at least 1"),
        (5, 6, "r must be at most"),
        (5, -1, "r must be at least 0"),
        (5.5, 2, "n must be an integer"),
    ],
)
def test_beta_binomial_refuses_bad_counts(n, r, message):
    with pytest.raises(ValueError, match=message):
        models.beta_binomial(n, r)


def test_tutoring_model_refuses_bad_input(tutoring):
    with pytest.raises(ValueError, match="prior_sd"):
        models.tutoring_mixed_logit(tutoring, prior_sd=-1.0)
    with pytest.raises(ValueError, match="site_sd_prior_sd"):
        models.tutoring_mixed_logit(tutoring, site_sd_prior_sd=float("nan"))
    bad = tutoring.assign(passed=tutoring["passed"] * 2)
    with pytest.raises(ValueError, match="'passed' must be binary"):
        models.tutoring_mixed_logit(bad)
    with pytest.raises(ValueError, match="missing the column"):
        models.tutoring_mixed_logit(tutoring.drop(columns="method"))
    with pytest.raises(ValueError, match="missing values"):
        models.tutoring_mixed_logit(tutoring.assign(site_id=np.nan))


def sample(model: pm.Model, seed: int):
    return pm.sample(
        model=model, chains=4, tune=1000, draws=1000, random_seed=seed, progressbar=False
    )


def assert_converged(idata, var_names):
    summary = az.summary(idata, var_names=var_names, round_to="none")
    assert (summary["r_hat"] <= 1.01).all(), summary
    assert (summary["ess_bulk"] >= 400).all(), summary
    assert int(idata.sample_stats["diverging"].sum()) == 0
    return summary


def test_beta_binomial_nuts_matches_the_beta_posterior():
    idata = sample(models.beta_binomial(20, 6), seed=11)
    summary = assert_converged(idata, ["p"])
    exact = stats.beta(1 + 6, 1 + 14)
    assert abs(summary.loc["p", "mean"] - exact.mean()) < 4 * summary.loc["p", "mcse_mean"]
    assert abs(summary.loc["p", "sd"] - exact.std()) < 4 * summary.loc["p", "mcse_sd"]


def test_tutoring_nuts_matches_numerical_integration(tutoring):
    idata = sample(models.tutoring_mixed_logit(tutoring), seed=12)
    summary = assert_converged(idata, ["intercept", "method", "sigma_site", "u"])
    exact = TutoringPosterior(tutoring).summary()
    for name in ("intercept", "method", "sigma_site"):
        row = summary.loc[name]
        assert abs(row["mean"] - exact.mean[name]) < 4 * row["mcse_mean"], name
        assert abs(row["sd"] - exact.sd[name]) < 4 * row["mcse_sd"], name
    for site, value in exact.site_effects.items():
        row = summary.loc[f"u[{site}]"]
        assert abs(row["mean"] - value) < 4 * row["mcse_mean"], site
    negative = (idata.posterior["method"] < 0).astype(float).rename("negative")
    share = az.summary(negative.to_dataset(), round_to="none").loc["negative"]
    assert abs(share["mean"] - exact.prob_method_negative) < 4 * share["mcse_mean"]


def test_model_signature_split_gives_check_same_model_verdicts():
    """check_same_model = reference_points + model_signature + compare_model_signatures,
    so the grader can compare models from plain data (names and numbers)."""
    from course_utils.checks import compare_model_signatures, model_signature, reference_points

    reference = models.beta_binomial(10, 3)
    points = reference_points(reference, n_points=3, seed=5)
    assert [sorted(p) for p in points] == [["p"]] * 3
    expected = model_signature(reference, points)
    by_hand = [stats.beta.logpdf(p["p"], 1, 1) + stats.binom.logpmf(3, 10, p["p"]) for p in points]
    np.testing.assert_allclose(expected["logp"], by_hand, rtol=1e-10)
    with pm.Model() as uniform_prior:
        pm.Binomial("r", n=10, p=pm.Uniform("p", 0, 1), observed=3)
    compare_model_signatures("m", model_signature(uniform_prior, points), expected)
    with pm.Model() as wrong_data:
        pm.Binomial("r", n=10, p=pm.Beta("p", 1, 1), observed=4)
    with pytest.raises(AnswerError, match="log density"):
        compare_model_signatures("m", model_signature(wrong_data, points), expected)
    with pm.Model() as wrong_shape:
        pm.Binomial("r", n=10, p=pm.Beta("p", 1, 1, shape=2), observed=[3, 3])
    signature = model_signature(wrong_shape, points)
    assert all(isinstance(v, str) for v in signature["logp"])
    with pytest.raises(AnswerError, match="cannot be evaluated"):
        compare_model_signatures("m", signature, expected)
    assert len(reference_points(reference, n_points=1, seed=1)) == 1
