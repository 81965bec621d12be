"""Lesson 01's predict and interpret exercises (1.4, 1.5): CHOICES names the words each wrong
letter's explanation must hold (tests/test_choice_exercises.py runs the checks on every
letter); the numbers the explanations quote are checked here."""

from __future__ import annotations

import nbformat
import numpy as np
import pytest
from test_exercise_checks import cells, notebook_path

from course_utils.data import load_tutoring

L01 = "01_credit_assignment"
SETUP = ("imports",)

# (answer id, check id, variable, right letter, {wrong letter: words of its explanation})
CHOICES = [
    (
        "answer_1_4",
        "exercise_1_4",
        "prediction_1_4",
        "b",
        {
            "a": "not collapsible",
            "c": "-1/2, -1/3, 0, -1, 0 and 0",
            "d": "from 0.25 to 0.75",
        },
    ),
    (
        "answer_1_5",
        "exercise_1_5",
        "interpretation_1_5",
        "a",
        {
            "b": "from 3.52 to 1.17",
            "c": "factor of 1.5 to 1.7",
            "d": "from 0.905 to 1.396",
        },
    ),
]


def test_the_lesson_shows_the_numbers_the_explanations_quote():
    """Every number an explanation of 1.5 quotes is in the refit table the lesson shows."""
    notebook = nbformat.read(notebook_path(L01), as_version=4)
    (table,) = [c for c in notebook.cells if c.get("id") == "drop-sites"]
    shown = table.outputs[0]["data"]["text/plain"]
    for number in (
        "-1.792",
        "-2.303",
        "0.905",
        "1.396",
        "-3.549",
        "2.348",
        "-3.146",
        "2.371",
        "3.524",
        "1.168",
    ):
        assert number in shown


def _fixed_sigma_fit(sites: list[int], sigma: float) -> tuple[float, float]:
    """(method estimate, its SE) of the mixed logit with the site SD held at ``sigma``, by
    60-node Gauss-Hermite quadrature over each site's intercept and a finite-difference
    Hessian in (intercept, method): independent of course_utils.glmm."""
    from scipy import optimize, special

    frame = load_tutoring()
    frame = frame[frame["site_id"].isin(sites)]
    nodes, weights = np.polynomial.hermite_e.hermegauss(60)
    log_weights = np.log(weights / np.sqrt(2 * np.pi))

    def minus_loglik(beta: np.ndarray) -> float:
        total = 0.0
        for _, site in frame.groupby("site_id"):
            eta = beta[0] + beta[1] * site["method"].to_numpy()[:, None] + sigma * nodes
            sign = 2 * site["passed"].to_numpy()[:, None] - 1
            total += special.logsumexp(special.log_expit(sign * eta).sum(0) + log_weights)
        return -total

    best = optimize.minimize(minus_loglik, [1.0, -3.0], method="BFGS", options={"gtol": 1e-9})
    step, hessian = 1e-3, np.zeros((2, 2))
    for i, j in np.ndindex(2, 2):
        e_i, e_j = np.eye(2)[i] * step, np.eye(2)[j] * step
        hessian[i, j] = (
            minus_loglik(best.x + e_i + e_j)
            - minus_loglik(best.x + e_i - e_j)
            - minus_loglik(best.x - e_i + e_j)
            + minus_loglik(best.x - e_i - e_j)
        ) / (4 * step**2)
    return float(best.x[1]), float(np.sqrt(np.linalg.inv(hessian)[1, 1]))


@pytest.mark.parametrize(("sigma", "se_all", "se_kept"), [(3.52, 1.83, 3.12), (1.17, 1.10, 1.67)])
def test_with_the_site_sd_held_fixed_the_three_sites_do_inform_the_method(sigma, se_all, se_kept):
    """1.5's key: at a fixed site SD, dropping sites 3, 5, 6 raises the method's SE 1.5-1.7
    times (the numbers its explanations and the lesson's text quote)."""
    _, all_sites = _fixed_sigma_fit([1, 2, 3, 4, 5, 6], sigma)
    _, kept = _fixed_sigma_fit([1, 2, 4], sigma)
    assert (round(all_sites, 2), round(kept, 2)) == (se_all, se_kept)
    assert 1.5 <= round(kept / all_sites, 1) <= 1.7
    text = cells(L01)["drop-sites-read"] + cells(L01)["exercise_1_5"]
    assert f"{se_all:.2f}" in text and f"{se_kept:.2f}" in text
