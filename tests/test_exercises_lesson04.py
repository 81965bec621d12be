"""Lesson 04's new and reworked exercises: 4.1 (the Metropolis-Hastings acceptance of a
multiplicative proposal: each common mistake fails with its own message), 4.3 and 4.4 (a
prediction and an interpretation: CHOICES for tests/test_choice_exercises.py) and 4.6
(another Beta prior, refit: wrong models and wrong estimates are named; the estimate is
graded against the exact Beta(8, 14) mean within 4 MCSE)."""

from __future__ import annotations

import re

import nbformat
import numpy as np
import pytest
from scipy import stats
from test_exercise_checks import _answer, cells, notebook_path, run, worked

from course_utils.checks import AnswerError

L04 = "04_mcmc"
SETUP = ("imports",)

# --- 4.1 --------------------------------------------------------------------------------
ACCEPT = "def accept_multiplicative(log_current, log_candidate, current, candidate, log_u):"
RATIO = "log_ratio = log_candidate - log_current"
ACCEPT_WRONG = [
    (
        _answer(
            ACCEPT, f"{RATIO} + np.log(candidate) - np.log(current)", "return log_u > log_ratio"
        ),
        "is your comparison reversed?",
    ),
    (
        _answer(ACCEPT, RATIO, "return bool(log_u < log_ratio)"),
        "leave out the Hastings correction",
    ),
    (
        _answer(
            ACCEPT, f"{RATIO} + np.log(current) - np.log(candidate)", "return log_u < log_ratio"
        ),
        "is candidate / current, not current / candidate",
    ),
    (
        _answer(
            ACCEPT,
            "ratio = np.exp(log_candidate) / np.exp(log_current) * candidate / current",
            "return bool(np.exp(log_u) < ratio)",
        ),
        "compare on the log scale",
    ),
]


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_4_1_the_worked_answer_passes(which):
    run(L04, SETUP, "exercise_4_1", worked(L04, "answer_4_1"), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("wrong", "message"), ACCEPT_WRONG)
def test_4_1_a_wrong_answer_fails_with_its_message(wrong, message, which):
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(L04, SETUP, "exercise_4_1", wrong, which)


def test_4_1_the_hastings_ratio_of_the_multiplicative_proposal():
    """q(b | a), the density of b = a exp(s eps), is lognormal(log a, s): q(a | b) / q(b | a)
    = b / a for every s (the correction the worked answer adds), by scipy's lognormal."""
    for a, b, s in [(1.0, 3.0, 0.5), (2.0, 0.7, 1.3), (5.0, 5.5, 0.1)]:
        ratio = stats.lognorm.pdf(a, s, scale=b) / stats.lognorm.pdf(b, s, scale=a)
        assert ratio == pytest.approx(b / a, rel=1e-12)


def test_4_1_no_longer_states_the_answer():
    shown = cells(L04)["ex1-head"] + cells(L04)["answer_4_1"].split("### BEGIN SOLUTION")[0]
    assert "candidate / current" not in shown and "np.log(candidate)" not in shown


# --- 4.3, 4.4 ---------------------------------------------------------------------------
# (answer id, check id, variable, right letter, {wrong letter: words of its explanation})
CHOICES = [
    (
        "answer_4_3",
        "exercise_4_3",
        "prediction_4_3",
        "b",
        {
            "a": "the ESS falls to 476, from 3,269",
            "c": "large steps are rarely accepted",
            "d": "not on the number of draws alone",
        },
    ),
    (
        "answer_4_4",
        "exercise_4_4",
        "interpretation_4_4",
        "c",
        {
            "a": "A high acceptance rate is not the goal",
            "b": "not a count of accepted moves",
            "d": "4,223 from 18,000 draws with the scale 0.4",
        },
    ),
]


def test_the_prediction_comes_before_the_table_that_answers_it():
    order = list(cells(L04))
    assert order.index("exercise_4_3") < order.index("scale-table") < order.index("ex4-head")


def test_the_lesson_shows_the_numbers_the_explanations_quote():
    notebook = nbformat.read(notebook_path(L04), as_version=4)
    shown = {c.get("id"): c for c in notebook.cells}

    def text(cell_id):
        output = shown[cell_id].outputs[-1]
        return output.get("text") or output["data"]["text/plain"]

    table = text("scale-table")
    for row in ("0.01  0.980  16", "0.40  0.447  4223", "5.00  0.039  476"):
        assert re.search(r"\s+".join(map(re.escape, row.split())), table), row
    assert re.search(r"pi\s+0\.471\s+0\.165(\s+\S+){2}\s+3269", text("summary"))
    assert "0.6" in text("run-chains")  # about 60% accepted with the scale 0.25
    assert "mean 0.286" in text("ex6-exact") and "mean 0.364" in text("ex6-exact")


# --- 4.6 --------------------------------------------------------------------------------
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
def test_4_6_the_worked_answer_passes(which):
    run(L04, SETUP, "exercise_4_6", worked(L04, "answer_4_6"), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("wrong", "message"), MODEL_WRONG)
def test_4_6_a_wrong_model_fails_with_its_message(wrong, message, which):
    answer = f"{wrong}\n{FIT}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(L04, SETUP, "exercise_4_6", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("estimate", "message"), MEAN_WRONG)
def test_4_6_a_wrong_estimate_fails_with_its_message(estimate, message, which):
    answer = f"{RIGHT_MODEL}\n{_fit(estimate)}informative_mean = {estimate}\n"
    with pytest.raises(AnswerError, match=re.escape(message)):
        run(L04, SETUP, "exercise_4_6", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_4_6_an_estimate_within_monte_carlo_error_passes(which):
    answer = f"{RIGHT_MODEL}\n{_fit('8 / 22 + 0.003')}informative_mean = 8 / 22 + 0.003\n"
    run(L04, SETUP, "exercise_4_6", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_4_6_a_run_too_short_for_the_error_bound_fails(which):
    """The MCSE bound (exact SD / sqrt(1000)) holds only with an ESS of at least 1000."""
    answer = f"{RIGHT_MODEL}\n{_fit('8 / 22', draws=200)}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match="effective sample size"):
        run(L04, SETUP, "exercise_4_6", answer, which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_4_6_typing_the_exact_mean_does_not_pass_without_the_fit(which):
    answer = f"{RIGHT_MODEL}\n{_fit('4 / 14')}informative_mean = 8 / 22\n"
    with pytest.raises(AnswerError, match="flat prior's posterior mean"):
        run(L04, SETUP, "exercise_4_6", answer, which)


def test_4_6_the_exact_posterior_mean_and_the_mistakes_are_far_apart():
    """Beta(5, 5) prior, 3 of 12: the posterior is Beta(8, 14), mean 8 / 22 (scipy); the
    recognised mistakes lie more than 30 MCSE of the worked run (about 0.0023) away."""
    assert stats.beta(5 + 3, 5 + 9).mean() == pytest.approx(8 / 22, rel=1e-14)
    sd = stats.beta(8, 14).std()
    assert sd == pytest.approx(0.1003, abs=1e-4)
    for wrong in (4 / 14, 0.5, 14 / 22):
        assert abs(wrong - 8 / 22) > 30 * sd / np.sqrt(1900)
