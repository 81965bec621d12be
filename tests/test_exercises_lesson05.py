"""Lesson 05's exercises with a hidden side: 5.2 (another Beta prior, refit: wrong models and
wrong estimates are named; the estimate is graded against the exact Beta(8, 14) mean within 4
MCSE), 5.5 and 5.6 (a prediction before the posterior predictive check and an interpretation
of P(worse): CHOICES for tests/test_choice_exercises.py). 5.1, 5.3 and 5.4 are in
test_exercise_checks's tables."""

from __future__ import annotations

import itertools
import re

import nbformat
import numpy as np
import pytest
from scipy import stats
from test_exercise_checks import _answer, cells, notebook_path, run, worked

from course_utils.checks import AnswerError
from course_utils.data import load_tutoring

L05 = "05_nuts_mixed_logit"
SETUP = ("imports",)


# --- 5.5, 5.6 ---------------------------------------------------------------------------
# (answer id, check id, variable, right letter, {wrong letter: words of its explanation})
CHOICES = [
    (
        "answer_5_5",
        "exercise_5_5",
        "prediction_5_5",
        "b",
        {
            "a": "0.09 to 0.15 per site",
            "c": "about two thirds of its tables",
            "d": "It is the other way round",
        },
    ),
    (
        "answer_5_6",
        "exercise_5_6",
        "interpretation_5_6",
        "b",
        {
            "a": "A p-value is not the probability of the null hypothesis",
            "c": "It is not a share of students",
            "d": "A frequency over repeated experiments",
        },
    ),
]


def _shown(cell_id: str) -> str:
    notebook = nbformat.read(notebook_path(L05), as_version=4)
    output = {c.get("id"): c for c in notebook.cells}[cell_id].outputs[-1]
    return output.get("text") or output["data"]["text/plain"]


def test_each_question_comes_before_the_cells_that_answer_it():
    order = list(cells(L05))
    ppc = ["exercise_5_5", "ppc-simulate", "ppc-unanimous", "ppc-read"]
    assert [order.index(cell) for cell in ppc] == sorted(order.index(cell) for cell in ppc)
    assert order.index("p-values") < order.index("exercise_5_6") < order.index("p-values-meaning")
    assert "answer is (b)" in cells(L05)["ppc-read"]
    assert "answer is (b)" in cells(L05)["p-values-meaning"]


def test_the_numbers_the_explanations_quote_are_the_lessons():
    """5.5 quotes the predictive check's two probabilities, 5.6 the table of answers; the
    refit of 5.2's text quotes the two exact posterior means."""
    assert re.search(r"mixed logit 0\.670, no site effects 0\.044", _shown("ppc-unanimous"))
    table = _shown("p-values")
    for label, value in [
        ("Wald p-value", "0.110"),
        ("likelihood-ratio p-value", "0.028"),
        ("P(new method worse", "0.976"),
    ]:
        assert re.search(re.escape(label) + r".*\s" + re.escape(value) + r"\n", table), label
    assert "mean 0.286" in _shown("ex2-exact") and "mean 0.364" in _shown("ex2-exact")


def test_unanimous_sites_are_rare_without_site_effects():
    """5.5's (a): with one pass probability per method (the raw rates, 8/12 with the old
    method and 3/12 with the new) and no site effects, each site of four, with students of
    both methods, is unanimous with probability 0.09 to 0.15, and three or more unanimous
    sites of six (sites independent; enumerated exactly) have probability under 0.05."""
    tutoring = load_tutoring()
    rate = tutoring.groupby("method")["passed"].mean()
    assert rate[0] == pytest.approx(8 / 12) and rate[1] == pytest.approx(3 / 12)
    unanimous = []
    for _, site in tutoring.groupby("site_id"):
        p = rate[site["method"]].to_numpy()
        unanimous.append(np.prod(p) + np.prod(1 - p))
        assert set(site["method"]) == {0, 1}
    assert 0.09 < min(unanimous) and max(unanimous) < 0.16
    at_least_3 = sum(
        np.prod([u if chosen else 1 - u for u, chosen in zip(unanimous, pattern, strict=True)])
        for pattern in itertools.product([0, 1], repeat=len(unanimous))
        if sum(pattern) >= 3
    )
    assert at_least_3 < 0.05


# --- 5.2 --------------------------------------------------------------------------------
MODEL = "def beta_prior_model(n, r, alpha, beta):"


def _model(prior: str, observed: str = "r") -> str:
    return _answer(
        MODEL,
        "with pm.Model() as model:",
        f"    pm.Binomial('r', n=n, p=pm.Beta('p', {prior}), observed={observed})",
        "return model",
    )


RIGHT_MODEL = _model("alpha=alpha, beta=beta")


def _fit(mean: str, draws: int = 1000) -> str:
    """A stand-in for the refit: independent draws around ``mean`` with the posterior's SD
    (only the check reads them)."""
    return (
        "informative_idata = az.from_dict({'posterior': {'p': np.random.default_rng(46)"
        f".normal({mean}, 0.1, size=(4, {draws}))}}}})\n"
    )


FIT = _fit("8 / 22")
MODEL_WRONG = [
    (_model("alpha=1.0, beta=1.0"), "flat prior's model"),
    (_model("alpha=beta, beta=alpha"), "alpha and beta are swapped"),
    (_model("alpha=alpha, beta=beta", "n - r"), "observed the failures"),
]
MEAN_WRONG = [
    ("4 / 14", "flat prior's posterior mean"),
    ("0.5", "the prior mean"),
    ("14 / 22", "observed the failures"),
    ("8 / 22 + 0.02", "Monte Carlo standard errors"),
]


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_5_2_the_worked_answer_passes(which):
    run(L05, SETUP, "exercise_5_2", worked(L05, "answer_5_2"), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("wrong", "message"), MODEL_WRONG)
def test_5_2_a_wrong_model_fails_with_its_message(wrong, message, which):
    answer = f"{wrong}\n{FIT}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(L05, SETUP, "exercise_5_2", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("estimate", "message"), MEAN_WRONG)
def test_5_2_a_wrong_estimate_fails_with_its_message(estimate, message, which):
    answer = f"{RIGHT_MODEL}\n{_fit(estimate)}informative_mean = {estimate}\n"
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(L05, SETUP, "exercise_5_2", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_5_2_an_estimate_within_monte_carlo_error_passes(which):
    answer = f"{RIGHT_MODEL}\n{_fit('8 / 22 + 0.003')}informative_mean = 8 / 22 + 0.003\n"
    run(L05, SETUP, "exercise_5_2", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_5_2_a_run_too_short_for_the_error_bound_fails(which):
    """The MCSE bound (exact SD / sqrt(1000)) holds only with an ESS of at least 1000."""
    answer = f"{RIGHT_MODEL}\n{_fit('8 / 22', draws=200)}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match="effective sample size"):
        run(L05, SETUP, "exercise_5_2", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_5_2_typing_the_exact_mean_does_not_pass_without_the_fit(which):
    answer = f"{RIGHT_MODEL}\n{_fit('4 / 14')}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match="flat prior's posterior mean"):
        run(L05, SETUP, "exercise_5_2", answer, which)


def test_5_2_the_exact_posterior_mean_and_the_mistakes_are_far_apart():
    """Beta(5, 5) prior, 3 of 12: the posterior is Beta(8, 14), mean 8 / 22 (scipy); the
    recognised mistakes lie more than 30 MCSE of the worked run (about 0.0023) away."""
    assert stats.beta(5 + 3, 5 + 9).mean() == pytest.approx(8 / 22, rel=1e-14)
    sd = stats.beta(8, 14).std()
    assert sd == pytest.approx(0.1003, abs=1e-4)
    for wrong in (4 / 14, 0.5, 14 / 22):
        assert abs(wrong - 8 / 22) > 30 * sd / np.sqrt(1900)
