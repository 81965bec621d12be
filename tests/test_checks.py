"""The answer checks accept right answers, reject wrong ones with a hint, validate input."""

from __future__ import annotations

import math

import numpy as np
import pytest

from course_utils.checks import (
    AnswerError,
    Feedback,
    check_allclose,
    check_between,
    check_close,
    check_equal,
    check_mcmc,
    check_raises,
)


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


def test_check_allclose_compares_arrays_like_numpy_testing():
    expected = np.array([0.5, 1.5, np.nan])
    assert "all 3 values correct" in check_allclose("v", [0.5, 1.5 + 1e-9, np.nan], expected)
    with pytest.raises(AnswerError, match=r"v: 1 of 3 values are not right \(first at index 1\)"):
        check_allclose("v", [0.5, 1.6, np.nan], expected)
    with pytest.raises(AnswerError, match=r"shape \(3,\), got \(2,\)"):
        check_allclose("v", [0.5, 1.5], expected)
    with pytest.raises(AnswerError, match="should be numbers"):
        check_allclose("v", ["a", "b", "c"], expected)
    # The same verdict as numpy.testing.assert_allclose, the independent reference.
    cases = [
        ([1.0, 2.0], [1.1, 2.2], 0.1, 0.0),
        ([1.0, 2.0], [1.2, 2.2], 0.1, 0.0),
        ([0.0, 1e-13], [0.0, 0.0], 0.0, 1e-12),
        ([0.0, 1e-11], [0.0, 0.0], 0.0, 1e-12),
    ]
    for actual, desired, rtol, atol in cases:
        try:
            np.testing.assert_allclose(actual, desired, rtol=rtol, atol=atol)
            numpy_passes = True
        except AssertionError:
            numpy_passes = False
        try:
            check_allclose("v", actual, desired, rtol=rtol, atol=atol)
            ours_passes = True
        except AnswerError:
            ours_passes = False
        assert ours_passes == numpy_passes, (actual, desired, rtol, atol)


def test_check_allclose_never_shows_the_expected_values():
    with pytest.raises(AnswerError) as caught:
        check_allclose("v", [1.0, 2.0], [7.25, 8.5])
    assert "7.25" not in str(caught.value) and "8.5" not in str(caught.value)


def test_check_equal_is_exact_and_type_aware_for_booleans():
    assert "correct" in check_equal("cols", ["a", "b"], ["a", "b"])
    check_equal("flag", False, False)
    check_equal("n", 3, 3.0)  # numbers compare by value
    check_equal("idx", np.arange(3), np.array([0, 1, 2]))
    for wrong, right in [(["b", "a"], ["a", "b"]), (0, False), (True, 1), ("1", 1)]:
        with pytest.raises(AnswerError, match="not right"):
            check_equal("x", wrong, right)
    with pytest.raises(AnswerError) as caught:
        check_equal("x", 1, 12345)
    assert "12345" not in str(caught.value)


def test_check_between_bounds_and_through():
    check_between("rate", 0.4, 0.35, 0.55)
    check_between("rate", 0.35, 0.35, 0.55)
    with pytest.raises(AnswerError, match=r"strictly between 0\.35 and 0\.55"):
        check_between("rate", 0.35, 0.35, 0.55, inclusive=False)
    with pytest.raises(AnswerError, match=r"scale = -0\.4; it should be greater than 0"):
        check_between("scale", -0.4, 0, math.inf, inclusive=False)
    assert "0.25" in check_between("rate", 2.0, 0.2, 0.3, through=lambda s: s / 8)
    with pytest.raises(AnswerError, match=r"rate = 0\.5"):
        check_between("rate", 4.0, 0.2, 0.3, through=lambda s: s / 8)
    with pytest.raises(AnswerError, match="should be a number"):
        check_between("rate", "fast", 0.2, 0.3)
    with pytest.raises(ValueError, match="low"):
        check_between("rate", 0.1, 1.0, 0.0)
