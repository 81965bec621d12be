"""The answer checks accept right answers, reject wrong ones with a hint, validate input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.checks import AnswerError, Feedback, check_close, check_mcmc, check_raises


def test_check_close_accepts_a_right_answer():
    feedback = check_close("rate", np.float64(8 / 12), 2 / 3)
    assert isinstance(feedback, Feedback) and repr(feedback).startswith("✔ rate = 0.6667")


def test_check_close_rejects_a_wrong_answer_with_the_hint():
    with pytest.raises(AnswerError, match=r"rate = 0\.5, but that is not right\. Hint: mean"):
        check_close("rate", 0.5, 2 / 3, hint="mean")


def test_check_close_is_an_assertion_so_nbgrader_fails_the_cell():
    assert issubclass(AnswerError, AssertionError)


@pytest.mark.parametrize(
    ("bad", "says"),
    [
        ("two thirds", "the string 'two thirds'"),
        ("0.6667", "the string '0.6667': return the number itself"),
        (True, "the boolean True"),
        (np.True_, "the boolean True"),
        ([0.5, 0.6], "a single number, got shape"),
        (math.nan, "a finite number"),
        (None, "your function returned None \\(missing return\\?\\)"),
        ({"rate": 0.6667}, "got dict"),
        (np.array(["0.6667"]), "got ndarray"),
    ],
)
def test_check_close_rejects_what_is_not_a_real_number(bad, says):
    """A string or a boolean is wrong whatever its value (True == 1 and '0.6667' would
    have passed as numbers); None says where the mistake probably is."""
    with pytest.raises(AnswerError, match=f"rate should be .*{says}"):
        check_close("rate", bad, 2 / 3)


@pytest.mark.parametrize("good", [2 / 3, np.float64(2 / 3), np.array(2 / 3), np.array([2 / 3])])
def test_check_close_accepts_numbers_of_any_kind(good):
    assert check_close("rate", good, 2 / 3).startswith("✔ rate = 0.6667")


def test_check_close_tolerance_is_respected():
    check_close("x", 1.0 + 1e-9, 1.0)
    with pytest.raises(AnswerError):
        check_close("x", 1.001, 1.0)
    check_close("x", 1.001, 1.0, rtol=0.01)
    with pytest.raises(ValueError, match="rtol"):
        check_close("x", 1.0, 1.0, rtol=-1)
    with pytest.raises(ValueError, match="expected"):
        check_close("x", 1.0, math.nan)
    with pytest.raises(TypeError, match="expected"):
        check_close("x", 1.0, "1.0")


def test_check_mcmc_accepts_within_and_rejects_beyond_n_mcse():
    assert "within 4 MCSE" in check_mcmc("mean", 0.53, exact=0.5, mcse=0.01)
    with pytest.raises(AnswerError, match=r"5.0 Monte Carlo standard errors"):
        check_mcmc("mean", 0.55, exact=0.5, mcse=0.01)


def test_check_mcmc_passes_correct_estimates_at_the_advertised_rate():
    """Draw many estimates from N(exact, mcse): about 1 in 16,000 should fail at 4 MCSE."""
    rng = np.random.default_rng(7)
    estimates = rng.normal(loc=2.0, scale=0.05, size=20_000)
    failures = 0
    for estimate in estimates:
        try:
            check_mcmc("mean", estimate, exact=2.0, mcse=0.05)
        except AnswerError:
            failures += 1
    assert failures <= 10  # expected 1.3; Poisson(1.3) exceeds 10 with prob < 1e-6


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"mcse": 0.0}, "mcse"),
        ({"mcse": -1.0}, "mcse"),
        ({"mcse": math.inf}, "mcse"),
        ({"mcse": 0.1, "n_mcse": 0}, "n_mcse"),
        ({"mcse": 0.1, "exact": math.nan}, "exact"),
        ({"mcse": 0.1, "n_mcse": -4}, "n_mcse"),
    ],
)
def test_check_mcmc_rejects_bad_arguments(kwargs, argument):
    arguments = {"exact": 1.0, **kwargs}
    with pytest.raises(ValueError, match=argument):
        check_mcmc("mean", 1.0, **arguments)


def test_check_raises():
    def strict(x):
        if x < 0:
            raise ValueError("x must be non-negative")
        return x

    assert "raises ValueError" in check_raises("strict(-1)", strict, -1)
    with pytest.raises(AnswerError, match="returned normally"):
        check_raises("strict(1)", strict, 1)
    with pytest.raises(AnswerError, match="raised TypeError"):
        check_raises("strict('a')", strict, "a", exception=KeyError)
    with pytest.raises(TypeError, match="exception must be an exception class"):
        check_raises("strict(-1)", strict, -1, exception="ValueError")
    with pytest.raises(TypeError, match="function must be a function"):
        check_raises("strict(-1)", "strict", -1)


def test_not_answered_is_reported_as_such():
    def stub(x):
        raise NotImplementedError("not answered yet")

    with pytest.raises(AnswerError, match="not answered yet"):
        check_raises("stub(-1)", stub, -1)
