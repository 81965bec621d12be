"""The check cells of the solution notebooks, run on right and on wrong answers.

Each case takes one exercise's check cell from its solution notebook, builds the namespace it
runs in from a few cells of the same notebook (imports, data; no answer cell), defines the
answer function (the worked answer, or a wrong one that a student could write), and runs the
hidden tests and the visible check. The worked answer must pass both; a wrong answer must
fail both with an AnswerError, whose message names the mistake where the check knows it.
"""

from __future__ import annotations

import re
import warnings
from functools import cache
from pathlib import Path

import matplotlib
import nbformat
import numpy as np
import pytest

from course_utils.checks import AnswerError
from tools.grading.spec import lesson_spec
from tools.notebooks import SOLUTIONS

matplotlib.use("Agg")

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.DOTALL)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)


def notebook_path(lesson: str) -> Path:
    return SOLUTIONS / lesson / f"{lesson}.ipynb"


@cache
def cells(lesson: str) -> dict[str, str]:
    """{cell id: source} of a solution notebook."""
    return {c.id: c.source for c in nbformat.read(notebook_path(lesson), as_version=4).cells}


def _code(source: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    )


@cache
def base_namespace(lesson: str, setup: tuple[str, ...]) -> dict:
    namespace: dict = {"display": lambda *a, **k: None}
    for item in setup:  # a cell id, or code of its own after "code:"
        code = item.removeprefix("code:") if item.startswith("code:") else cells(lesson)[item]
        exec(_code(code), namespace)
    return namespace


def parts(lesson: str, check_id: str) -> tuple[str, str]:
    """(hidden tests, visible check) of a check cell."""
    source = cells(lesson)[check_id]
    (hidden,) = HIDDEN.findall(source)
    return hidden, HIDDEN.sub("", source)


def run(lesson: str, setup: tuple[str, ...], check_id: str, answer: str, which: str) -> None:
    namespace = dict(base_namespace(lesson, setup))
    exec(answer, namespace)
    hidden, visible = parts(lesson, check_id)
    with warnings.catch_warnings():  # a student's 0 / 0 warns in a notebook, nothing more
        warnings.simplefilter("ignore", RuntimeWarning)
        exec(hidden if which == "hidden" else visible, namespace)


def worked(lesson: str, answer_id: str) -> str:
    return MARKERS.sub("", cells(lesson)[answer_id])


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_the_grader_can_read_every_lessons_hidden_tests(path):
    assert lesson_spec(path).exercises


L03 = "03_unnormalizable_posteriors"
L03_SETUP = ("imports", "constant", "summaries")

# (lesson, setup cells, answer id, check id, wrong answer, what the message must say)
WRONG = [
    # 3.2-3.4: answers that ignore the width pass only on grids of length 1.
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        "def normalize_on_grid(values, width):\n"
        "    values = np.asarray(values, dtype=float)\n"
        "    return values / values.mean()",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        "def normalize_on_grid(values, width):\n"
        "    values = np.asarray(values, dtype=float)\n"
        "    return values / values.sum()",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_4",
        "exercise_3_4",
        "def grid_mean(pi, density, width):\n"
        "    return float(np.mean(np.asarray(pi) * np.asarray(density)))",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_6",
        "exercise_3_6",
        "def grid_interval(pi, density, width, level=0.95):\n"
        "    cdf = np.cumsum(np.asarray(density)) / len(density)\n"
        "    pi = np.asarray(pi)\n"
        "    return (float(pi[np.searchsorted(cdf, (1 - level) / 2)]),\n"
        "            float(pi[np.searchsorted(cdf, (1 + level) / 2)]))",
        "",
    ),
]

L07 = "07_season_pass"
L07_FIT = (
    "imports",
    "sample-settings",
    "data",
    "aggregate",
    "code:baseline_fit = pm.sample(model=models.season_pass_baseline(grouped), **SAMPLE, "
    "random_seed=61)",
)
WRONG += [
    # 7.2: expit(coefficient) - 0.5 forgets the intercept; it used to pass both checks.
    (
        L07,
        L07_FIT,
        "answer_7_2",
        "exercise_7_2",
        "def probability_change(intercept, coefficient):\n"
        "    return special.expit(np.asarray(coefficient)) - 0.5",
        "right only when the intercept is 0",
    ),
    # the log-odds difference, not a probability difference
    (
        L07,
        L07_FIT,
        "answer_7_2",
        "exercise_7_2",
        "def probability_change(intercept, coefficient):\n"
        "    return np.asarray(coefficient) + 0 * np.asarray(intercept)",
        "",
    ),
]

L04 = "04_mcmc"
L05 = "05_nuts_mixed_logit"
L06 = "06_eight_schools"
L06_SETUP = ("imports", "data")
L07_DATA = ("imports", "sample-settings", "data", "aggregate")
WRONG += [
    # 3.1, 5.1, 5.3, 6.2 (6.3: test_exercises_lesson06.py) compare with values computed
    # independently of the course_utils function a student could call; wrong formulas still
    # fail.
    (
        L03,
        L03_SETUP,
        "answer_3_1",
        "exercise_3_1",
        "def unnormalized_posterior(pi, heads, tails):\n"
        "    pi = np.asarray(pi, dtype=float)\n"
        "    return pi**heads * (1 - pi) ** tails * np.exp(-(pi**2))",
        "",
    ),
    (
        L05,
        ("imports",),
        "answer_5_1",
        "exercise_5_1",
        "def beta_binomial_model(n, r):\n"
        "    with pm.Model() as model:\n"
        "        p = pm.Beta('p', alpha=2.0, beta=2.0)\n"
        "        pm.Binomial('r', n=n, p=p, observed=r)\n"
        "    return model",
        "",
    ),
    (
        L05,
        ("imports",),
        "answer_5_3",
        "exercise_5_3",
        "def share_moderate(prior_sd):\n"
        "    return float(stats.norm.cdf(special.logit(0.95) / prior_sd))",
        "",
    ),
    (
        L06,
        L06_SETUP,
        "answer_6_2",
        "exercise_6_2",
        "def theta_hat_and_v(mu, tau, y, sigma):\n"
        "    precision = 1 / sigma + 1 / tau\n"
        "    return (y / sigma + mu / tau) / precision, 1 / precision",
        "",
    ),
]

# Recognised mistakes (course_utils.checks, mistakes=): the message names the mistake.
L00 = "00_start_here"
L01 = "01_credit_assignment"
L02 = "02_wald_vs_lrt"
L00_SETUP = ("env-imports", "load")
L01_SETUP = ("imports", "load", "fit-laplace")
L02_SETUP = ("imports", "fits", "wald", "lrt", "disagree", "intervals", "study")


def _answer(header: str, *body: str) -> str:
    return header + "\n" + "\n".join("    " + line for line in body)


RAW = "def raw_pass_rate(frame, method):"
SUMMARY = "def site_summary(frame):"
SUMMARY_BODY = (
    "table = frame.groupby('site_id').agg(students=('passed', 'size'),",
    "    passed=('passed', 'sum'), share_new=('method', 'mean'))",
)
POOLED = "def pooled_log_odds_ratio(frame):"
WITHIN = "def mean_within_site_difference(frame):"
SITE = "def site_pass_probability(fit, site, method):"
SITE_BODY = "beta = fit.fixed['estimate']"
WALD = "def wald_test(estimate, se):"
LRT = "def lrt_p_value(loglik_null, loglik_full, df=1):"
INTERVAL = "def wald_interval(estimate, se, level=0.95):"
MCSE = "def rejection_mcse(rejections, n_sims):"
WRONG += [
    (
        L00,
        L00_SETUP,
        "answer_0_1",
        "exercise_0_1",
        _answer(RAW, "return float(frame[frame['method'] != method]['passed'].mean())"),
        "other method",
    ),
    (
        L00,
        L00_SETUP,
        "answer_0_1",
        "exercise_0_1",
        _answer(
            RAW, "return float(frame[frame['method'] == method]['passed'].sum() / len(frame))"
        ),
        "divided by all",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_1",
        "exercise_1_1",
        _answer(
            SUMMARY,
            *SUMMARY_BODY,
            "table['share_new'] = 1 - table['share_new']",
            "table['pass_rate'] = table['passed'] / table['students']",
            "return table[['students', 'passed', 'pass_rate', 'share_new']].sort_index()",
        ),
        "old method",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_1",
        "exercise_1_1",
        _answer(
            SUMMARY,
            *SUMMARY_BODY,
            "table['share_new'] = table['share_new'] * table['students']",
            "table['pass_rate'] = table['passed'] / table['students']",
            "return table[['students', 'passed', 'pass_rate', 'share_new']].sort_index()",
        ),
        "divide by the site's students",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_2",
        "exercise_1_2",
        _answer(
            POOLED,
            "rate = frame.groupby('method')['passed'].mean()",
            "return float(np.log(rate[1] / rate[0]))",
        ),
        "log risk ratio",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_2",
        "exercise_1_2",
        _answer(
            POOLED,
            "rate = frame.groupby('method')['passed'].mean()",
            "odds = rate / (1 - rate)",
            "return float(np.log(odds[0] / odds[1]))",
        ),
        "old versus new",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_3",
        "exercise_1_3",
        _answer(
            WITHIN,
            "rates = frame.pivot_table(index='site_id', columns='method',",
            "    values='passed', aggfunc='mean').dropna()",
            "return float((rates[0] - rates[1]).mean())",
        ),
        "old minus new",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_3",
        "exercise_1_3",
        _answer(
            WITHIN,
            "rate = frame.groupby('method')['passed'].mean()",
            "return float(rate[1] - rate[0])",
        ),
        "pooled difference",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_6",
        "exercise_1_6",
        _answer(
            SITE,
            SITE_BODY,
            "return float(special.expit(beta['Intercept'] + beta['method'] * method))",
        ),
        "random effect",
    ),
    (
        L01,
        L01_SETUP,
        "answer_1_6",
        "exercise_1_6",
        _answer(
            SITE,
            SITE_BODY,
            "return float(beta['Intercept'] + beta['method'] * method",
            "             + fit.random_effects.loc[site])",
        ),
        "inverse logit",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_1",
        "exercise_2_1",
        _answer(WALD, "z = estimate / se", "return z, stats.norm.sf(abs(z))"),
        "one-sided",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_1",
        "exercise_2_1",
        _answer(WALD, "z = se / estimate", "return z, 2 * stats.norm.sf(abs(z))"),
        "divides the estimate",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_2",
        "exercise_2_2",
        _answer(LRT, "return float(stats.chi2.sf(loglik_full - loglik_null, df))"),
        "factor 2",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_2",
        "exercise_2_2",
        _answer(LRT, "return float(stats.chi2.sf(2 * (loglik_null - loglik_full), df))"),
        "full minus null",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_5",
        "exercise_2_5",
        _answer(
            INTERVAL, "z = stats.norm.ppf(level)", "return estimate - z * se, estimate + z * se"
        ),
        "one tail",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_5",
        "exercise_2_5",
        _answer(INTERVAL, "return estimate - 1.96 * se, estimate + 1.96 * se"),
        "",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_6",
        "exercise_2_6",
        _answer(MCSE, "rate = rejections / n_sims", "return rate * (1 - rate) / n_sims"),
        "square root",
    ),
    (
        L02,
        L02_SETUP,
        "answer_2_6",
        "exercise_2_6",
        _answer(MCSE, "rate = rejections / n_sims", "return float(np.sqrt(rate * (1 - rate)))"),
        "one indicator",
    ),
]

POOLED_5 = "def pooled_estimate(y, sigma):"
WRONG += [
    # 6.1: weights 1/sigma instead of 1/sigma^2 (the visible check had equal sigmas).
    (
        L06,
        L06_SETUP,
        "answer_6_1",
        "exercise_6_1",
        _answer(
            POOLED_5,
            "w = 1 / np.asarray(sigma, dtype=float)",
            "return float(np.sum(w * y) / np.sum(w)), float(1 / np.sum(w))",
        ),
        "weights 1/sigma",
    ),
    (
        L06,
        L06_SETUP,
        "answer_6_1",
        "exercise_6_1",
        _answer(
            POOLED_5,
            "w = 1 / np.asarray(sigma, dtype=float) ** 2",
            "return float(np.sum(w * y) / np.sum(w)), float(np.sqrt(1 / np.sum(w)))",
        ),
        "standard error",
    ),
]

NORMALIZE = "def normalize_on_grid(values, width):"
GRID_MEAN = "def grid_mean(pi, density, width):"
GRID_INTERVAL = "def grid_interval(pi, density, width, level=0.95):"
INTERVAL_END = (
    "pi = np.asarray(pi)",
    "return (float(pi[np.searchsorted(cdf, (1 - level) / 2)]),",
    "        float(pi[np.searchsorted(cdf, (1 + level) / 2)]))",
)
WRONG += [
    (
        L03,
        L03_SETUP,
        "answer_3_1",
        "exercise_3_1",
        _answer(
            "def unnormalized_posterior(pi, heads, tails):",
            "pi = np.asarray(pi, dtype=float)",
            "return pi**heads * (1 - pi) ** tails",
        ),
        "likelihood alone",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_1",
        "exercise_3_1",
        _answer(
            "def unnormalized_posterior(pi, heads, tails):",
            "pi = np.asarray(pi, dtype=float)",
            "return pi ** (heads + 1) * (1 - pi) ** (tails + 1)",
        ),
        "exp(-pi^2)",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        _answer(
            NORMALIZE, "values = np.asarray(values, dtype=float)", "return values / values.sum()"
        ),
        "sum(values) only",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        _answer(
            NORMALIZE, "values = np.asarray(values, dtype=float)", "return values / values.mean()"
        ),
        "length 1",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_4",
        "exercise_3_4",
        _answer(GRID_MEAN, "return float(np.sum(np.asarray(pi) * np.asarray(density)))"),
        "forgot to multiply by width",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_4",
        "exercise_3_4",
        _answer(GRID_MEAN, "return float(np.mean(np.asarray(pi) * np.asarray(density)))"),
        "np.mean(pi * density)",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_6",
        "exercise_3_6",
        _answer(GRID_INTERVAL, "cdf = np.cumsum(np.asarray(density))", *INTERVAL_END),
        "left out the width",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_6",
        "exercise_3_6",
        _answer(
            GRID_INTERVAL, "cdf = np.cumsum(np.asarray(density)) / len(density)", *INTERVAL_END
        ),
        "length 1",
    ),
]

ESS = "def ar1_ess(n, rho):"
SHARE = "def share_moderate(prior_sd):"
NEGATIVE = "def prob_negative(draws):"
# A stand-in for lesson 05's NUTS fit and exact summary: normal draws and their exact
# probability of a negative value (the check cell only reads these).
L05_DRAWS = (
    "imports",
    "code:import types\n"
    "_d = np.random.default_rng(1).normal(-3.0, 2.3, size=(4, 1000))\n"
    "tutoring_idata = az.from_dict({'posterior': {'method': _d}})\n"
    "method_draws = _d.ravel()\n"
    "exact = types.SimpleNamespace(prob_method_negative=float(stats.norm.cdf(3.0 / 2.3)))",
)
WRONG += [
    (
        L04,
        ("imports",),
        "answer_4_2",
        "exercise_4_2",
        _answer(ESS, "return n * (1 + rho) / (1 - rho)"),
        "upside down",
    ),
    (
        L04,
        ("imports",),
        "answer_4_2",
        "exercise_4_2",
        _answer(ESS, "return n * (1 - rho)"),
        "denominator",
    ),
    (
        L05,
        ("imports",),
        "answer_5_3",
        "exercise_5_3",
        _answer(SHARE, "return float(stats.norm.cdf(special.logit(0.95) / prior_sd))"),
        "subtract P(x < logit 0.05)",
    ),
    (
        L05,
        ("imports",),
        "answer_5_3",
        "exercise_5_3",
        _answer(
            SHARE,
            "return float(stats.norm.cdf(0.95 / prior_sd) - stats.norm.cdf(0.05 / prior_sd))",
        ),
        "log-odds scale",
    ),
    (
        L05,
        L05_DRAWS,
        "answer_5_4",
        "exercise_5_4",
        _answer(NEGATIVE, "return float(np.mean(np.asarray(draws) > 0))"),
        "P(effect > 0)",
    ),
    (
        L05,
        L05_DRAWS,
        "answer_5_4",
        "exercise_5_4",
        _answer(NEGATIVE, "return float(np.sum(np.asarray(draws) < 0))"),
        "a count",
    ),
]

THETA = "def theta_hat_and_v(mu, tau, y, sigma):"
CHANGE = "def probability_change(intercept, coefficient):"
WRONG += [
    (
        L06,
        L06_SETUP,
        "answer_6_2",
        "exercise_6_2",
        _answer(
            THETA,
            "precision = 1 / sigma**2 + 1 / tau**2",
            "return (y / tau**2 + mu / sigma**2) / precision, 1 / precision",
        ),
        "swapped the weights",
    ),
    (
        L06,
        L06_SETUP,
        "answer_6_2",
        "exercise_6_2",
        _answer(
            THETA,
            "precision = 1 / sigma**2 + 1 / tau**2",
            "return (y / sigma**2 + mu / tau**2) / precision, precision",
        ),
        "V is its inverse",
    ),
    (
        L07,
        L07_FIT,
        "answer_7_2",
        "exercise_7_2",
        _answer(CHANGE, "return special.expit(np.asarray(intercept) + np.asarray(coefficient))"),
        "subtract expit(intercept)",
    ),
]

# A stand-in for lesson 06's posterior draws of theta: independent exact draws (tau by the
# inverse CDF of its exact marginal density on a fine grid, mu given tau, theta given both).
L06_THETA = (
    *L06_SETUP,
    "code:_rng = np.random.default_rng(5)\n"
    "_taus = np.linspace(0.0005, 200.0, 200_000)\n"
    "_cdf = np.cumsum(es.tau_posterior(_taus, y, sigma))\n"
    "_tau = np.interp(_rng.uniform(0, _cdf[-1], size=(4, 1000)), _cdf, _taus)\n"
    "_w = 1 / (sigma**2 + _tau[..., None] ** 2)\n"
    "_mu = (_w * y).sum(-1) / _w.sum(-1)\n"
    "_mu = _mu + _rng.standard_normal(_tau.shape) / np.sqrt(_w.sum(-1))\n"
    "theta_draws = es.draw_theta(_mu, _tau, y, sigma, _rng)",
)
GREATER = "def prob_greater_from_draws(draws_j, draws_k):"
WRONG += [
    (
        L06,
        L06_THETA,
        "answer_6_6",
        "exercise_6_6",
        _answer(GREATER, "return float(np.mean(np.asarray(draws_k) > np.asarray(draws_j)))"),
        "order of the arguments",
    ),
    (
        L06,
        L06_THETA,
        "answer_6_6",
        "exercise_6_6",
        _answer(GREATER, "return float(np.mean(np.asarray(draws_j) - np.asarray(draws_k)))"),
        "",
    ),
]


BETA_BINOMIAL = "def beta_binomial_model(n, r):"
WRONG += [
    (
        L05,
        ("imports",),
        "answer_5_1",
        "exercise_5_1",
        _answer(
            BETA_BINOMIAL,
            "with pm.Model() as model:",
            "    pm.Binomial('r', n=n, p=pm.Beta('p', 1.0, 1.0), observed=n - r)",
            "return model",
        ),
        "failures",
    ),
    (
        L05,
        ("imports",),
        "answer_5_1",
        "exercise_5_1",
        _answer(
            BETA_BINOMIAL,
            "with pm.Model() as model:",
            "    pm.Binomial('r', n=n, p=pm.Beta('p', 1.0, 1.0), observed=n)",
            "return model",
        ),
        "not n",
    ),
]

# Names of the reference functions that no check (nor its text) may show for an exercise.
HANDED_OUT = [
    (L03, ["ex1-head", "ex1-check-intro", "exercise_3_1", "curves", "example-head"], "log_kernel"),
    (L05, ["ex1-head", "ex1-check-text", "exercise_5_1"], "beta_binomial("),
    (L05, ["ex3-head", "ex3-check-text", "exercise_5_3", "prior-plot"], "prob_between"),
    (L06, ["ex2-head", "ex2-check-text", "exercise_6_2"], "conditional_theta"),
    (L06, ["ex3-head", "ex3-check-text", "exercise_6_3"], "log_marginal_posterior"),
    (L07, ["ex4-head", "ex4-check-text", "exercise_7_4"], "season_pass_interaction"),
    (L07, ["ex4-head", "ex4-check-text", "exercise_7_4"], "season_pass_multilevel"),
]


@pytest.mark.parametrize(("lesson", "cell_ids", "name"), HANDED_OUT)
def test_no_check_hands_out_the_reference_function(lesson, cell_ids, name):
    shown = {cell_id: cells(lesson)[cell_id] for cell_id in cell_ids}
    assert [cell_id for cell_id, text in shown.items() if name in text] == []


RIGHT = sorted({(w[0], w[1], w[2], w[3]) for w in WRONG})


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("lesson", "setup", "answer_id", "check_id"), RIGHT)
def test_the_worked_answer_passes(lesson, setup, answer_id, check_id, which):
    run(lesson, setup, check_id, worked(lesson, answer_id), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(
    ("lesson", "setup", "answer_id", "check_id", "wrong", "message"),
    WRONG,
    ids=[f"{w[3]}-{i}" for i, w in enumerate(WRONG)],
)
def test_a_wrong_answer_fails(lesson, setup, answer_id, check_id, wrong, message, which):
    # A wrong answer may also fail by raising in the student's own code (an index off the
    # grid): the check fails all the same. The worked answer's test rules out a broken setup.
    with pytest.raises(Exception) as failure:
        run(lesson, setup, check_id, wrong, which)
    if message:
        assert failure.type is AnswerError
        assert message in str(failure.value)


def test_the_exact_posterior_mean_of_7_2_by_quadrature():
    """0.0962722 in exercise 6.2's checks: E[expit(a + b) - expit(a)] under the baseline
    model (Normal(0, 1) priors; 670 of 1482 bought without the bundle, 919 of 1674 with),
    on a 1601 x 1601 grid that holds all but 1e-44 of the posterior."""
    from scipy import special

    a, b = np.meshgrid(np.linspace(-1.2, 0.8, 1601), np.linspace(-0.6, 1.4, 1601), indexing="ij")
    log_density = (
        -0.5 * a**2
        - 0.5 * b**2
        + 670 * special.log_expit(a)
        + 812 * special.log_expit(-a)
        + 919 * special.log_expit(a + b)
        + 755 * special.log_expit(-a - b)
    )
    weight = np.exp(log_density - log_density.max())
    change = special.expit(a + b) - special.expit(a)
    exact = float(np.sum(weight * change) / weight.sum())
    assert exact == pytest.approx(0.0962722, abs=5e-8)
    assert abs(exact - (919 / 1674 - 670 / 1482)) > 5e-4  # not the observed difference
