"""The season-pass reference models of lesson 6: log densities written out by hand."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytensor
import pytest
from scipy import special, stats

from course_utils import models
from course_utils.data import load_season_pass

# the 6-row table, typed in from COURSE.md: (promo, channel) -> (bought, n)
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
    import pymc as pm

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


def test_baseline_nuts_matches_a_two_dimensional_grid(grouped):
    import arviz as az

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


def test_interaction_nuts_matches_importance_sampling(grouped):
    """Reference: importance sampling from a multivariate t around the maximum-likelihood
    fit (statsmodels GLM), reweighted to the posterior."""
    import arviz as az
    import statsmodels.api as sm

    bundle, park, email, bought, n = table_arrays(grouped)
    design = np.stack([np.ones(6), bundle, park, email, bundle * park, bundle * email], axis=1)
    glm = sm.GLM(np.stack([bought, n - bought], axis=1), design, family=sm.families.Binomial())
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


def test_multilevel_nuts_matches_the_long_reference_run(grouped):
    """A course-sized run (4 x 1000) against tests/reference/season_pass_multilevel.csv,
    a 4 x 25,000 run made by the script beside it; both Monte Carlo errors count."""
    import arviz as az

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
