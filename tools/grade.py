"""Grade a folder of student notebooks with nbgrader's autograder into a CSV grade table.

Submissions are laid out one folder per student, one per lesson inside it:

    SUBMISSIONS/<student>/<lesson>/<lesson>.ipynb     e.g. alice/00_start_here/00_start_here.ipynb

The table has one row per student, lesson and exercise (check cell): ``student, lesson,
exercise, points, max_points, reason``; ``reason`` says why points were lost (the error
the check raised, a timeout, an invalid notebook). Check cells a student edited or
deleted are restored from the solution before grading.

The submitted files are only read, never written: their SHA-256 checksums are compared
before and after. The gradebook database and the autograded copies live in a work folder
outside the repository (``--workdir``, default ``~/.cache/bayes-course-grading``), which
each run rebuilds.

Usage: python -m tools.grade SUBMISSIONS [--output grades.csv] [--workdir DIR] [--timeout S]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from tools.notebooks import ROOT, SOLUTIONS, lesson_names

DEFAULT_WORKDIR = Path.home() / ".cache" / "bayes-course-grading"
#: Per-cell time limit in seconds: generous enough for a PyMC fit with a cold compile.
DEFAULT_TIMEOUT = 600
COLUMNS = ["student", "lesson", "exercise", "points", "max_points", "reason"]


@dataclass(frozen=True)
class Row:
    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    reason: str


def checksums(folder: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file below ``folder``."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def graded_cells(lesson: str) -> list[tuple[str, float]]:
    """(grade_id, points) of every graded cell of a lesson's solution notebook, in order."""
    cells = []
    for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                cells.append((meta["grade_id"], float(meta.get("points", 0))))
    return cells


def notebook_problem(path: Path) -> str | None:
    """Why ``path`` cannot be graded as a notebook, or None when it can."""
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except Exception as err:  # any parse or schema failure means "not a valid notebook"
        first_line = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return f"not a valid notebook: {first_line[:200]}"
    return None


def write_config(workdir: Path, timeout: int) -> None:
    """nbgrader configuration for the work folder: the course's, plus grading settings."""
    course_config = (ROOT / "nbgrader_config.py").read_text()
    (workdir / "nbgrader_config.py").write_text(
        course_config
        + "\n# Grading settings (tools/grade.py)\n"
        + f"c.CourseDirectory.root = {str(workdir)!r}\n"
        + 'c.CourseDirectory.source_directory = "source"\n'
        + 'c.CourseDirectory.release_directory = "release"\n'
        + f'c.CourseDirectory.db_url = "sqlite:///{workdir / "gradebook.db"}"\n'
        + f"c.Execute.timeout = {int(timeout)}\n"
        + "c.Execute.interrupt_on_timeout = True\n"
        + "c.OverwriteCells.add_missing_cells = True\n"
    )


def nbgrader(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    """Run an nbgrader command in the work folder, with the venv's tools on PATH."""
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )


def error_reason(cell: nbformat.NotebookNode) -> str:
    """The first error a cell raised, as one line, or a generic reason."""
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            value = str(output.get("evalue", "")).strip().splitlines()
            message = f"{output.ename}: {value[0]}" if value else output.ename
            if output.ename in {"CellTimeoutError", "KeyboardInterrupt"}:
                message = f"timed out (cell interrupted): {message}"
            return message[:300]
    return "check failed"


def cell_reasons(path: Path) -> dict[str, str]:
    """grade_id -> reason for every graded cell of an autograded notebook."""
    reasons = {}
    if path.is_file():
        for cell in nbformat.read(path, as_version=4).cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade"):
                reasons[meta["grade_id"]] = error_reason(cell)
    return reasons


def collect(workdir: Path, student: str, lesson: str, log: str) -> list[Row]:
    """Rows for one autograded submission, read from the gradebook."""
    from nbgrader.api import Gradebook, MissingEntry

    rows = []
    with Gradebook(f"sqlite:///{workdir / 'gradebook.db'}") as gradebook:
        for path in sorted((SOLUTIONS / lesson).glob("*.ipynb")):
            notebook_id = path.stem
            try:
                submission = gradebook.find_submission_notebook(notebook_id, lesson, student)
            except MissingEntry:
                reason = "autograding failed: " + (log.strip().splitlines() or ["no log"])[-1]
                rows += [
                    Row(student, lesson, grade_id, 0.0, points, reason[:300])
                    for grade_id, points in graded_cells(lesson)
                ]
                continue
            autograded = workdir / "autograded" / student / lesson / path.name
            reasons = cell_reasons(autograded)
            for grade in sorted(submission.grades, key=lambda g: g.name):
                if grade.needs_manual_grade and grade.auto_score is None:
                    points, reason = 0.0, "needs manual grading"
                else:
                    points = float(grade.score or 0.0)
                    reason = "" if points >= grade.max_score else reasons.get(grade.name, "")
                rows.append(Row(student, lesson, grade.name, points, grade.max_score, reason))
    return rows


def find_submissions(folder: Path, lessons: list[str]) -> tuple[dict, list[Row]]:
    """Map lesson -> {student: notebook path}, and rows for what cannot be graded."""
    found: dict[str, dict[str, Path]] = {lesson: {} for lesson in lessons}
    rejected = []
    for student_dir in sorted(p for p in folder.iterdir() if p.is_dir()):
        student = student_dir.name
        for lesson in lessons:
            expected = [p.name for p in sorted((SOLUTIONS / lesson).glob("*.ipynb"))]
            lesson_dir = student_dir / lesson
            if not lesson_dir.is_dir():
                continue
            for name in expected:
                path = lesson_dir / name
                problem = "notebook missing" if not path.is_file() else notebook_problem(path)
                if problem:
                    rejected += [
                        Row(student, lesson, grade_id, 0.0, points, problem)
                        for grade_id, points in graded_cells(lesson)
                    ]
                else:
                    found[lesson][student] = path
    return found, rejected


def grade(submissions: Path, workdir: Path, timeout: int) -> list[Row]:
    """Autograde every submission below ``submissions``; return the table's rows."""
    lessons = lesson_names()
    if workdir.exists():
        shutil.rmtree(workdir)
    workdir.mkdir(parents=True)
    shutil.copytree(SOLUTIONS, workdir / "source")
    write_config(workdir, timeout)
    found, rows = find_submissions(submissions, lessons)
    for lesson, students in found.items():
        if not students:
            continue
        generated = nbgrader(workdir, "generate_assignment", lesson, "--force")
        if generated.returncode != 0:
            raise RuntimeError(
                f"nbgrader generate_assignment {lesson} failed:\n{generated.stderr}"
            )
        for student, path in students.items():
            target = workdir / "submitted" / student / lesson / path.name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(path, target)
        result = nbgrader(workdir, "autograde", lesson, "--force")
        for student in students:
            rows += collect(workdir, student, lesson, result.stderr)
    return sorted(rows, key=lambda r: (r.student, r.lesson, r.exercise))


def write_csv(rows: list[Row], output: Path) -> None:
    with output.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(COLUMNS)
        for row in rows:
            writer.writerow(
                [
                    row.student,
                    row.lesson,
                    row.exercise,
                    f"{row.points:g}",
                    f"{row.max_points:g}",
                    row.reason,
                ]
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder: <student>/<lesson>/*.ipynb")
    parser.add_argument("--output", type=Path, default=Path("grades.csv"), help="CSV to write")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="gradebook and autograded copies (outside the repository)",
    )
    parser.add_argument(
        "--timeout", type=int, default=DEFAULT_TIMEOUT, help="per-cell time limit in seconds"
    )
    args = parser.parse_args(argv)
    submissions = args.submissions.resolve()
    workdir = args.workdir.resolve()
    if not submissions.is_dir():
        parser.error(f"SUBMISSIONS {submissions} is not a folder")
    if workdir == ROOT or ROOT in workdir.parents:
        parser.error(f"--workdir {workdir} must be outside the repository")
    if workdir == submissions or submissions in workdir.parents or workdir in submissions.parents:
        parser.error("--workdir and SUBMISSIONS must not contain one another")
    if args.timeout <= 0:
        parser.error("--timeout must be a positive number of seconds")
    before = checksums(submissions)
    rows = grade(submissions, workdir, args.timeout)
    if checksums(submissions) != before:
        print("error: the submitted files changed during grading", file=sys.stderr)
        return 1
    write_csv(rows, args.output)
    earned = sum(r.points for r in rows)
    possible = sum(r.max_points for r in rows)
    students = len({r.student for r in rows})
    print(f"graded {students} students: {earned:g} of {possible:g} points; wrote {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
