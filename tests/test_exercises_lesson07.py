"""Lesson 07's predict, interpret, derive and modify exercises, run on right and wrong answers.

7.1 (modify: the baseline model with a Normal(0, 0.1) prior on promo, refitted) is graded on
the refit's posterior mean against its exact value by 2-D quadrature, within 4 MCSE, and on
the model against a reference written out in the hidden tests; fits that used another prior
are named. 7.3 (predict, Simpson's paradox) and 7.5 (interpret, PSIS-LOO with high k-hat) are
multiple choice: every wrong letter fails the hidden check with its explanation, the visible
check (record_choice) only records it. 7.4 (derive: each channel its own intercept and
bundle effect) names two wrong codings. The harness is tests/test_exercise_checks.py's.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from scipy import special
from test_exercise_checks import (
    L07,
    L07_DATA,
    L07_FIT,
    _answer,
    base_namespace,
    parts,
    run,
    worked,
)

from course_utils.checks import AnswerError

# ---------------------------------------------------------------------------------- 7.1
SCEPTICAL = "def sceptical_baseline(grouped):"
FIT_61 = worked(L07, "answer_7_1").split("\n\n\n", 1)[1]  # the refit the cell runs


def _sceptical(intercept_sd: float, promo_sd: float, observed: str = "bought") -> str:
    """7.1's answer with the given prior SDs (and name of the observed counts), refitted."""
    function = _answer(
        SCEPTICAL,
        "with pm.Model() as model:",
        f"    intercept = pm.Normal('intercept', 0, {intercept_sd})",
        f"    promo = pm.Normal('promo', 0, {promo_sd})",
        f"    pm.Binomial('{observed}', n=grouped['n'].to_numpy(),",
        "                observed=grouped['bought'].to_numpy(),",
        "                logit_p=intercept + promo * grouped['bundle'].to_numpy())",
        "return model",
    )
    return function + "\n\n\n" + FIT_61


def test_the_exact_posterior_means_of_7_1_by_quadrature():
    """The values in 7.1's visible check, recomputed on a finer and wider grid than the hidden
    check's (2001 x 2001 over [-1.5, 1.0] x [-0.8, 1.7]): 670 of 1482 bought without the
    bundle, 919 of 1674 with."""
    a, b = np.meshgrid(np.linspace(-1.5, 1.0, 2001), np.linspace(-0.8, 1.7, 2001), indexing="ij")
    likelihood = (
        670 * special.log_expit(a)
        + 812 * special.log_expit(-a)
        + 919 * special.log_expit(a + b)
        + 755 * special.log_expit(-a - b)
    )

    def mean(intercept_sd, promo_sd):
        log = likelihood - 0.5 * (a / intercept_sd) ** 2 - 0.5 * (b / promo_sd) ** 2
        weight = np.exp(log - log.max())
        return float(np.sum(weight * b) / weight.sum())

    hidden, visible = parts(L07, "exercise_7_1")
    for sds, value in [
        ((1.0, 0.1), 0.2569709),
        ((1.0, 1.0), 0.3865321),
        ((0.1, 0.1), 0.2392273),
        ((0.1, 1.0), 0.3463032),
        ((1.0, 0.01), 0.0074703),
    ]:
        assert mean(*sds) == pytest.approx(value, abs=2e-7)
        assert str(value) in visible
    # the hidden check computes them itself; they are far apart in units of the run's MCSE
    # (about 0.0014 with the lesson's settings: 4 MCSE = 0.006)
    assert "_promo_mean(1.0, 0.1)" in hidden
    assert abs(mean(0.1, 0.1) - mean(1.0, 0.1)) > 0.015


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_7_1_the_worked_answer_passes(which):
    run(L07, L07_FIT, "exercise_7_1", worked(L07, "answer_7_1"), which)


@pytest.mark.parametrize(
    ("sds", "message", "visible_too"),
    [
        ((1.0, 1.0), "the lesson's Normal(0, 1) prior on promo", True),
        ((0.1, 0.1), "the intercept has the Normal(0, 0.1) prior too", False),
        ((0.1, 1.0), "on the intercept, not on promo", False),
        ((1.0, 0.01), "not the variance", True),
    ],
)
def test_7_1_a_fit_with_another_prior_is_named(sds, message, visible_too):
    for which in ["hidden", "visible"] if visible_too else ["hidden"]:
        with pytest.raises(AnswerError, match=re.escape(message)):
            run(L07, L07_FIT, "exercise_7_1", _sceptical(*sds), which)


def test_7_1_the_model_itself_is_checked():
    """Right priors, right posterior mean, but the observed counts under another name: only
    the comparison with the reference model catches it."""
    answer = _sceptical(1.0, 0.1, observed="y")
    run(L07, L07_FIT, "exercise_7_1", answer, "visible")
    with pytest.raises(AnswerError, match="observed variables"):
        run(L07, L07_FIT, "exercise_7_1", answer, "hidden")


# ------------------------------------------------------------------------- 7.3 and 7.5
def _choice(check_id: str, name: str, letter: str, which: str):
    """Run a choice exercise's hidden check (check_choice) or visible one (record_choice) on
    one letter; return its feedback."""
    namespace = dict(base_namespace(L07, ("imports",)))
    namespace[name] = letter
    results = []
    for check in ("check_choice", "record_choice"):  # hidden, visible
        namespace[check] = lambda *a, _check=namespace[check], **k: results.append(_check(*a, **k))
    hidden, visible = parts(L07, check_id)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        exec(hidden if which == "hidden" else visible, namespace)
    (feedback,) = results
    return feedback


def _options(check_id: str) -> dict[str, str]:
    namespace = dict(base_namespace(L07, ("imports",)))
    captured = {}
    namespace["check_choice"] = lambda name, actual, expected, *, options, **k: captured.update(
        options=options, expected=expected
    )
    namespace["simpson_prediction"] = namespace["loo_reading"] = "a"
    exec(parts(L07, check_id)[0], namespace)
    return captured


CHOICES = [("exercise_7_3", "simpson_prediction"), ("exercise_7_5", "loo_reading")]


@pytest.mark.parametrize(("check_id", "name"), CHOICES)
def test_a_choice_has_four_options_and_b_is_right(check_id, name):
    captured = _options(check_id)
    assert sorted(captured["options"]) == ["a", "b", "c", "d"]
    assert captured["expected"] == "b"
    assert captured["options"]["b"].startswith("Right")
    assert all(captured["options"][x].startswith("No") for x in "acd")
    assert "correct" in _choice(check_id, name, "b", "hidden")
    assert "recorded" in _choice(check_id, name, "b", "visible")
    visible = parts(L07, check_id)[1]  # what the lesson shows: no explanation, no answer
    assert not any(text in visible for text in captured["options"].values())
    assert '"b"' not in visible


@pytest.mark.parametrize("letter", ["a", "c", "d"])
@pytest.mark.parametrize(("check_id", "name"), CHOICES)
def test_a_wrong_choice_fails_with_its_explanation_and_is_only_recorded_on_screen(
    check_id, name, letter
):
    explanation = _options(check_id)["options"][letter]
    with pytest.raises(AnswerError) as failure:
        _choice(check_id, name, letter, "hidden")
    assert explanation in str(failure.value)
    shown = _choice(check_id, name, letter, "visible")
    assert "recorded" in shown and explanation not in shown


@pytest.mark.parametrize(("check_id", "name"), CHOICES)
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_a_choice_left_unanswered_or_not_a_letter_fails(check_id, name, which):
    for answer in [NotImplementedError("not answered yet"), "e", 2]:
        with pytest.raises(AnswerError):
            _choice(check_id, name, answer, which)


def test_7_3s_numbers_are_the_data():
    """The take rates quoted in 7.3's explanations, and the sign of each channel's effect."""
    namespace = base_namespace(L07, L07_DATA)
    grouped = namespace["grouped"].set_index(["channel", "bundle"])
    rate = (grouped["bought"] / grouped["n"]).round(2)
    assert [rate[("Mail", 0)], rate[("Mail", 1)]] == [0.56, 0.35]
    assert [rate[("Park", 0)], rate[("Park", 1)]] == [0.85, 0.74]
    assert [rate[("Email", 0)], rate[("Email", 1)]] == [0.05, 0.31]
    assert (
        grouped.loc[("Park", 1), "n"] == 862 and grouped.xs(1, level="bundle")["n"].sum() == 1674
    )
    assert grouped.loc[("Email", 1), "n"] == 121
    assert [grouped.loc[("Park", 0), "n"], grouped.loc[("Email", 0), "n"]] == [333, 512]
    explanations = _options("exercise_7_3")["options"]
    assert "862 of 1,674" in explanations["b"] and "333 and 512" in explanations["b"]


# ---------------------------------------------------------------------------------- 7.4
SEPARATE = "def separate_channels_model(grouped):"


def _separate(logit_p: str, dims: str = "dims='channel'") -> str:
    return _answer(
        SEPARATE,
        "c = grouped['channel'].cat.codes.to_numpy()",
        "x = grouped['bundle'].to_numpy()",
        "with pm.Model(coords={'channel': ['Mail', 'Park', 'Email']}) as model:",
        f"    a = pm.Normal('a_channel', 0, 1, {dims})",
        f"    b = pm.Normal('b_channel', 0, 1, {dims})",
        "    pm.Binomial('bought', n=grouped['n'].to_numpy(),",
        f"                observed=grouped['bought'].to_numpy(), logit_p={logit_p})",
        "return model",
    )


DIFFERENCES = "a[0] + (c > 0) * a[c] + (b[0] + (c > 0) * b[c]) * x"


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_7_4_the_worked_answer_passes(which):
    run(L07, L07_DATA, "exercise_7_4", worked(L07, "answer_7_4"), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_7_4_another_way_to_write_it_passes(which):
    run(L07, L07_DATA, "exercise_7_4", _separate("a[c] + b[c] * x"), which)


@pytest.mark.parametrize(
    ("logit_p", "dims", "message"),
    [
        ("a[c] + b[c]", "dims='channel'", "multiply it by bundle"),
        (DIFFERENCES, "dims='channel'", "the lesson's coding"),
        ("a[c] + b[c] * x", "shape=3", 'dims="channel"'),
        ("a[x] + b[x] * x", "dims='channel'", "index a_channel and b_channel"),
    ],
)
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_7_4_a_wrong_model_is_named(logit_p, dims, message, which):
    with pytest.raises(AnswerError, match=message):
        run(L07, L07_DATA, "exercise_7_4", _separate(logit_p, dims), which)


def test_7_4_the_channel_coordinates_are_checked():
    answer = _separate("a[c] + b[c] * x").replace("['Mail', 'Park', 'Email']", "['M', 'P', 'E']")
    with pytest.raises(AnswerError, match="coordinates"):
        run(L07, L07_DATA, "exercise_7_4", answer, "hidden")
