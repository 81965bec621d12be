"""Grading reads the lessons' slow results from a store filled by the lesson as handed out.

The property: the same grades as when every notebook computes everything (``--recompute``),
for a student who kept the lesson's cells and for one who changed a stored call's
arguments; and a student who overwrites the store in their own sandbox changes nobody
else's grade."""

from __future__ import annotations

import csv
import json
import os
import shutil
from pathlib import Path

import nbformat
import pytest

from tests.test_grading import answered_from_solution, run_grading

ROOT = Path(__file__).resolve().parent.parent
LESSON = "02_wald_vs_lrt"
BOOTSTRAP_CALL = "n_boot=300, rng=2026"
#: Mallory overwrites every stored result in her sandbox, then reads one back; her
#: answer to 2.1 is right only when she did not get her poison back (recomputing).
POISON = """import pathlib, pickle
for _entry in (pathlib.Path.home() / ".cache" / "course-utils-results").glob("*"):
    _entry.write_bytes(pickle.dumps(("poisoned", [])))
_read_back = bootstrap_lrt(
    "passed ~ 1 + (1 | site_id)", "passed ~ method + (1 | site_id)", load_tutoring(),
    n_boot=300, rng=2026,
)


def wald_test(estimate, se):
    z = estimate / se
    return z, (0.5 if _read_back == "poisoned" else 2 * stats.norm.sf(abs(z)))
"""


def changed_bootstrap() -> str:
    """The complete lesson with the bootstrap's seed changed: its own result is needed."""
    notebook = nbformat.reads(answered_from_solution(LESSON), as_version=4)
    (cell,) = [c for c in notebook.cells if BOOTSTRAP_CALL in c.source]
    cell.source = cell.source.replace(BOOTSTRAP_CALL, "n_boot=300, rng=7")
    return nbformat.writes(notebook)


def poisons_the_store() -> str:
    """The complete lesson, with Mallory's answer to 2.1."""
    notebook = nbformat.reads(answered_from_solution(LESSON), as_version=4)
    (answer,) = [
        c for c in notebook.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_2_1"
    ]
    answer.source = POISON
    return nbformat.writes(notebook)


def test_the_lessons_that_call_stored_functions_get_a_run_that_fills_the_store():
    from tools.grading.grader import stores_results

    lessons = sorted(p.name for p in (ROOT / "lessons").iterdir() if p.is_dir())
    assert [lesson for lesson in lessons if stores_results(lesson)] == [
        "02_wald_vs_lrt",
        "05_nuts_mixed_logit",
    ]


@pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)
def test_stored_results_give_the_grades_of_a_full_recomputation(tmp_path):
    submissions = tmp_path / "submissions"
    # a_mallory runs first (one job, no earlier times): her store is hers alone
    students = {
        "a_mallory": poisons_the_store(),
        "complete": answered_from_solution(LESSON),
        "other_seed": changed_bootstrap(),
        "blank": (ROOT / "lessons" / LESSON / f"{LESSON}.ipynb").read_text(),
    }
    for student, text in students.items():
        path = submissions / student / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(text)
    grades, seconds = {}, {}
    for mode, extra in (("stored", ()), ("recomputed", ("--recompute",))):
        output = tmp_path / mode / "grades.csv"
        result = run_grading(submissions, output, tmp_path / "work", "--jobs", "1", *extra)
        assert result.returncode == 0, result.stdout + result.stderr
        with output.open() as handle:
            grades[mode] = [row for row in csv.DictReader(handle)]
        seconds[mode] = {}
        for entry in (output.parent / "grades.results").glob("*.json"):
            stored = json.loads(entry.read_text())
            seconds[mode][stored["student"]] = stored["result"]["seconds"]
    lost = {
        m: [
            r["exercise"]
            for r in grades[m]
            if r["student"] == "a_mallory" and r["points"] != r["max_points"]
        ]
        for m in grades
    }
    # she read her poisoned entry back when results were stored, and only she did
    assert lost == {"stored": ["exercise_2_1"], "recomputed": []}, lost
    honest = [[r for r in grades[m] if r["student"] != "a_mallory"] for m in grades]
    assert honest[0] == honest[1]
    complete = [r for r in honest[0] if r["student"] == "complete"]
    assert complete and all(r["points"] == r["max_points"] for r in complete)
    # the bootstrap and the profiles were read, not run: a large margin for a busy machine
    assert seconds["stored"]["complete"] < 0.5 * seconds["recomputed"]["complete"], seconds
    # a changed seed computes its own bootstrap (about 8 of the lesson's 20 s)
    assert seconds["stored"]["other_seed"] > seconds["stored"]["complete"] + 3, seconds
