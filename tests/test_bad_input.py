"""Every public function of course_utils, called with bad inputs of each kind.

Each row of the table names a function, a call that works, and the kind of each argument;
each kind lists bad values with the error they must raise: a TypeError for a wrong type, a
ValueError for a bad value (statsmodels' convention), with a message that names the
argument. No call may hang (each has a time limit) or answer silently.

The last table holds the review's specific cases (hangs and silent wrong answers) that a
kind of argument does not describe.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest

from course_utils import (
    checks,
    coin,
    data,
    derivatives,
    glmm,
    hierarchical_normal,
    model_data,
    models,
    montecarlo,
    plots,
    priors,
    samplers,
    simulate,
    studies,
    tutoring_posterior,
    widgets,
)

Y = [28.0, 8, -3, 7, -1, 1, 18, 12]
SIGMA = [15.0, 10, 16, 11, 9, 11, 10, 18]
NAMES = list("ABCDEFGH")
FULL = "passed ~ method + (1 | site_id)"
NULL = "passed ~ 1 + (1 | site_id)"

# kind -> [(label, bad value, expected error)]
KINDS: dict[str, list[tuple[str, Any, type[Exception]]]] = {
    "number": [
        ("string", "1.5", TypeError),
        ("none", None, TypeError),
        ("bool", True, TypeError),
        ("array", np.array([1.0, 2.0]), TypeError),
        ("nan", math.nan, ValueError),
        ("inf", math.inf, ValueError),
    ],
    "positive": [
        ("string", "1.5", TypeError),
        ("none", None, TypeError),
        ("bool", True, TypeError),
        ("list", [1.0], TypeError),
        ("nan", math.nan, ValueError),
        ("zero", 0.0, ValueError),
        ("negative", -1.0, ValueError),
        ("inf", math.inf, ValueError),
    ],
    "probability": [
        ("string", "0.95", TypeError),
        ("none", None, TypeError),
        ("zero", 0.0, ValueError),
        ("one", 1.0, ValueError),
        ("above", 1.5, ValueError),
        ("nan", math.nan, ValueError),
    ],
    "count": [
        ("float", 2.5, TypeError),
        ("whole_float", 2.0, TypeError),
        ("string", "2", TypeError),
        ("none", None, TypeError),
        ("bool", True, TypeError),
        ("negative", -1, ValueError),
    ],
    "count_from_1": [
        ("float", 2.5, TypeError),
        ("string", "2", TypeError),
        ("bool", True, TypeError),
        ("zero", 0, ValueError),
    ],
    # a count that sets how much is computed or stored: a huge one is refused, not a hang
    "size": [
        ("float", 2.5, TypeError),
        ("string", "2", TypeError),
        ("bool", True, TypeError),
        ("zero", 0, ValueError),
        ("huge", 10**12, ValueError),
    ],
    "array": [
        ("string", "28 8 -3", TypeError),
        ("none", None, TypeError),
        ("strings", ["a", "b"], TypeError),
        ("bools", [True, False], TypeError),
        ("with_none", [1.0, None], TypeError),
        ("nan", [1.0, math.nan], ValueError),
        ("empty", [], ValueError),
    ],
    "frame": [
        ("dict", {"passed": [1, 0]}, TypeError),
        ("none", None, TypeError),
        ("array", np.zeros((3, 3)), TypeError),
        ("empty", pd.DataFrame(), ValueError),
    ],
    "seed": [
        ("string", "seed", TypeError),
        ("float", 1.5, TypeError),
        ("negative", -1, ValueError),
    ],
    "generator": [("seed", 1, TypeError), ("none", None, TypeError)],
    "bool": [("string", "no", TypeError), ("int", 0, TypeError), ("none", None, TypeError)],
    "text": [("none", None, TypeError), ("number", 3, TypeError)],
    "formula": [("none", None, TypeError), ("no_tilde", "passed method", ValueError)],
    "tau_prior": [("number", 1, TypeError), ("unknown", "cauchy", ValueError)],
    "method": [("number", 1, TypeError), ("unknown", "simpson", ValueError)],
    "names": [
        ("string", "ABCDEFGH", TypeError),
        ("short", list("ABC"), ValueError),
        ("repeated", list("ABCDEFGA"), ValueError),
    ],
    "function": [("number", 3.0, TypeError), ("string", "f", TypeError)],
    "fit": [("string", "m0", TypeError), ("none", None, TypeError)],
    "settings": [("dict", {"n_sims": 3}, TypeError)],
}


@cache
def tutoring() -> pd.DataFrame:
    return data.load_tutoring()


@cache
def grouped() -> pd.DataFrame:
    return data.load_season_pass(grouped=True)


@cache
def grid() -> tutoring_posterior.TutoringPosterior:
    return tutoring_posterior.TutoringPosterior(tutoring(), n_beta=48, n_log_sigma=24)


@cache
def fits() -> tuple[glmm.GlmerFit, glmm.GlmerFit]:
    return glmm.glmer(NULL, tutoring()), glmm.glmer(FULL, tutoring())


def reference_model():
    return models.beta_binomial(10, 3)


# (id, function, arguments of a good call (a function: built when the case runs),
#  {argument: kind})
TABLE: list[tuple[str, Callable[..., Any], Callable[[], dict[str, Any]], dict[str, str]]] = [
    ("data.load_season_pass", data.load_season_pass, lambda: {}, {"grouped": "bool"}),
    (
        "model_data.tutoring_arrays",
        model_data.tutoring_arrays,
        lambda: {"data": tutoring()},
        {"data": "frame"},
    ),
    (
        "model_data.season_pass_arrays",
        model_data.season_pass_arrays,
        lambda: {"grouped": grouped()},
        {"grouped": "frame"},
    ),
    (
        "model_data.group_estimates",
        model_data.group_estimates,
        lambda: {"y": Y, "sigma": SIGMA},
        {"y": "array", "sigma": "array", "min_groups": "count_from_1"},
    ),
    (
        "derivatives.gradient",
        derivatives.gradient,
        lambda: {"function": lambda x: float(x @ x), "x": [1.0, 2.0]},
        {"function": "function", "x": "array", "step": "positive"},
    ),
    (
        "derivatives.hessian",
        derivatives.hessian,
        lambda: {"function": lambda x: float(x @ x), "x": [1.0, 2.0]},
        {"function": "function", "x": "array", "step": "positive"},
    ),
    (
        "coin.CoinPosterior",
        coin.CoinPosterior,
        lambda: {"heads": 2, "tails": 2},
        {"heads": "number", "tails": "number", "a": "positive", "b": "positive", "k": "number"},
    ),
    (
        "coin.CoinPosterior.log_kernel",
        lambda **kw: coin.CoinPosterior(2, 2).log_kernel(**kw),
        lambda: {"pi": [0.5]},
        {"pi": "array"},
    ),
    (
        "coin.CoinPosterior.normalizing_constant",
        lambda **kw: coin.CoinPosterior(2, 2).normalizing_constant(**kw),
        lambda: {"method": "grid"},
        {"method": "method", "n_grid": "size"},
    ),
    (
        "coin.CoinPosterior.credible_interval",
        lambda **kw: coin.CoinPosterior(2, 2).credible_interval(**kw),
        lambda: {},
        {"level": "probability"},
    ),
    (
        "coin.CoinPosterior.curves",
        lambda **kw: coin.CoinPosterior(2, 2).curves(**kw),
        lambda: {},
        {"n_grid": "size"},
    ),
    (
        "coin.grid_cost",
        coin.grid_cost,
        lambda: {"dimensions": [1, 2], "points_per_axis": 5},
        {"points_per_axis": "size", "max_evaluations": "count_from_1"},
    ),
    (
        "priors.logit_normal_density",
        priors.logit_normal_density,
        lambda: {"p": [0.5], "prior_sd": 1.0},
        {"p": "array", "prior_sd": "positive"},
    ),
    (
        "priors.prob_between",
        priors.prob_between,
        lambda: {"prior_sd": 1.0, "low": 0.1, "high": 0.9},
        {"prior_sd": "positive", "low": "number", "high": "number"},
    ),
    (
        "priors.prior_predictive",
        priors.prior_predictive,
        lambda: {"prior_sd": 1.0, "n_draws": 100},
        {"prior_sd": "positive", "n_draws": "size", "seed": "seed"},
    ),
    (
        "samplers.random_walk_metropolis",
        samplers.random_walk_metropolis,
        lambda: {
            "log_density": lambda x: -0.5 * float(x @ x),
            "start": [0.0],
            "proposal": 1.0,
            "n_draws": 10,
            "rng": np.random.default_rng(0),
        },
        {
            "log_density": "function",
            "start": "array",
            "proposal": "array",
            "n_draws": "size",
            "rng": "generator",
        },
    ),
    (
        "simulate.simulate_tutoring",
        simulate.simulate_tutoring,
        lambda: {
            "n_sites": 3,
            "students_per_site": 2,
            "beta_0": 0.0,
            "beta_method": 0.0,
            "sigma_site": 1.0,
        },
        {
            "n_sites": "size",
            "students_per_site": "size",
            "beta_0": "number",
            "beta_method": "number",
            "sigma_site": "number",
            "rng": "seed",
        },
    ),
    (
        "plots.plot_areas",
        plots.plot_areas,
        lambda: {"posterior": {"a": np.arange(10.0)}},
        {"prob": "probability", "var_names": "text"},
    ),
    (
        "checks.check_close",
        checks.check_close,
        lambda: {"name": "x", "actual": 1.0, "expected": 1.0},
        {"name": "text", "expected": "number", "hint": "text"},
    ),
    (
        "checks.check_mcmc",
        checks.check_mcmc,
        lambda: {"name": "x", "estimate": 1.0, "exact": 1.0, "mcse": 0.1},
        {"exact": "number", "mcse": "positive", "n_mcse": "positive"},
    ),
    (
        "checks.check_raises",
        checks.check_raises,
        lambda: {"name": "f", "function": lambda: int("x"), "exception": ValueError},
        {"name": "text", "function": "function"},
    ),
    (
        "checks.check_same_model",
        checks.check_same_model,
        lambda: {"name": "m", "model": reference_model(), "reference": reference_model()},
        {"n_points": "size", "seed": "count"},
    ),
    (
        "hierarchical_normal.log_marginal_posterior",
        hierarchical_normal.log_marginal_posterior,
        lambda: {"lam1": 1.0, "lam2": 0.0, "y": Y, "sigma": SIGMA},
        {"lam1": "array", "lam2": "array", "y": "array", "sigma": "array"},
    ),
    (
        "hierarchical_normal.posterior_mode",
        hierarchical_normal.posterior_mode,
        lambda: {"y": Y, "sigma": SIGMA},
        {"y": "array", "sigma": "array"},
    ),
    (
        "hierarchical_normal.shrinkage",
        hierarchical_normal.shrinkage,
        lambda: {"tau": 2.0, "sigma": SIGMA},
        {"tau": "array", "sigma": "array"},
    ),
    (
        "hierarchical_normal.conditional_theta",
        hierarchical_normal.conditional_theta,
        lambda: {"mu": 1.0, "tau": 2.0, "y": Y, "sigma": SIGMA},
        {"mu": "array", "tau": "array", "y": "array", "sigma": "array"},
    ),
    (
        "hierarchical_normal.draw_theta",
        hierarchical_normal.draw_theta,
        lambda: {"mu": 1.0, "tau": 2.0, "y": Y, "sigma": SIGMA, "rng": np.random.default_rng()},
        {"mu": "array", "tau": "array", "rng": "generator"},
    ),
    (
        "hierarchical_normal.tau_posterior",
        hierarchical_normal.tau_posterior,
        lambda: {"tau": [1.0], "y": Y, "sigma": SIGMA},
        {"tau": "array", "tau_prior": "tau_prior"},
    ),
    (
        "hierarchical_normal.exact_posterior",
        hierarchical_normal.exact_posterior,
        lambda: {"y": Y, "sigma": SIGMA, "tau_prior": "half-normal", "tau_scale": 5.0},
        {
            "y": "array",
            "sigma": "array",
            "tau_prior": "tau_prior",
            "tau_scale": "positive",
            "names": "names",
        },
    ),
    (
        "hierarchical_normal.TauPriorSweep",
        hierarchical_normal.TauPriorSweep,
        lambda: {"y": Y, "sigma": SIGMA},
        {"y": "array", "sigma": "array", "names": "names"},
    ),
    (
        "hierarchical_normal.TauPriorSweep.exact_posterior",
        lambda **kw: hierarchical_normal.TauPriorSweep(Y, SIGMA).exact_posterior(**kw),
        lambda: {"tau_prior": "half-cauchy", "tau_scale": 5.0},
        {"tau_prior": "tau_prior", "tau_scale": "positive"},
    ),
    (
        "hierarchical_normal.prob_exceeds",
        hierarchical_normal.prob_exceeds,
        lambda: {"y": Y, "sigma": SIGMA, "j": 0, "c": 28.0},
        {"j": "count", "c": "number", "tau_prior": "tau_prior"},
    ),
    (
        "hierarchical_normal.prob_greater",
        hierarchical_normal.prob_greater,
        lambda: {"y": Y, "sigma": SIGMA, "j": 0, "k": 2},
        {"j": "count", "k": "count"},
    ),
    (
        "tutoring_posterior.TutoringPosterior",
        tutoring_posterior.TutoringPosterior,
        lambda: {"data": tutoring(), "n_beta": 8, "n_log_sigma": 8},
        {
            "data": "frame",
            "n_beta": "size",
            "n_log_sigma": "size",
            "nagq": "size",
            "max_prior_sd": "positive",
            "max_site_sd_prior_sd": "positive",
        },
    ),
    (
        "tutoring_posterior.TutoringPosterior.summary",
        lambda **kw: grid().summary(**kw),
        lambda: {},
        {"prior_sd": "positive", "site_sd_prior_sd": "positive"},
    ),
    (
        "glmm.glmer",
        glmm.glmer,
        lambda: {"formula": FULL, "data": tutoring()},
        {"formula": "formula", "data": "frame", "nagq": "size"},
    ),
    (
        "glmm.lrt",
        glmm.lrt,
        lambda: dict(zip(("m0", "m1"), fits(), strict=True)),
        {"m0": "fit", "m1": "fit"},
    ),
    (
        "glmm.profile_deviance",
        glmm.profile_deviance,
        lambda: {"formula": FULL, "data": tutoring(), "term": "method", "values": [0.0]},
        {"formula": "formula", "data": "frame", "term": "text", "values": "array"},
    ),
    (
        "glmm.profile_interval",
        glmm.profile_interval,
        lambda: {"formula": FULL, "data": tutoring(), "term": "method"},
        {"formula": "formula", "data": "frame", "term": "text", "level": "probability"},
    ),
    (
        "glmm.bootstrap_lrt",
        glmm.bootstrap_lrt,
        lambda: {"null_formula": NULL, "full_formula": FULL, "data": tutoring(), "n_boot": 1},
        {
            "null_formula": "formula",
            "full_formula": "formula",
            "data": "frame",
            "n_boot": "size",
            "rng": "seed",
            "nagq": "size",
        },
    ),
    (
        "models.beta_binomial",
        models.beta_binomial,
        lambda: {"n": 5, "r": 2},
        {"n": "count_from_1", "r": "count"},
    ),
    (
        "models.tutoring_mixed_logit",
        models.tutoring_mixed_logit,
        lambda: {"data": tutoring()},
        {"data": "frame", "prior_sd": "positive", "site_sd_prior_sd": "positive"},
    ),
    (
        "models.eight_schools",
        models.eight_schools,
        lambda: {"y": Y, "sigma": SIGMA},
        {"y": "array", "sigma": "array", "centered": "bool", "names": "names"},
    ),
    *[
        (
            f"models.{name}",
            getattr(models, name),
            lambda: {"grouped": grouped()},
            {"grouped": "frame"},
        )
        for name in ("season_pass_baseline", "season_pass_interaction", "season_pass_multilevel")
    ],
    (
        "montecarlo.Estimate",
        montecarlo.Estimate,
        lambda: {"value": 1.0, "mcse": 0.1},
        {"value": "number", "mcse": "number", "exact": "number", "fmt": "text"},
    ),
    (
        "montecarlo.Diagnostic",
        montecarlo.Diagnostic,
        lambda: {"value": 1.0, "at_most": 1.01},
        {"value": "number", "at_most": "number", "at_least": "number"},
    ),
    (
        "montecarlo.Approx",
        montecarlo.Approx,
        lambda: {"value": 1.0, "tolerance": 0.1},
        {"value": "number", "tolerance": "positive"},
    ),
    (
        "montecarlo.mean_estimate",
        montecarlo.mean_estimate,
        lambda: {"draws": np.arange(20.0).reshape(2, 10)},
        {"draws": "array"},
    ),
    (
        "montecarlo.quantile_estimate",
        montecarlo.quantile_estimate,
        lambda: {"draws": np.arange(20.0).reshape(2, 10), "prob": 0.5},
        {"draws": "array", "prob": "probability"},
    ),
    (
        "studies.StudySettings",
        studies.StudySettings,
        lambda: {"n_sites": (3,), "n_sims": 1},
        {
            "students_per_site": "size",
            "n_sims": "size",
            "beta_0": "number",
            "sigma_site": "number",
            "alpha": "probability",
            "seed": "count",
        },
    ),
    (
        "studies.null_rejection_study",
        studies.null_rejection_study,
        lambda: {"settings": studies.StudySettings(n_sites=(3,), n_sims=1)},
        {"settings": "settings"},
    ),
    (
        "widgets.nice_upper_limit",
        widgets.nice_upper_limit,
        lambda: {"value": 2.7},
        {"value": "number", "headroom": "number"},
    ),
    (
        "widgets.PosteriorExplorer",
        widgets.PosteriorExplorer,
        lambda: {},
        {"heads": "count", "tails": "count"},
    ),
    (
        "widgets.PriorPredictiveExplorer",
        widgets.PriorPredictiveExplorer,
        lambda: {},
        {"prior_sd": "positive"},
    ),
    (
        "widgets.TutoringPriorExplorer",
        widgets.TutoringPriorExplorer,
        lambda: {"grid": grid(), "prior_sd": 2.0},
        {"prior_sd": "positive", "site_sd_prior_sd": "positive"},
    ),
    (
        "widgets.ShrinkageExplorer",
        widgets.ShrinkageExplorer,
        lambda: {"y": Y, "sigma": SIGMA, "names": NAMES},
        {
            "y": "array",
            "sigma": "array",
            "names": "names",
            "tau_prior": "tau_prior",
            "tau_scale": "positive",
        },
    ),
]

#: Bad values that a kind lists but that an argument accepts, with the reason.
ACCEPTED = {
    ("coin.CoinPosterior.log_kernel", "pi", "empty"): "an empty grid has an empty kernel",
    ("hierarchical_normal.tau_posterior", "tau", "empty"): "no points, no densities",
    ("priors.logit_normal_density", "p", "empty"): "no points, no densities",
    ("plots.plot_areas", "var_names", "none"): "None means every variable",
    ("tutoring_posterior.TutoringPosterior.summary", "site_sd_prior_sd", "none"): "defaults",
    ("models.tutoring_mixed_logit", "site_sd_prior_sd", "none"): "defaults to prior_sd",
    ("montecarlo.Estimate", "exact", "none"): "no exact value",
    ("montecarlo.Diagnostic", "at_most", "none"): "no limit",
    ("montecarlo.Diagnostic", "at_least", "none"): "no limit",
    ("hierarchical_normal.exact_posterior", "names", "none"): "None numbers the groups",
}


def cases():
    for case_id, function, good, kinds in TABLE:
        for argument, kind in kinds.items():
            for label, value, error in KINDS[kind]:
                if (case_id, argument, label) in ACCEPTED:
                    continue
                yield pytest.param(
                    function, good, argument, value, error, id=f"{case_id}-{argument}-{label}"
                )


@pytest.mark.timeout(120)
@pytest.mark.parametrize(("function", "good", "argument", "value", "error"), list(cases()))
def test_bad_input_raises_an_error_that_names_the_argument(function, good, argument, value, error):
    arguments = {**good(), argument: value}
    with pytest.raises(error) as raised:
        function(**arguments)
    assert re.search(rf"\b{re.escape(argument)}\b", str(raised.value)), str(raised.value)


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("case_id", "function", "good", "kinds"), TABLE, ids=[t[0] for t in TABLE]
)
def test_the_good_call_of_each_row_works(case_id, function, good, kinds):
    """So that each bad call above fails because of its one bad argument."""
    function(**good())


# The review's hangs and silent wrong answers that a kind of argument does not describe:
# (id, call, error, message)
REVIEW: list[tuple[str, Callable[[], Any], type[Exception], str]] = [
    (
        "grid_cost_12_dimensions",
        lambda: coin.grid_cost([12]),
        ValueError,
        "curse of dimensionality",
    ),
    (
        "grid_cost_negative_points",
        lambda: coin.grid_cost([1], points_per_axis=-3),
        ValueError,
        "points_per_axis",
    ),
    (
        "study_of_one_student",
        lambda: studies.StudySettings(n_sites=(1,), students_per_site=1),
        ValueError,
        "fewer than 2 students",
    ),
    (
        "lrt_of_other_data_of_the_same_size",
        lambda: glmm.lrt(
            glmm.glmer(NULL, tutoring().assign(passed=1 - tutoring()["passed"])), fits()[1]
        ),
        ValueError,
        "same data",
    ),
    (
        "exact_posterior_of_1e300",
        lambda: hierarchical_normal.exact_posterior(np.array(Y) * 1e300, np.array(SIGMA) * 1e300),
        ValueError,
        "rescale",
    ),
    (
        "metropolis_nan_log_density",
        lambda: samplers.random_walk_metropolis(
            lambda x: math.nan if x[0] > 0.1 else 0.0, 0.0, 1.0, 100, np.random.default_rng(0)
        ),
        ValueError,
        "log_density returned nan",
    ),
    (
        "metropolis_empty_start",
        lambda: samplers.random_walk_metropolis(
            lambda x: 0.0, [], 1.0, 10, np.random.default_rng(0)
        ),
        ValueError,
        "start",
    ),
    (
        "plot_areas_of_a_vector",
        lambda: plots.plot_areas({"theta": np.zeros((2, 10, 8))}),
        ValueError,
        "not a scalar",
    ),
    (
        "eight_schools_centered_no",
        lambda: models.eight_schools(Y, SIGMA, centered="no"),
        TypeError,
        "centered",
    ),
    (
        "duplicate_school_names",
        lambda: hierarchical_normal.exact_posterior(Y, SIGMA, names=list("AACDEFGH")),
        ValueError,
        "distinct",
    ),
    (
        "season_pass_of_an_empty_table",
        lambda: models.season_pass_baseline(grouped().iloc[:0]),
        ValueError,
        "no rows",
    ),
    (
        "check_same_model_of_no_points",
        lambda: checks.check_same_model("m", reference_model(), reference_model(), n_points=0),
        ValueError,
        "n_points",
    ),
    (
        "summary_prior_narrower_than_the_grid",
        lambda: tutoring_posterior.TutoringPosterior(tutoring()).summary(prior_sd=0.05),
        ValueError,
        "narrower than this grid resolves",
    ),
    (
        "widget_start_out_of_range",
        lambda: widgets.PosteriorExplorer(heads=40),
        ValueError,
        "heads",
    ),
    (
        "check_close_of_none",
        lambda: checks.check_close("f()", None, 1.0),
        checks.AnswerError,
        "missing return",
    ),
    (
        "check_close_of_a_string",
        lambda: checks.check_close("f()", "0.6667", 2 / 3),
        checks.AnswerError,
        "string",
    ),
    (
        "check_close_of_true",
        lambda: checks.check_close("f()", True, 1.0),
        checks.AnswerError,
        "boolean",
    ),
]


@pytest.mark.timeout(120)
@pytest.mark.parametrize(
    ("case_id", "call", "error", "message"), REVIEW, ids=[r[0] for r in REVIEW]
)
def test_the_reviews_cases_raise_clear_errors(case_id, call, error, message):
    with pytest.raises(error, match=message):
        call()
