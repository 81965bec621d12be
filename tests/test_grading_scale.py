"""Grading a class at scale: several notebooks at once, stored results, resumed runs.

A small synthetic class on lesson 00 (a right answer, a blank notebook, a wrong answer,
an endless loop) is graded with one job and with two; the CSVs must be identical. The
stored results beside the CSV then make a second run grade nothing, a changed submission
alone, everything with ``--force``, and a run whose scores were not yet written resume
from the sandbox results it had kept.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

from tests.test_grading import (
    LESSON,
    LESSON_FILE,
    LOOPS,
    ONLY_VISIBLE,
    RIGHT,
    run_grading,
    submission,
    tree_checksums,
)

pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None,
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)
TIMEOUT = "10"
CLASS = {
    "ann_right": lambda: submission(RIGHT),
    "bob_blank": lambda: LESSON_FILE.read_text(),
    "cat_wrong": lambda: submission(ONLY_VISIBLE),
    "dan_loops": lambda: submission(LOOPS),
}
SUMMARY = re.compile(r"(\d+) notebooks run .*?, (\d+) stopped or failed, (\d+) reused")


def write_class(folder: Path, students: dict) -> None:
    for student, make in students.items():
        path = folder / student / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(make())


def rows_by_student(output: Path) -> dict[str, list[str]]:
    with output.open(newline="") as handle:
        return {row[0]: row for row in list(csv.reader(handle))[1:]}


def counts(result) -> tuple[int, int, int]:
    """(notebooks run, stopped or failed, reused) from the summary line."""
    match = SUMMARY.search(result.stdout)
    assert match, result.stdout + result.stderr
    return tuple(int(g) for g in match.groups())


@pytest.fixture(scope="module")
def graded_twice(tmp_path_factory):
    """The class graded with --jobs 1 and --jobs 2 (separate CSVs and stores)."""
    base = tmp_path_factory.mktemp("scale")
    write_class(base / "class", CLASS)
    before = tree_checksums(base / "class")
    runs = {}
    for jobs in ("1", "2"):
        output = base / f"jobs{jobs}" / "grades.csv"
        output.parent.mkdir()
        result = run_grading(
            base / "class", output, base / "work", "--timeout", TIMEOUT, "--jobs", jobs
        )
        assert result.returncode == 0, result.stdout + result.stderr
        runs[jobs] = (output, result)
    return base, runs, before


def test_two_jobs_give_the_same_csv_as_one(graded_twice):
    base, runs, before = graded_twice
    one, two = (runs[j][0].read_bytes() for j in ("1", "2"))
    assert one == two
    rows = rows_by_student(runs["1"][0])
    assert rows["ann_right"][3:] == ["2", "2", ""]
    assert rows["cat_wrong"][3] == "0" and "not right" in rows["cat_wrong"][5]
    assert rows["dan_loops"][3] == "0" and rows["dan_loops"][5].startswith("timed out")
    assert rows["bob_blank"][3] == "0" and "not answered yet" in rows["bob_blank"][5]
    assert counts(runs["1"][1]) == (4, 1, 0) and counts(runs["2"][1]) == (4, 1, 0)
    assert tree_checksums(base / "class") == before


def test_progress_bar_and_summary(graded_twice):
    _, runs, _ = graded_twice
    result = runs["2"][1]
    assert "4/4" in result.stderr and "failures: 1" in result.stderr
    assert "graded 4 students" in result.stdout and "(2 jobs)" in result.stdout


def test_stored_results_make_a_rerun_grade_only_what_changed(graded_twice):
    base, runs, _ = graded_twice
    output, _ = runs["2"]
    first = output.read_bytes()
    store = output.parent / "grades.results"
    assert len(list(store.glob("*.json"))) == 4
    again = run_grading(base / "class", output, base / "work", "--timeout", TIMEOUT)
    assert again.returncode == 0, again.stdout + again.stderr
    assert counts(again) == (0, 0, 4) and output.read_bytes() == first
    # a late correction: only that student runs again
    changed = base / "class_changed"
    shutil.copytree(base / "class", changed)
    (changed / "cat_wrong" / LESSON / f"{LESSON}.ipynb").write_text(submission(RIGHT))
    late = run_grading(changed, output, base / "work", "--timeout", TIMEOUT)
    assert late.returncode == 0, late.stdout + late.stderr
    assert counts(late) == (1, 0, 3)
    assert rows_by_student(output)["cat_wrong"][3:] == ["2", "2", ""]
    forced = run_grading(changed, output, base / "work", "--timeout", TIMEOUT, "--force")
    assert forced.returncode == 0 and counts(forced) == (4, 1, 0)


def test_an_interrupted_run_resumes_from_the_kept_sandbox_results(graded_twice):
    """A run stopped after some notebooks ran (their sandbox results kept, nothing scored
    yet) runs only the others and gives the same CSV."""
    base, runs, _ = graded_twice
    source = runs["1"][0].parent
    output = base / "resumed" / "grades.csv"
    shutil.copytree(source / "grades.results", output.parent / "grades.results")
    entries = sorted((output.parent / "grades.results").glob("*.json"))
    for path in entries:  # as the store is while a lesson is still running
        entry = json.loads(path.read_text())
        entry.pop("reasons")
        path.write_text(json.dumps(entry))
    entries[0].unlink()  # this one had not finished
    result = run_grading(base / "class", output, base / "work", "--timeout", TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result)[0] == 1 and counts(result)[2] == 3
    assert output.read_bytes() == runs["1"][0].read_bytes()


def test_a_changed_grader_version_invalidates_the_store(graded_twice):
    base, runs, _ = graded_twice
    output = base / "limits" / "grades.csv"
    shutil.copytree(runs["1"][0].parent / "grades.results", output.parent / "grades.results")
    result = run_grading(base / "class", output, base / "work", "--timeout", "11")
    assert result.returncode == 0 and counts(result) == (4, 1, 0)
