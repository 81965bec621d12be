"""The grading command, on real submissions made from the generated lesson 00.

One grading run over a folder of eight students covers every required behaviour: full
marks, lost points, an error, an endless loop, an edited and a deleted check cell, and a
file that is not a notebook. The submitted files must come through unmodified.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON = "00_start_here"
LESSON_FILE = ROOT / "lessons" / LESSON / f"{LESSON}.ipynb"
ANSWER, CHECK = "answer_0_1", "exercise_0_1"
TIMEOUT = 15
# Grading runs every notebook under bubblewrap: without it these tests skip, except in CI.
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)

HEADER = "def raw_pass_rate(frame: pd.DataFrame, method: int) -> float:\n"
RIGHT = HEADER + (
    "    chosen = frame.loc[frame['method'] == method, 'passed']\n"
    "    return chosen.sum() / len(chosen)\n"
)
ONLY_VISIBLE = HEADER + "    return 8 / 12\n"  # passes the visible check, fails hidden ones
RAISES = HEADER + "    return frame['passd'].mean()\n"
LOOPS = HEADER + "    while True:\n        pass\n"


def cell(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    (found,) = [
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    ]
    return found


def submission(answer: str, check: str | None = "keep") -> str:
    """The lesson with ``answer`` typed in; the check cell kept, replaced or deleted."""
    notebook = nbformat.read(LESSON_FILE, as_version=4)
    cell(notebook, ANSWER).source = answer
    if check is None:
        notebook.cells.remove(cell(notebook, CHECK))
    elif check != "keep":
        cell(notebook, CHECK).source = check
    return nbformat.writes(notebook)


STUDENTS = {
    "ada_right": submission(RIGHT),
    "ben_only_visible": submission(ONLY_VISIBLE),
    "cai_raises": submission(RAISES),
    "dee_loops": submission(LOOPS),
    "eve_edits_check": submission(ONLY_VISIBLE, check="print('all checks passed')"),
    "fay_deletes_check": submission(ONLY_VISIBLE, check=None),
    "gus_right_edits_check": submission(RIGHT, check="assert False"),
    "hal_not_a_notebook": '{"cells": [ this is not JSON',
}


def tree_checksums(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def run_grading(submissions: Path, output: Path, workdir: Path, *extra: str):
    """Run the grading command as an instructor would; return the completed process."""
    return subprocess.run(
        [
            *(sys.executable, "-m", "tools.grade", str(submissions)),
            *("--output", str(output), "--workdir", str(workdir), *extra),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Grade the eight submissions once; return (rows by student, checksums, result)."""
    base = tmp_path_factory.mktemp("grading")
    submissions = base / "submissions"
    for student, text in STUDENTS.items():
        path = submissions / student / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(text)
    before = tree_checksums(submissions)
    output = base / "grades.csv"
    result = run_grading(submissions, output, base / "work", "--timeout", str(TIMEOUT))
    assert result.returncode == 0, result.stdout + result.stderr
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    after = tree_checksums(submissions)
    return {row["student"]: row for row in rows}, rows, before, after


def test_table_has_one_row_per_student_and_exercise(graded):
    by_student, rows, _, _ = graded
    assert len(rows) == len(STUDENTS)
    assert set(by_student) == set(STUDENTS)
    assert list(rows[0]) == ["student", "lesson", "exercise", "points", "max_points", "reason"]
    assert all(r["lesson"] == LESSON and r["exercise"] == CHECK for r in rows)
    assert all(r["max_points"] == "2" for r in rows)


def test_right_answer_gets_full_marks(graded):
    row = graded[0]["ada_right"]
    assert (row["points"], row["reason"]) == ("2", "")


def test_answer_that_fails_hidden_checks_loses_the_points(graded):
    row = graded[0]["ben_only_visible"]
    assert row["points"] == "0"
    assert "raw_pass_rate(tutoring, 1)" in row["reason"]


def test_answer_that_raises_is_recorded_with_the_error(graded):
    row = graded[0]["cai_raises"]
    assert row["points"] == "0"
    assert row["reason"] == "raw_pass_rate(tutoring, 1) raised KeyError: 'passd'"


def test_endless_loop_is_interrupted_and_the_batch_goes_on(graded):
    row = graded[0]["dee_loops"]
    assert row["points"] == "0" and row["reason"].startswith("timed out")
    assert graded[0]["ada_right"]["points"] == "2"  # graded after a timeout, too


def test_edited_check_cell_is_restored(graded):
    assert graded[0]["eve_edits_check"]["points"] == "0"
    assert graded[0]["gus_right_edits_check"]["points"] == "2"


def test_deleted_check_cell_is_restored(graded):
    row = graded[0]["fay_deletes_check"]
    assert row["points"] == "0" and "raw_pass_rate(tutoring, 1)" in row["reason"]


def test_invalid_notebook_gets_a_reason(graded):
    row = graded[0]["hal_not_a_notebook"]
    assert row["points"] == "0" and row["reason"].startswith("not a valid notebook")


def test_submitted_files_are_not_modified(graded):
    _, _, before, after = graded
    assert before == after and len(before) == len(STUDENTS)


def test_workdir_inside_the_repository_is_refused(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "tools.grade", str(tmp_path), "--workdir", str(ROOT / "grading")],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "outside the repository" in result.stderr
    assert not (ROOT / "grading").exists()


def answered_from_solution(lesson: str) -> str:
    """The lesson with every answer cell filled in from the solution (markers removed)."""
    name = f"{lesson}.ipynb"
    solution = nbformat.read(ROOT / "solutions" / lesson / name, as_version=4)
    answers = {
        c.metadata.nbgrader.grade_id: c.source
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }
    notebook = nbformat.read(ROOT / "lessons" / lesson / name, as_version=4)
    for c in notebook.cells:
        grade_id = c.metadata.get("nbgrader", {}).get("grade_id")
        if grade_id in answers:
            lines = answers[grade_id].splitlines()
            c.source = "\n".join(line for line in lines if "### " not in line)
    return nbformat.writes(notebook)


def test_every_lesson_grades_full_when_answered_and_zero_when_blank(tmp_path):
    """Each lesson, answered with the worked solutions, gets every point; handed in
    unanswered it gets none, each exercise with the reason "not answered yet"."""
    lessons = sorted(p.name for p in (ROOT / "lessons").iterdir() if p.is_dir())
    submissions = tmp_path / "submissions"
    for lesson in lessons:
        for student, text in (
            ("complete", answered_from_solution(lesson)),
            ("blank", (ROOT / "lessons" / lesson / f"{lesson}.ipynb").read_text()),
        ):
            path = submissions / student / lesson / f"{lesson}.ipynb"
            path.parent.mkdir(parents=True)
            path.write_text(text)
    output = tmp_path / "grades.csv"
    result = run_grading(submissions, output, tmp_path / "work")
    assert result.returncode == 0, result.stdout + result.stderr
    with output.open() as handle:
        rows = list(csv.DictReader(handle))
    assert {r["lesson"] for r in rows} == set(lessons)
    for row in rows:
        if row["student"] == "complete":
            assert row["points"] == row["max_points"], row
        else:
            assert row["points"] == "0", row
            assert "not answered yet" in row["reason"], row
