"""Lesson 03's predict and interpret exercises (3.3, 3.5): CHOICES names the words each wrong
letter's explanation must hold (tests/test_choice_exercises.py runs the checks on every
letter); the numbers the explanations quote are checked here."""

from __future__ import annotations

import nbformat
import numpy as np
from scipy import integrate
from test_exercise_checks import notebook_path

L03 = "03_unnormalizable_posteriors"
SETUP = ("imports",)

# (answer id, check id, variable, right letter, {wrong letter: words of its explanation})
CHOICES = [
    (
        "answer_3_3",
        "exercise_3_3",
        "prediction_3_3",
        "c",
        {
            "a": "not symmetric about 1/2",
            "b": "leans towards tails",
            "d": "pull towards their proportion 1/2",
        },
    ),
    (
        "answer_3_5",
        "exercise_3_5",
        "interpretation_3_5",
        "b",
        {
            "a": "nine times the one-dimensional error",
            "c": "the errors do not cancel",
            "d": "12^3 = 1,728 times",
        },
    ),
]


def _kernel(pi):
    """pi^3 (1 - pi)^3 exp(-pi^2), written out (not the course's CoinPosterior)."""
    return pi**3 * (1 - pi) ** 3 * np.exp(-(pi**2))


def test_the_numbers_of_3_3_by_quadrature():
    """Prior mean 0.4531 < posterior mean 0.4734 < 1/2, as option (c) of 3.3 says."""
    prior = lambda p: p * (1 - p) * np.exp(-(p**2))  # noqa: E731
    prior_mean = integrate.quad(lambda p: p * prior(p), 0, 1)[0] / integrate.quad(prior, 0, 1)[0]
    post_mean = (
        integrate.quad(lambda p: p * _kernel(p), 0, 1)[0] / integrate.quad(_kernel, 0, 1)[0]
    )
    assert round(prior_mean, 4) == 0.4531
    assert round(post_mean, 4) == 0.4734
    assert prior_mean < post_mean < 0.5


def test_the_numbers_of_3_5_from_the_one_dimensional_grid():
    """With 12 points per axis the 9-dimensional relative error is 7.9e-4; 21 points per axis
    is the fewest that reach the one-dimensional 12-point error 8.7e-5 (option b of 3.5)."""
    constant = integrate.quad(_kernel, 0, 1, epsabs=0, epsrel=1e-12)[0]

    def relative_error(m, d):
        grid = _kernel((np.arange(m) + 0.5) / m).sum() / m
        return abs((grid / constant) ** d - 1)

    target = relative_error(12, 1)
    assert f"{target:.1e}" == "8.7e-05"
    assert f"{relative_error(12, 9):.1e}" == "7.9e-04"
    assert min(m for m in range(1, 40) if relative_error(m, 9) <= target) == 21
    assert f"{21**9:.1e}" == "7.9e+11" and round(21**9 / 12**9) == 154


def test_the_lesson_shows_the_numbers_the_explanations_quote():
    notebook = nbformat.read(notebook_path(L03), as_version=4)
    shown = {c.get("id"): c for c in notebook.cells}

    def text(cell_id):
        output = shown[cell_id].outputs[0]
        return output.get("text") or output["data"]["text/plain"]

    assert "prior mean 0.4531; posterior mean 0.4734" in text("summaries")
    for number in ("8.7e-05", "5.2e+09", "7.9e-04", "7.9e+11", "8.4e-05"):
        assert number in text("nine-dims")
