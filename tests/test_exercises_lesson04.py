"""Lesson 04's new and reworked exercises: 4.1 (the Metropolis-Hastings acceptance of a
multiplicative proposal: each common mistake fails with its own message), 4.3 and 4.4 (a
prediction and an interpretation: CHOICES for tests/test_choice_exercises.py)."""

from __future__ import annotations

import re

import nbformat
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
