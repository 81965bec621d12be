"""The reference PyMC models: log densities written out by hand, and NUTS (slow) against
exact posteriors within Monte Carlo error."""

from __future__ import annotations

import warnings
from pathlib import Path

import arviz as az
import numpy as np
import pandas as pd
import pymc as pm
import pytensor
import pytest
from scipy import special, stats

from course_utils import hierarchical_normal as es
from course_utils import models
from course_utils.checks import AnswerError, check_same_model
from course_utils.data import load_season_pass
from course_utils.tutoring_posterior import TutoringPosterior

Y = np.array([28.0, 8, -3, 7, -1, 1, 18, 12])
SIGMA = np.array([15.0, 10, 16, 11, 9, 11, 10, 18])
# the 6-row season-pass table, typed in from COURSE.md: (promo, channel) -> (bought, n)
COUNTS = {
    ("NoBundle", "Mail"): (359, 637),
    ("NoBundle", "Park"): (284, 333),
    ("NoBundle", "Email"): (27, 512),
    ("Bundle", "Mail"): (242, 691),
    ("Bundle", "Park"): (639, 862),
    ("Bundle", "Email"): (38, 121),
}
CHANNELS = ["Mail", "Park", "Email"]


@pytest.fixture(scope="module")
def grouped() -> pd.DataFrame:
    return load_season_pass(grouped=True)


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
    with pytest.raises(AnswerError, match=r"returned None \(missing return\?\)"):
        check_same_model("model", None, reference)
    with pytest.raises(AnswerError, match=r"pymc\.Model"):
        check_same_model("model", "p ~ Beta(1, 1)", reference)


def test_check_same_model_needs_at_least_one_point():
    """The review's case: n_points=0 compared nothing and accepted a wrong prior."""
    reference = models.beta_binomial(10, 3)
    with pm.Model() as wrong_prior:
        p = pm.Beta("p", 2, 2)
        pm.Binomial("r", n=10, p=p, observed=3)
    with pytest.raises(ValueError, match="n_points must be from 1 to"):
        check_same_model("model", wrong_prior, reference, n_points=0)
    with pytest.raises(AnswerError, match="log density"):
        check_same_model("model", wrong_prior, reference, n_points=1)
    with pytest.raises(TypeError, match=r"reference must be a pymc\.Model"):
        check_same_model("model", wrong_prior, "reference")


@pytest.mark.parametrize(
    "n, r, error, message",
    [
        (0, 0, ValueError, "n must be at least 1"),
        (5, 6, ValueError, "r must be at most"),
        (5, -1, ValueError, "r must be at least 0"),
        (5.5, 2, TypeError, "n must be an integer"),
    ],
)
def test_beta_binomial_refuses_bad_counts(n, r, error, message):
    with pytest.raises(error, match=message):
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


@pytest.mark.slow
def test_beta_binomial_nuts_matches_the_beta_posterior():
    idata = sample(models.beta_binomial(20, 6), seed=11)
    summary = assert_converged(idata, ["p"])
    exact = stats.beta(1 + 6, 1 + 14)
    assert abs(summary.loc["p", "mean"] - exact.mean()) < 4 * summary.loc["p", "mcse_mean"]
    assert abs(summary.loc["p", "sd"] - exact.std()) < 4 * summary.loc["p", "mcse_sd"]


@pytest.mark.slow
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


# ------------------------------------------------------------------- eight schools


def test_model_log_densities_by_hand():
    centred = models.eight_schools(Y, SIGMA, centered=True).compile_logp(jacobian=False)
    non_centred = models.eight_schools(Y, SIGMA).compile_logp(jacobian=False)
    mu, tau = 3.0, 4.0
    theta = np.linspace(-5, 15, 8)
    eta = (theta - mu) / tau
    expected = stats.norm.logpdf(theta, mu, tau).sum() + stats.norm.logpdf(Y, theta, SIGMA).sum()
    got = centred({"mu": mu, "tau_log__": np.log(tau), "theta": theta})
    assert float(got) == pytest.approx(expected, rel=1e-10)
    expected_nc = stats.norm.logpdf(eta).sum() + stats.norm.logpdf(Y, theta, SIGMA).sum()
    got_nc = non_centred({"mu": mu, "tau_log__": np.log(tau), "eta": eta})
    assert float(got_nc) == pytest.approx(expected_nc, rel=1e-10)


@pytest.mark.slow
def test_non_centred_nuts_matches_the_exact_posterior():
    exact = es.exact_posterior(Y, SIGMA, names=list("ABCDEFGH"))
    idata = pm.sample(
        model=models.eight_schools(Y, SIGMA),
        chains=4,
        tune=1000,
        draws=1000,
        target_accept=0.95,
        random_seed=21,
        progressbar=False,
    )
    summary = az.summary(idata, var_names=["mu", "tau", "theta"], round_to="none")
    assert (summary["r_hat"] <= 1.01).all() and (summary["ess_bulk"] >= 400).all()
    assert int(idata.sample_stats["diverging"].sum()) == 0
    hyper = exact.attrs["hyper"]
    for name in ("mu", "tau"):
        assert (
            abs(summary.loc[name, "mean"] - hyper.loc[name, "mean"])
            < 4 * summary.loc[name, "mcse_mean"]
        )
    for school, row in exact.iterrows():
        estimate = summary.loc[f"theta[{school}]"]
        assert abs(estimate["mean"] - row["mean"]) < 4 * estimate["mcse_mean"], school
        assert abs(estimate["sd"] - row["sd"]) < 4 * estimate["mcse_sd"], school


def test_eight_schools_refuses_a_string_for_centered_and_repeated_names():
    """centered="no" used to build the centred model (a non-empty string is true)."""
    with pytest.raises(TypeError, match="centered must be True or False"):
        models.eight_schools(Y, SIGMA, centered="no")
    with pytest.raises(ValueError, match="distinct"):
        models.eight_schools(Y, SIGMA, names=list("AACDEFGH"))
    assert list(models.eight_schools(Y, SIGMA).coords["school"]) == list("ABCDEFGH")


# ------------------------------------------------------------------- season passes


def binomial_loglik(logit_p: dict) -> float:
    return sum(
        stats.binom.logpmf(bought, n, special.expit(logit_p[key]))
        for key, (bought, n) in COUNTS.items()
    )


def test_baseline_log_density_by_hand(grouped):
    logp = models.season_pass_baseline(grouped).compile_logp(jacobian=False)
    for a, b in [(0.0, 0.0), (-0.2, 0.4), (1.0, -1.5)]:
        eta = {key: a + b * (key[0] == "Bundle") for key in COUNTS}
        expected = stats.norm.logpdf([a, b]).sum() + binomial_loglik(eta)
        assert float(logp({"intercept": a, "promo": b})) == pytest.approx(expected, rel=1e-10)


def test_interaction_log_density_by_hand(grouped):
    logp = models.season_pass_interaction(grouped).compile_logp(jacobian=False)
    rng = np.random.default_rng(0)
    for _ in range(3):
        a, b = rng.normal(size=2)
        channel, promo_channel = rng.normal(size=2), rng.normal(size=2)
        eta = {}
        for promo, name in COUNTS:
            bundle = promo == "Bundle"
            k = CHANNELS.index(name)
            eta[(promo, name)] = (
                a + b * bundle + (channel[k - 1] + bundle * promo_channel[k - 1] if k else 0.0)
            )
        expected = stats.norm.logpdf(np.r_[a, b, channel, promo_channel]).sum() + binomial_loglik(
            eta
        )
        point = {"intercept": a, "promo": b, "channel": channel, "promo_channel": promo_channel}
        assert float(logp(point)) == pytest.approx(expected, rel=1e-10)


def test_multilevel_structure_and_likelihood(grouped):
    model = models.season_pass_multilevel(grouped)
    assert list(model.coords["channel"]) == CHANNELS
    assert {"a_channel", "b_channel", "sd", "correlation"} <= set(model.named_vars)
    # the likelihood at a point: the group effects that the point implies, then by hand
    point = model.initial_point()
    point["z"] = np.random.default_rng(1).normal(size=(2, 3))
    effects = model.replace_rvs_by_values([model["a_channel"], model["b_channel"]])
    inputs = model.value_vars
    a, b = pytensor.function(inputs, effects, on_unused_input="ignore")(
        *[point[v.name] for v in inputs]
    )
    eta = {
        (promo, name): a[CHANNELS.index(name)] + b[CHANNELS.index(name)] * (promo == "Bundle")
        for promo, name in COUNTS
    }
    loglik = pytensor.function(inputs, model.observedlogp)(*[point[v.name] for v in inputs])
    assert float(loglik) == pytest.approx(binomial_loglik(eta), rel=1e-10)


def test_bad_tables_are_refused(grouped):
    with pytest.raises(ValueError, match="no rows"):
        models.season_pass_baseline(grouped.iloc[:0])
    with pytest.raises(TypeError, match="DataFrame"):
        models.season_pass_baseline(grouped.to_dict())
    with pytest.raises(ValueError, match="between 0 and n"):
        models.season_pass_baseline(grouped.assign(bought=grouped["n"] + 1))
    with pytest.raises(ValueError, match="missing the column"):
        models.season_pass_interaction(grouped.drop(columns="n"))
    with pytest.raises(ValueError, match="channel must be one of"):
        models.season_pass_multilevel(grouped.assign(channel="Phone"))


def log_posterior_fixed(beta: np.ndarray, design: np.ndarray, bought, n) -> np.ndarray:
    """Normal(0, 1) priors times the binomial likelihood, for rows of coefficients."""
    eta = beta @ design.T  # (draws, rows)
    loglik = (bought * eta - n * np.logaddexp(0, eta)).sum(axis=-1)
    return loglik - 0.5 * (beta**2).sum(axis=-1)


def table_arrays(grouped):
    bundle = (grouped["promo"].astype(str) == "Bundle").to_numpy(float)
    park = (grouped["channel"].astype(str) == "Park").to_numpy(float)
    email = (grouped["channel"].astype(str) == "Email").to_numpy(float)
    return bundle, park, email, grouped["bought"].to_numpy(), grouped["n"].to_numpy()


def nuts(model, seed, **kwargs):

    idata = pm.sample(
        model=model,
        chains=4,
        tune=1000,
        draws=1000,
        random_seed=seed,
        progressbar=False,
        **kwargs,
    )
    assert int(idata.sample_stats["diverging"].sum()) == 0
    return idata


@pytest.mark.slow
def test_baseline_nuts_matches_a_two_dimensional_grid(grouped):

    bundle, _, _, bought, n = table_arrays(grouped)
    design = np.stack([np.ones(6), bundle], axis=1)
    # the posterior is narrow: a fine grid around the mode integrates it to many digits
    a = np.linspace(-0.6, 0.4, 401)
    b = np.linspace(-0.2, 0.8, 401)
    grid = np.stack(np.meshgrid(a, b, indexing="ij"), axis=-1).reshape(-1, 2)
    log_post = log_posterior_fixed(grid, design, bought, n)
    weights = np.exp(log_post - log_post.max())
    weights /= weights.sum()
    assert weights.reshape(401, 401)[[0, -1], :].max() < 1e-12  # the grid holds it all
    exact_mean = weights @ grid
    exact_sd = np.sqrt(weights @ (grid - exact_mean) ** 2)
    idata = nuts(models.season_pass_baseline(grouped), seed=61)
    summary = az.summary(idata, round_to="none")
    assert (summary["r_hat"] <= 1.01).all() and (summary["ess_bulk"] >= 400).all()
    for k, name in enumerate(["intercept", "promo"]):
        assert abs(summary.loc[name, "mean"] - exact_mean[k]) < 4 * summary.loc[name, "mcse_mean"]
        assert abs(summary.loc[name, "sd"] - exact_sd[k]) < 4 * summary.loc[name, "mcse_sd"]


@pytest.mark.slow
def test_interaction_nuts_matches_importance_sampling(grouped):
    """Reference: importance sampling from a multivariate t around the maximum-likelihood
    fit (statsmodels GLM), reweighted to the posterior."""

    import statsmodels.api as sm
    from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

    bundle, park, email, bought, n = table_arrays(grouped)
    design = np.stack([np.ones(6), bundle, park, email, bundle * park, bundle * email], axis=1)
    glm = sm.GLM(np.stack([bought, n - bought], axis=1), design, family=sm.families.Binomial())
    with warnings.catch_warnings():
        # saturated (6 rows, 6 coefficients): statsmodels divides by 0 residual degrees of
        # freedom for a scale that the binomial family fixes at 1 anyway, and calls the exact
        # fit "perfect prediction"; the maximum-likelihood fit is finite and is only the
        # proposal's centre
        warnings.filterwarnings("ignore", "divide by zero", RuntimeWarning)
        warnings.filterwarnings("ignore", category=PerfectSeparationWarning)
        fit = glm.fit()
    proposal = stats.multivariate_t(fit.params, 1.5 * fit.cov_params(), df=5, seed=7)
    draws = proposal.rvs(400_000)
    log_w = log_posterior_fixed(draws, design, bought, n) - proposal.logpdf(draws)
    w = np.exp(log_w - log_w.max())
    w /= w.sum()
    assert 1 / np.sum(w**2) > 100_000  # the importance sample is efficient
    reference_mean = w @ draws
    reference_sd = np.sqrt(w @ (draws - reference_mean) ** 2)
    idata = nuts(models.season_pass_interaction(grouped), seed=62)
    summary = az.summary(idata, round_to="none")
    assert (summary["r_hat"] <= 1.01).all() and (summary["ess_bulk"] >= 400).all()
    names = [
        "intercept",
        "promo",
        "channel[Park]",
        "channel[Email]",
        "promo_channel[Park]",
        "promo_channel[Email]",
    ]
    for k, name in enumerate(names):
        row = summary.loc[name]
        assert abs(row["mean"] - reference_mean[k]) < 4 * row["mcse_mean"], name
        assert abs(row["sd"] - reference_sd[k]) < 4 * row["mcse_sd"], name


@pytest.mark.slow
def test_multilevel_nuts_matches_the_long_reference_run(grouped):
    """A course-sized run (4 x 1000) against tests/reference/season_pass_multilevel.csv,
    a 4 x 25,000 run made by the script beside it; both Monte Carlo errors count."""

    reference = pd.read_csv(
        Path(__file__).parent / "reference" / "season_pass_multilevel.csv", index_col=0
    )
    idata = nuts(models.season_pass_multilevel(grouped), seed=63, target_accept=0.95)
    summary = az.summary(
        idata, var_names=["a_channel", "b_channel", "sd", "correlation"], round_to="none"
    )
    assert (summary["r_hat"] <= 1.01).all() and (summary["ess_bulk"] >= 400).all()
    assert list(summary.index) == list(reference.index)
    error = np.sqrt(summary["mcse_mean"] ** 2 + reference["mcse_mean"] ** 2)
    assert (np.abs(summary["mean"] - reference["mean"]) < 4 * error).all()
    error_sd = np.sqrt(summary["mcse_sd"] ** 2 + reference["mcse_sd"] ** 2)
    assert (np.abs(summary["sd"] - reference["sd"]) < 4 * error_sd).all()
    # the published brms fit of this model: a_Email -2.82, b_Email 1.98
    assert reference.loc["a_channel[Email]", "mean"] == pytest.approx(-2.82, abs=0.02)
    assert reference.loc["b_channel[Email]", "mean"] == pytest.approx(1.98, abs=0.02)


def test_multilevel_prior_is_pymcs_lkj_cholesky_cov(grouped):
    """The hand-built 2 x 2 Cholesky factor (uniform correlation) has the prior of PyMC's
    LKJCholeskyCov(n=2, eta=1, sd_dist=HalfNormal(1)): the same SDs and correlation, and
    the same implied group effects, by two-sample Kolmogorov-Smirnov tests on prior draws."""
    import pymc as pm
    from scipy import stats

    model = models.season_pass_multilevel(grouped)
    ours = pm.draw(
        [model["sd"], model["correlation"], model["a_channel"], model["b_channel"]],
        draws=4000,
        random_seed=11,
    )
    with pm.Model(coords={"channel": CHANNELS}):
        chol, corr, stds = pm.LKJCholeskyCov(
            "chol", n=2, eta=1.0, sd_dist=pm.HalfNormal.dist(1.0), compute_corr=True
        )
        z = pm.Normal("z", 0.0, 1.0, shape=(2, 3))
        effects = pm.math.dot(chol, z)
        reference = pm.draw([stds, corr[0, 1], effects[0], effects[1]], draws=4000, random_seed=12)
    pairs = [
        (ours[0][:, 0], reference[0][:, 0]),
        (ours[0][:, 1], reference[0][:, 1]),
        (ours[1], reference[1]),
        (ours[2][:, 2], reference[2][:, 2]),
        (ours[3][:, 2], reference[3][:, 2]),
    ]
    for mine, theirs in pairs:
        assert stats.ks_2samp(mine, theirs).pvalue > 0.001
    # and the test can fail: a correlation prior that is not uniform is told apart
    assert stats.ks_2samp(np.tanh(ours[1]), reference[1]).pvalue < 0.001
