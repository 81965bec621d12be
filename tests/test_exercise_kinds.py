"""Every answer cell says what kind of exercise it is, and the README's table says the same."""

from __future__ import annotations

import ast

import nbformat
import pytest

from tools import exercise_kinds
from tools.notebooks import LESSONS, SOLUTIONS, lesson_names


@pytest.mark.parametrize("lesson", lesson_names())
def test_every_answer_cell_has_a_known_kind(lesson):
    kinds = exercise_kinds.exercise_kinds(SOLUTIONS / lesson / f"{lesson}.ipynb")
    assert kinds, f"{lesson} has no answer cell"
    assert {kind for _, _, kind in kinds} <= set(exercise_kinds.KINDS)
    assert all(number for number, _, _ in kinds), "an answer cell above every exercise heading"


def test_a_missing_or_unknown_kind_is_named(tmp_path):
    notebook = nbformat.v4.new_notebook()
    answer = nbformat.v4.new_code_cell("x = 1")
    answer.metadata = {"nbgrader": {"solution": True, "grade_id": "answer_9_1"}}
    notebook.cells = [nbformat.v4.new_markdown_cell("### Exercise 9.1: x"), answer]
    for kind in (None, "transcribe"):
        if kind:
            answer.metadata["exercise_kind"] = kind
        nbformat.write(notebook, tmp_path / "n.ipynb")
        with pytest.raises(ValueError, match=f"answer_9_1 has exercise_kind {kind!r}"):
            exercise_kinds.exercise_kinds(tmp_path / "n.ipynb")


def test_the_readme_table_is_up_to_date():
    assert exercise_kinds.main(["--check"]) == 0, "python -m tools.exercise_kinds --write"


@pytest.mark.parametrize("lesson", lesson_names())
def test_the_student_lesson_keeps_the_kinds(lesson):
    solution = exercise_kinds.exercise_kinds(SOLUTIONS / lesson / f"{lesson}.ipynb")
    assert exercise_kinds.exercise_kinds(LESSONS / lesson / f"{lesson}.ipynb") == solution


#: What each lesson's exercises must include beyond computing (issue 19): a prediction
#: and an interpretation in every lesson 01-07, and a model changed and refitted in 05-07.
REQUIRED = {
    "01_credit_assignment": {"predict", "interpret"},
    "02_wald_vs_lrt": {"predict", "interpret"},
    "03_unnormalizable_posteriors": {"predict", "interpret"},
    "04_mcmc": {"predict", "interpret"},
    "05_nuts_mixed_logit": {"predict", "interpret", "modify"},
    "06_eight_schools": {"predict", "interpret", "modify"},
    "07_season_pass": {"predict", "interpret", "modify"},
}


@pytest.mark.parametrize(("lesson", "required"), REQUIRED.items())
def test_each_lesson_asks_more_than_computing(lesson, required):
    kinds = exercise_kinds.exercise_kinds(SOLUTIONS / lesson / f"{lesson}.ipynb")
    assert required <= {kind for _, _, kind in kinds}


def _dict_keys(expression: str, setup: str) -> list[str]:
    """The keys of a dict literal, or of the dict literal a setup statement assigns to the
    name ``expression``."""
    node = ast.parse(expression, mode="eval").body
    if isinstance(node, ast.Name):
        assigned = [
            statement.value
            for statement in ast.parse(setup).body
            if isinstance(statement, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == node.id for t in statement.targets)
        ]
        node = assigned[-1] if assigned else node
    assert isinstance(node, ast.Dict), f"not a dict literal: {expression}"
    return [ast.unparse(key) for key in node.keys]


@pytest.mark.parametrize("lesson", lesson_names())
def test_every_exercise_recognises_at_least_two_mistakes(lesson):
    """Each exercise's hidden checks name at least two common mistakes: ``mistakes=``
    messages, or the wrong options of a multiple choice (issue 19)."""
    from tools.grading.spec import lesson_spec

    for exercise in lesson_spec(SOLUTIONS / lesson / f"{lesson}.ipynb").exercises:
        named = set()
        for probe in exercise.probes:
            if "mistakes" in probe.trusted:
                named |= set(_dict_keys(probe.trusted["mistakes"], exercise.trusted_setup))
            if "options" in probe.trusted:
                options = _dict_keys(probe.trusted["options"], exercise.trusted_setup)
                right = ast.unparse(ast.parse(probe.trusted["expected"], mode="eval").body)
                assert right in options, f"{exercise.grade_id}: {right} is not an option"
                named |= set(options) - {right}
        assert len(named) >= 2, f"{exercise.grade_id} names {len(named)} mistake(s)"
