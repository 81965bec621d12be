"""The answer checks accept right answers, reject wrong ones with a hint, validate input."""

from __future__ import annotations

import math
import re

import numpy as np
import pytest

from course_utils.checks import (
    AnswerError,
    Feedback,
    check_allclose,
    check_between,
    check_choice,
    check_close,
    check_equal,
    check_mcmc,
    check_raises,
    record_choice,
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


# Recognised mistakes: a wrong answer that a known mistake gives gets a message naming it.
ONE_SIDED = "this is the one-sided p-value: the test is two-sided"


def test_check_close_names_a_recognised_mistake():
    with pytest.raises(AnswerError, match="one-sided p-value") as failure:
        check_close("p", 0.02275, 0.0455, rtol=1e-3, mistakes={ONE_SIDED: 0.02275013})
    assert "Hint" not in str(failure.value)


def test_an_unrecognised_wrong_answer_gets_the_hint_not_a_mistake():
    with pytest.raises(AnswerError) as failure:
        check_close("p", 0.5, 0.0455, rtol=1e-3, hint="2 * sf(|z|)", mistakes={ONE_SIDED: 0.0228})
    assert "one-sided" not in str(failure.value) and "2 * sf(|z|)" in str(failure.value)


def test_a_mistake_is_matched_with_the_checks_tolerance():
    with pytest.raises(AnswerError) as failure:  # 1e-3 relative off the mistake: not it
        check_close("p", 0.02275 * 1.002, 0.0455, rtol=1e-3, mistakes={ONE_SIDED: 0.02275})
    assert "one-sided" not in str(failure.value)


def test_a_right_answer_passes_whatever_the_mistakes():
    assert check_close("p", 0.0455, 0.0455, mistakes={ONE_SIDED: 0.0228}).startswith("✔")


def test_check_allclose_names_a_recognised_mistake_of_the_same_shape():
    with pytest.raises(AnswerError, match="forgot the width"):
        check_allclose(
            "f", [1.0, 3.0], [0.5, 1.5], mistakes={"you forgot the width": np.array([1.0, 3.0])}
        )
    with pytest.raises(AnswerError) as failure:  # another shape is never the mistake
        check_allclose("f", [1.0], [0.5], mistakes={"you forgot the width": [1.0, 3.0]})
    assert "width" not in str(failure.value)


def test_check_equal_and_check_mcmc_name_recognised_mistakes():
    with pytest.raises(AnswerError, match="1 - B"):
        check_equal("k", 3, 2, mistakes={"this is 1 - B": 3})
    with pytest.raises(AnswerError, match="Jacobian") as failure:
        check_mcmc("m", 1.30, 1.0, 0.05, mistakes={"the Jacobian is missing": 1.31})
    assert "MCSE 0.05" in str(failure.value)  # the real MCSE is printed


def test_a_missing_return_is_named_by_every_check():
    for check in (
        lambda: check_close("x", None, 1.0),
        lambda: check_allclose("x", None, [1.0, 2.0]),
        lambda: check_allclose("x", None, 1.0),
        lambda: check_equal("x", None, [1, 2]),
        lambda: check_mcmc("x", None, 1.0, 0.1),
    ):
        with pytest.raises(AnswerError, match="missing return"):
            check()


@pytest.mark.parametrize(
    ("mistakes", "error"),
    [([("m", 1.0)], TypeError), ({1: 1.0}, TypeError), ({" ": 1.0}, ValueError)],
)
def test_bad_mistakes_are_refused(mistakes, error):
    with pytest.raises(error, match="mistakes"):
        check_close("x", 2.0, 1.0, mistakes=mistakes)


def test_bad_wrong_values_are_refused_when_needed():
    with pytest.raises((TypeError, ValueError), match="mistakes"):
        check_close("x", 2.0, 1.0, mistakes={"m": "one"})


def test_the_grader_carries_mistake_messages_from_the_trusted_run():
    """The grader's split: mistakes= is a trusted argument like the expected value; the
    verdict, in the grader's process, names the mistake."""
    from tools.grading import harness, scoring
    from tools.grading.spec import parse_hidden_tests

    source = (
        "### BEGIN HIDDEN TESTS\n"
        "check_close('wald_test(2, 1)[1]', wald_test(2.0, 1.0)[1], 0.0455002638963584,\n"
        "            mistakes={'one-sided p-value: the test is two-sided': 0.0227501319})\n"
        "### END HIDDEN TESTS\n"
    )
    student, trusted, probes = parse_hidden_tests(source, "ex")
    assert "mistakes" in probes[0].trusted and "mistakes" not in probes[0].actual
    from tools.grading.spec import Exercise

    exercise = Exercise("ex", 2.0, "answer", student, trusted, probes)
    budget = harness._Budget(harness.MAX_ELEMENTS)
    expected = [
        {
            param: harness.encode(eval(text), budget, numeric=True)
            for param, text in probes[0].trusted.items()
        }
    ]

    def observed(value):
        return {"observations": [{"value": harness.encode(value, budget, numeric=True)}]}

    points, reason = scoring.verdict(exercise, expected, observed(0.02275013))
    assert points == 0 and "one-sided p-value: the test is two-sided" in reason
    points, reason = scoring.verdict(exercise, expected, observed(0.3))
    assert points == 0 and "one-sided" not in reason
    assert scoring.verdict(exercise, expected, observed(0.0455002638963584)) == (2.0, "")
    none = {
        "observations": [
            {
                "error": {
                    "type": "TypeError",
                    "mro": ["TypeError"],
                    "message": "'NoneType' object is not subscriptable",
                }
            }
        ]
    }
    assert "missing return" in scoring.verdict(exercise, expected, none)[1]


OPTIONS = {
    "a": "the pooled slope mixes sites: it is not the within-site effect",
    "b": "within every site the new method did worse",
    "c": "a coin flip would not reverse the sign in all sites",
}


@pytest.mark.parametrize("answer", ["b", "B", " (b) ", "b."])
def test_check_choice_accepts_the_right_letter_and_explains_it(answer):
    feedback = check_choice("prediction", answer, "b", options=OPTIONS)
    assert feedback == "✔ prediction = 'b': correct. within every site the new method did worse"


@pytest.mark.parametrize("answer", ["a", "c"])
def test_check_choice_names_the_mistake_of_each_wrong_letter(answer):
    with pytest.raises(AnswerError) as failure:
        check_choice("prediction", answer, "b", options=OPTIONS)
    assert str(failure.value) == f"prediction = {answer!r} is not right: {OPTIONS[answer]}"


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "should be one of the letters 'a', 'b', 'c' (a string), got None"),
        (2, "should be one of the letters 'a', 'b', 'c' (a string)"),
        ("d", "answer with one of the letters 'a', 'b', 'c'"),
        ("ab", "answer with one of the letters"),
        (NotImplementedError("x"), "not answered yet"),
    ],
)
def test_check_choice_rejects_what_is_not_one_letter(answer, message):
    with pytest.raises(AnswerError, match=re.escape(message)):
        check_choice("prediction", answer, "b", options=OPTIONS)


@pytest.mark.parametrize(
    ("expected", "options", "error"),
    [
        ("b", {"a": "x"}, TypeError),
        ("b", ["a", "b"], TypeError),
        ("z", OPTIONS, ValueError),
        ("b", {"a": "x", "B": "y"}, ValueError),
        ("b", {"a": "x", "b": " "}, ValueError),
        ("b", {"a": "x", "b": 3}, TypeError),
    ],
)
def test_check_choice_rejects_a_malformed_question(expected, options, error):
    with pytest.raises(error):
        check_choice("prediction", "a", expected, options=options)


@pytest.mark.parametrize("answer", ["a", "B", " (c) "])
def test_record_choice_records_any_listed_letter_and_reveals_nothing(answer):
    feedback = record_choice("prediction", answer, "abc")
    assert feedback.startswith(f"✔ prediction = {answer.strip(' ()').lower()!r}: recorded")


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (None, "got None"),
        ("d", "one of the letters 'a', 'b', 'c'"),
        (NotImplementedError(), "not answered"),
    ],
)
def test_record_choice_rejects_what_is_not_a_listed_letter(answer, message):
    with pytest.raises(AnswerError, match=re.escape(message)):
        record_choice("prediction", answer, "abc")


@pytest.mark.parametrize("letters", ["a", "aB", "a1", ""])
def test_record_choice_needs_two_lowercase_letters(letters):
    with pytest.raises(ValueError, match="letters"):
        record_choice("prediction", "a", letters)


def test_the_grader_reads_an_unset_choice_as_not_answered():
    """A blank multiple-choice answer cell raises "not answered yet" and leaves its variable
    unset: the probe's NameError for that variable is "not answered yet", not a crash."""
    from tools.grading import harness, scoring
    from tools.grading.spec import Exercise, parse_hidden_tests

    source = (
        "### BEGIN HIDDEN TESTS\n"
        "check_choice('prediction_1_4', prediction_1_4, 'b', options={'a': 'x', 'b': 'y'})\n"
        "### END HIDDEN TESTS\n"
    )
    student, trusted, probes = parse_hidden_tests(source, "ex")
    exercise = Exercise("ex", 1.0, "answer", student, trusted, probes)
    budget = harness._Budget(harness.MAX_ELEMENTS)
    expected = [
        {param: harness.encode(eval(text), budget) for param, text in probes[0].trusted.items()}
    ]

    def error(message):
        return {
            "observations": [
                {"error": {"type": "NameError", "mro": ["NameError"], "message": message}}
            ]
        }

    unset = scoring.verdict(exercise, expected, error("name 'prediction_1_4' is not defined"))
    assert unset == (0.0, "prediction_1_4: not answered yet.")
    other = scoring.verdict(exercise, expected, error("name 'np' is not defined"))
    assert other[0] == 0 and "NameError" in other[1]
    # a refit the answer cell never made, read inside the probe's expression
    fit_source = source.replace("prediction_1_4, 'b'", "str(fit.posterior)[:1], 'b'")
    fit_student, fit_trusted, fit_probes = parse_hidden_tests(fit_source, "ex")
    fit_exercise = Exercise("ex", 1.0, "answer", fit_student, fit_trusted, fit_probes)
    unset_fit = scoring.verdict(fit_exercise, expected, error("name 'fit' is not defined"))
    assert unset_fit == (0.0, "prediction_1_4: not answered yet.")
    letter = {"observations": [{"value": harness.encode("b", budget)}]}
    assert scoring.verdict(exercise, expected, letter) == (1.0, "")
    wrong = {"observations": [{"value": harness.encode("a", budget)}]}
    assert scoring.verdict(exercise, expected, wrong) == (
        0.0,
        "prediction_1_4 = 'a' is not right: x",
    )
