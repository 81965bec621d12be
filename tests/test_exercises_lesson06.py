"""Lesson 06's reworked and new exercises, checked on right and wrong answers.

6.3 (derive): the log posterior of (mu, log tau) under a half-Cauchy prior on tau; 6.4
(predict): which school is pulled the largest fraction of the way; 6.5 (interpret): what the
numbers say about school A; 6.7 (modify): the half-Cauchy model refitted with NUTS, graded
within Monte Carlo error against the exact posterior mean of tau. The harness (the check
cell's hidden tests or visible check, run after the answer) is test_exercise_checks's.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats
from test_exercise_checks import _answer, cells, run, worked

from course_utils import hierarchical_normal as es
from course_utils.checks import AnswerError
from course_utils.data import load_eight_schools

L06 = "06_eight_schools"
SETUP = ("imports", "data")


def _fails(check_id: str, answer: str, which: str, message: str, setup=SETUP) -> None:
    with pytest.raises(AnswerError) as failure:
        run(L06, setup, check_id, answer, which)
    assert message in str(failure.value)


# ---------------------------------------------------------------- 6.3
HALF_CAUCHY = "def log_posterior_half_cauchy(lam1, lam2, y, sigma, scale):"
PIECES = (
    "tau = np.exp(lam2)",
    "variance = tau**2 + sigma**2",
    "like = np.sum(-0.5 * np.log(variance) - (lam1 - y) ** 2 / (2 * variance))",
)


def _log_posterior(last_line: str) -> str:
    return _answer(HALF_CAUCHY, *PIECES, last_line)


WRONG_6_3 = [
    ("return float(like - np.log1p((tau / scale) ** 2))", "forgot the Jacobian: off by exactly 1"),
    ("return float(like - np.log1p((tau / scale) ** 2) - lam2)", "not - lam2"),
    ("return float(like + lam2)", "flat prior's log posterior"),
    ("return float(like - np.log1p((lam2 / scale) ** 2) + lam2)", "at tau = exp(lam2)"),
]


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_3_worked_answer_passes(which):
    run(L06, SETUP, "exercise_6_3", worked(L06, "answer_6_3"), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("last_line", "message"), WRONG_6_3)
def test_6_3_a_recognised_mistake_is_named(last_line, message, which):
    _fails("exercise_6_3", _log_posterior(last_line), which, message)


def test_6_3_a_scale_fixed_at_5_fails_the_hidden_check():
    answer = _log_posterior("return float(like - np.log1p((tau / 5.0) ** 2) + lam2)")
    _fails("exercise_6_3", answer, "hidden", "the argument scale")


def test_6_3_expected_difference_by_hand():
    """The visible check's 0.28394: written out without scipy, against the flat prior's
    -0.61523 of the lesson before (the prior adds log(1 + 7.389^2/25) - log(1 + 2.718^2/25)
    and nothing else)."""
    data = load_eight_schools()
    y, sigma = data["y"].to_numpy(), data["sigma"].to_numpy()

    def log_p(a, b):
        v = np.exp(2 * b) + sigma**2
        return np.sum(-0.5 * np.log(v) - (a - y) ** 2 / (2 * v)) + b

    flat = log_p(5.0, 1.0) - log_p(8.0, 2.0)
    assert flat == pytest.approx(-0.615230161903181, abs=1e-12)
    prior = np.log1p(np.exp(4.0) / 25) - np.log1p(np.exp(2.0) / 25)
    assert flat + prior == pytest.approx(0.28394009887225025, abs=1e-12)
    assert "log_marginal_posterior" not in cells(L06)["ex3-head"] + cells(L06)["exercise_6_3"]


# ---------------------------------------------------------------- 6.4 and 6.5: choices
CHOICES = {
    # exercise: (answer variable, right letter, {wrong letter: words of its explanation})
    "exercise_6_4": (
        "largest_shrinkage",
        "b",
        {"a": "not on y_j", "c": "smallest fraction of the way", "d": "also depends on each"},
    ),
    "exercise_6_5": (
        "school_a",
        "b",
        {"a": "not a corrected", "c": "does not involve y_A", "d": "not a significance"},
    ),
}
CASES = [(check, letter) for check, (_, _, wrong) in CHOICES.items() for letter in wrong]


@pytest.mark.parametrize("check_id", sorted(CHOICES))
def test_the_right_letter_passes_both_checks(check_id):
    variable, right, _ = CHOICES[check_id]
    assert f'{variable} = "{right}"' in worked(L06, check_id.replace("exercise", "answer"))
    for which in ("hidden", "visible"):
        run(L06, SETUP, check_id, f"{variable} = '{right.upper()}'", which)


@pytest.mark.parametrize(("check_id", "letter"), CASES)
def test_a_wrong_letter_fails_with_its_explanation_and_is_only_recorded_visibly(check_id, letter):
    variable, _, wrong = CHOICES[check_id]
    _fails(check_id, f"{variable} = {letter!r}", "hidden", wrong[letter])
    run(L06, SETUP, check_id, f"{variable} = {letter!r}", "visible")  # recorded, not graded


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize("check_id", sorted(CHOICES))
def test_no_letter_or_another_letter_fails(check_id, which):
    variable = CHOICES[check_id][0]
    _fails(check_id, f"{variable} = 'e'", which, "")
    with pytest.raises(AnswerError):
        run(L06, SETUP, check_id, f"{variable} = NotImplementedError()", which)


def test_the_visible_checks_of_the_choices_do_not_show_the_answer():
    for check_id in CHOICES:
        visible = cells(L06)[check_id].split("### END HIDDEN TESTS")[1]
        assert "record_choice(" in visible
        for words in ["0.862", "0.825", "0.73", "is not a corrected", "sigma_j^2"]:
            assert words not in visible


def test_the_numbers_quoted_in_6_4_and_6_5_are_the_exact_ones():
    data = load_eight_schools()
    y, sigma = data["y"].to_numpy(), data["sigma"].to_numpy()
    exact = es.exact_posterior(y, sigma, names=data["school"].tolist())
    b = exact["shrinkage"].round(3)
    assert (b["A"], b["C"], b["E"], b["H"]) == (0.825, 0.839, 0.693, 0.862)
    assert exact["shrinkage"].idxmax() == "H" and exact["shrinkage"].idxmin() == "E"
    assert round(exact.loc["A", "mean"], 1) == 11.4 and round(exact.loc["A", "sd"], 1) == 8.3
    assert round(es.prob_exceeds(y, sigma, 0, 28.0), 2) == 0.04
    greater = [es.prob_greater(y, sigma, 0, k) for k in range(1, 8)]
    assert min(greater) > 0.5 and round(min(greater), 2) == 0.52 and round(max(greater), 2) == 0.73
    # every B_j increases with sigma_j at any tau: the ranking does not depend on tau
    for tau in (0.5, 5.0, 50.0):
        shrink = sigma**2 / (sigma**2 + tau**2)
        assert np.argmax(shrink) == 7 and np.argmin(shrink) == 4


# ---------------------------------------------------------------- 6.7: modify and refit
MODEL = "def half_cauchy_model(y, sigma, names, scale):"


def _model(tau_line: str, centred: bool = False) -> str:
    school = "dims='school'"
    body = [
        "with pm.Model(coords={'school': names}) as model:",
        "    mu = pm.Flat('mu')",
        f"    tau = {tau_line}",
    ]
    if centred:
        body.append(f"    theta = pm.Normal('theta', mu=mu, sigma=tau, {school})")
    else:
        body += [
            f"    eta = pm.Normal('eta', 0, 1, {school})",
            f"    theta = pm.Deterministic('theta', mu + tau * eta, {school})",
        ]
    body += [f"    pm.Normal('y', mu=theta, sigma=sigma, observed=y, {school})", "return model"]
    return _answer(MODEL, *body)


RIGHT_TAU = "pm.HalfCauchy('tau', beta=scale)"
SAMPLE = "chains=4, tune=1000, draws=1000, target_accept=0.95, progressbar=False"
# Fits shared by the cases below (the setup is built once): the right model, the flat prior,
# and the right model with too few draws.
FITS = (
    *SETUP,
    "code:exec(" + repr(_model(RIGHT_TAU)) + ")\n"
    "_right_fit = pm.sample(model=half_cauchy_model(y, sigma, names, 5.0), "
    + SAMPLE
    + ", random_seed=571)\n"
    "_short_fit = pm.sample(model=half_cauchy_model(y, sigma, names, 5.0), chains=2, "
    "tune=200, draws=100, progressbar=False, random_seed=572)\n"
    "exec(" + repr(_model("pm.HalfFlat('tau')")) + ")\n"
    "_flat_fit = pm.sample(model=half_cauchy_model(y, sigma, names, 5.0), " + SAMPLE + ", "
    "random_seed=573)",
)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_7_worked_answer_passes(which):
    run(L06, SETUP, "exercise_6_7", worked(L06, "answer_6_7"), which)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_7_another_right_fit_passes(which):
    run(L06, FITS, "exercise_6_7", _model(RIGHT_TAU) + "\ncauchy_fit = _right_fit", which)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_7_the_flat_prior_kept_is_named(which):
    answer = _model("pm.HalfFlat('tau')") + "\ncauchy_fit = _flat_fit"
    _fails("exercise_6_7", answer, which, "flat prior", setup=FITS)


@pytest.mark.slow
@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_7_too_few_draws_fail_on_the_effective_sample_size(which):
    answer = _model(RIGHT_TAU) + "\ncauchy_fit = _short_fit"
    _fails("exercise_6_7", answer, which, "effective sample size", setup=FITS)


@pytest.mark.parametrize("which", ["hidden", "visible"])
def test_6_7_the_centred_model_is_named(which):
    answer = _model(RIGHT_TAU, centred=True) + "\ncauchy_fit = None"
    _fails("exercise_6_7", answer, which, "centred model")


@pytest.mark.parametrize(
    ("tau_line", "message"),
    [
        ("pm.HalfNormal('tau', sigma=scale)", "half-normal prior"),
        ("pm.HalfCauchy('tau', beta=5.0)", "not a fixed 5"),
        ("pm.HalfFlat('tau')", "still has the flat prior"),
    ],
)
def test_6_7_a_wrong_prior_fails_the_hidden_check_with_its_name(tau_line, message):
    _fails("exercise_6_7", _model(tau_line) + "\ncauchy_fit = None", "hidden", message)


def test_6_7_exact_mean_of_tau_by_independent_quadrature():
    """E(tau | y) under half-Cauchy(0, 5) with mu integrated out (normal given tau), by
    scipy.integrate.quad: 3.634, against 6.576 (flat) and 5.898 (half-Cauchy(0, 25)),
    the values the checks and the lesson quote."""
    from scipy import integrate

    data = load_eight_schools()
    y, sigma = data["y"].to_numpy(), data["sigma"].to_numpy()

    def log_marginal(tau):
        v = sigma**2 + tau**2
        mu_hat = np.sum(y / v) / np.sum(1 / v)
        return -0.5 * np.log(np.sum(1 / v)) - 0.5 * np.sum(np.log(v) + (y - mu_hat) ** 2 / v)

    def mean_tau(log_prior):
        def f(tau, power):
            return tau**power * np.exp(log_marginal(tau) + log_prior(tau) + 40.0)

        pieces = [(0, 5), (5, 20), (20, 100), (100, 1e3), (1e3, np.inf)]
        z = sum(integrate.quad(f, a, b, args=(0,), epsrel=1e-12)[0] for a, b in pieces)
        m = sum(integrate.quad(f, a, b, args=(1,), epsrel=1e-12)[0] for a, b in pieces)
        return m / z

    cauchy = mean_tau(lambda t: stats.halfcauchy.logpdf(t, scale=5.0))
    assert cauchy == pytest.approx(3.6339, abs=1e-4)
    hyper = es.exact_posterior(y, sigma, "half-cauchy", 5.0).attrs["hyper"]
    assert hyper.loc["tau", "mean"] == pytest.approx(cauchy, rel=1e-7)
    assert mean_tau(lambda t: stats.halfcauchy.logpdf(t, scale=25.0)) == pytest.approx(
        5.8977, abs=1e-4
    )
    assert mean_tau(lambda t: 0.0 * t) == pytest.approx(6.5755, abs=1e-4)
    # the flat and scale-25 answers lie beyond the check's 4 x sd / sqrt(1000) of the right one
    tolerance = 4 * hyper.loc["tau", "sd"] / np.sqrt(1000)
    assert tolerance == pytest.approx(0.4127, abs=1e-3)
    assert 5.8977 - cauchy > 2 * tolerance
