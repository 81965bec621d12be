"""Lesson 02's predict and interpret exercises (2.3, 2.4): CHOICES names the words each wrong
letter's explanation must hold (tests/test_choice_exercises.py runs the checks on every
letter); the numbers the explanations quote are checked here."""

from __future__ import annotations

import nbformat
from test_exercise_checks import notebook_path

L02 = "02_wald_vs_lrt"
SETUP = ("imports",)

# (answer id, check id, variable, right letter, {wrong letter: words of its explanation})
CHOICES = [
    (
        "answer_2_3",
        "exercise_2_3",
        "prediction_2_3",
        "b",
        {
            "a": "(p = 0.028), so it cannot contain 0",
            "c": "about three times as far below the",
            "d": "wider than the Wald interval only on the negative side",
        },
    ),
    (
        "answer_2_4",
        "exercise_2_4",
        "interpretation_2_4",
        "a",
        {
            "b": "plug-in SE that ignores it is smaller (1.657, p = 0.049)",
            "c": "neither test dominates the other",
            "d": "keeps the site intercepts",
        },
    ),
]


def _outputs(cell_id: str) -> str:
    notebook = nbformat.read(notebook_path(L02), as_version=4)
    (cell,) = [c for c in notebook.cells if c.get("id") == cell_id]
    return "".join(
        o.get("text", "") or o.get("data", {}).get("text/plain", "") for o in cell.outputs
    )


def test_the_lesson_shows_the_numbers_the_explanations_quote():
    """The intervals (2.3), the deviance increases at b = 0 and the plug-in SE (2.4)."""
    assert "-7.262" in _outputs("intervals") and "0.739" in _outputs("intervals")
    assert "-15.780" in _outputs("intervals") and "-0.305" in _outputs("intervals")
    assert "z^2 = 2.55, profile 4.845 (the LRT statistic, 4.845)" in _outputs("at-zero")
    assert "0.0277" in _outputs("lrt")
    assert "1.6572" in _outputs("wald-two-ways") and "0.0491" in _outputs("wald-two-ways")
