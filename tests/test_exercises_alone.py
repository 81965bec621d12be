"""Each exercise graded alone: its worked answer filled in, every other answer as handed out.

Lesson 00 promises that nothing later depends on an answer: an exercise's checks must not use
another exercise's function (directly, or through a variable the notebook computes with it).
For every lesson this grades, with the project's sandboxed grader, one notebook per exercise
(the lesson generated from the current solution, that exercise's answer filled in) and
requires full points for that exercise, and none for an exercise left blank.
"""

from __future__ import annotations

import ast
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from tools import make_lessons
from tools.notebooks import SOLUTIONS

# Grading runs every notebook under bubblewrap: without it the grading test skips, except in CI.
needs_sandbox = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)

LESSONS = sorted(p.name for p in SOLUTIONS.iterdir() if (p / f"{p.name}.ipynb").is_file())
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)


def _grade_id(cell) -> str:
    return cell.metadata.get("nbgrader", {}).get("grade_id", "")


def answers(solution: Path) -> dict[str, str]:
    """{answer cell grade_id: worked answer without the solution markers}."""
    notebook = nbformat.read(solution, as_version=4)
    return {
        _grade_id(c): MARKERS.sub("", c.source)
        for c in notebook.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        and not c.metadata.get("nbgrader", {}).get("grade")
    }


def exercise_of_answer(solution: Path) -> dict[str, str]:
    """{answer grade_id: grade_id of the check cell that follows it}."""
    pairs, answer = {}, ""
    for cell in nbformat.read(solution, as_version=4).cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("solution") and not meta.get("grade"):
            answer = meta["grade_id"]
        elif meta.get("grade") and answer:
            pairs[answer] = meta["grade_id"]
            answer = ""
    return pairs


@pytest.fixture(scope="module")
def generated(tmp_path_factory) -> Path:
    """The lessons as nbgrader generates them from the solutions of this checkout."""
    folder = tmp_path_factory.mktemp("generated") / "lessons"
    make_lessons.main(["--output", str(folder)])
    return folder


@pytest.mark.slow
@needs_sandbox
@pytest.mark.parametrize("lesson", LESSONS)
def test_each_exercise_answered_alone_gets_full_points(lesson, generated, tmp_path):
    from tools.grading.grader import Context, grade
    from tools.grading.sandbox import Limits

    solution = SOLUTIONS / lesson / f"{lesson}.ipynb"
    worked = answers(solution)
    checks = exercise_of_answer(solution)
    assert worked and set(worked) == set(checks), "every answer cell needs its check cell"
    handed_out = generated / lesson / f"{lesson}.ipynb"
    submissions = tmp_path / "submissions"
    for answer_id, source in worked.items():
        notebook = nbformat.read(handed_out, as_version=4)
        (cell,) = [c for c in notebook.cells if _grade_id(c) == answer_id]
        assert "BEGIN SOLUTION" not in cell.source  # the lesson's stub, not the answer
        cell.source = source
        folder = submissions / f"only_{answer_id}" / lesson
        folder.mkdir(parents=True)
        nbformat.write(notebook, folder / f"{lesson}.ipynb")
    limits = Limits(cell_timeout=600, notebook_timeout=1800, max_output_bytes=10 * 2**20)
    quiet = Context(log=lambda *_: None, show_progress=False)
    report = grade(submissions, tmp_path / "work", limits, context=quiet)
    assert report.errors == []
    rows = {(r.student, r.exercise): r for r in report.rows}
    wrong = []
    for answer_id, exercise in checks.items():
        row = rows[(f"only_{answer_id}", exercise)]
        if row.points != row.max_points:
            wrong.append(f"{exercise} alone: {row.points}/{row.max_points} ({row.reason})")
        others = [r for (s, e), r in rows.items() if s == f"only_{answer_id}" and e != exercise]
        wrong += [
            f"{r.exercise} left blank got {r.points} points in only_{answer_id}"
            for r in others
            if r.points
        ]
    assert not wrong, "\n".join(wrong)


# The grader leaves the check cells out, so the test above cannot see a visible check that
# uses another exercise's answer (lesson 03's grid mean and interval, now 3.4 and 3.6, used
# the density from 3.2). This one follows, statement by statement, which names a notebook
# computes from an answer function, and fails when a check cell uses one from another
# exercise.
HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n.*?### END HIDDEN TESTS\n?", re.DOTALL)


def _loads(node) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)
    }


def _stores(node) -> set[str]:
    return {
        n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
    }


def borrowed_answers(solution: Path) -> dict[str, set[str]]:
    """{check grade_id: answer grade_ids other than its own whose results it uses}."""
    comes_from: dict[str, set[str]] = {}  # name -> answer cells its value depends on
    borrowed, answer = {}, ""
    for cell in nbformat.read(solution, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        source = "\n".join(
            "" if line.lstrip().startswith(("%", "!")) else line
            for line in cell.source.split("\n")
        )
        tree = ast.parse(source)
        if meta.get("solution") and not meta.get("grade"):
            answer = meta["grade_id"]
            for name in _stores(tree) | {
                n.name for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)
            }:
                comes_from[name] = {answer}
            continue
        check = meta.get("grade")
        if check:
            tree = ast.parse(HIDDEN.sub("", source))
        used: set[str] = set()
        for statement in tree.body:  # an assignment passes on (or clears) what it depends on
            sources = set().union(*(comes_from.get(n, set()) for n in _loads(statement)))
            used |= sources
            for name in _stores(statement):
                comes_from[name] = sources
        if check:
            borrowed[meta["grade_id"]] = used - {answer}
    return borrowed


@pytest.mark.parametrize("lesson", LESSONS)
def test_no_visible_check_uses_another_exercises_answer(lesson):
    borrowed = borrowed_answers(SOLUTIONS / lesson / f"{lesson}.ipynb")
    assert borrowed, "no check cells found"
    assert {k: v for k, v in borrowed.items() if v} == {}


def test_the_dependency_finder_sees_a_borrowed_answer(tmp_path):
    cells = [
        nbformat.v4.new_code_cell("def f(x):\n    return x"),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\n_d = f(1)"),
        nbformat.v4.new_code_cell("def g(x):\n    return x"),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\ng(_d)"),
        nbformat.v4.new_code_cell("_d = 2"),
        nbformat.v4.new_code_cell("### BEGIN HIDDEN TESTS\n### END HIDDEN TESTS\ng(_d)"),
    ]
    roles = ["answer_1", "check_1", "answer_2", "check_2", None, "check_3"]
    for cell, role in zip(cells, roles, strict=True):
        if role:
            cell.metadata["nbgrader"] = {
                "grade_id": role,
                "solution": role.startswith("answer"),
                "grade": role.startswith("check"),
            }
    path = tmp_path / "toy.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=cells), path)
    assert borrowed_answers(path) == {"check_1": set(), "check_2": {"answer_1"}, "check_3": set()}
