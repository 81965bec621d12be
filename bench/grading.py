"""The *grading* section (``--only grading``): how fast ``tools.grade`` gets through a class.

A synthetic class on lesson 00 (the cheapest lesson, so that the grader's own cost shows):
right answers, blank notebooks, wrong answers and one endless loop (stopped by a 10 s cell
limit), graded with one job and with every core (``--force``, a fresh CSV each time). A
class of one student gives the fixed cost of a run (the sandbox check, the snapshot, the
reference run of the solution). Throughput is submissions per minute over the part of the
run after that fixed cost; the projection for 200 students x 7 lessons is 7 fixed costs
plus 1,400 submissions at that throughput, *at lesson 00's cost per notebook* (lessons
that fit models cost more per notebook: their solutions run 10-80 s); on a Dask cluster
the submissions divide among the workers' cores, the fixed costs do not.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import nbformat

from bench.common import ROOT, fill, load_average, log, records, single

LESSON = "00_start_here"
CELL_TIMEOUT = 10
HEADER = "def raw_pass_rate(frame: pd.DataFrame, method: int) -> float:\n"
ANSWERS = {
    "right": HEADER
    + "    chosen = frame.loc[frame['method'] == method, 'passed']\n"
    + "    return chosen.sum() / len(chosen)\n",
    "wrong": HEADER + "    return 8 / 12\n",
    "loops": HEADER + "    while True:\n        pass\n",
}
#: The class: kinds in this proportion (one endless loop per class).
MIX = ["right", "right", "right", "blank", "blank", "wrong", "wrong"]
STUDENTS_PER_CLASS = 15
PROJECT_STUDENTS, PROJECT_LESSONS = 200, 7


def notebook(kind: str) -> str:
    """Lesson 00 as a student of this kind hands it in."""
    path = ROOT / "lessons" / LESSON / f"{LESSON}.ipynb"
    if kind == "blank":
        return path.read_text()
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.metadata.get("nbgrader", {}).get("grade_id") == "answer_0_1":
            cell.source = ANSWERS[kind]
    return nbformat.writes(book)


def write_class(folder: Path, students: int) -> dict[str, str]:
    """``students`` submissions of lesson 00 in ``folder``: the kinds of MIX in turn, the
    last one an endless loop (when there are at least two); name -> kind."""
    kinds = {}
    for number in range(students):
        kind = "loops" if students > 1 and number == students - 1 else MIX[number % len(MIX)]
        name = f"s{number:03d}_{kind}"
        path = folder / name / LESSON / f"{LESSON}.ipynb"
        path.parent.mkdir(parents=True)
        path.write_text(notebook(kind))
        kinds[name] = kind
    return kinds


def grade_once(submissions: Path, scratch: Path, jobs: int, tag: str) -> dict:
    """One timed ``python -m tools.grade`` run; its wall time and summary counts."""
    output = scratch / tag / "grades.csv"
    output.parent.mkdir(parents=True)
    command = [sys.executable, "-m", "tools.grade", str(submissions), "--output", str(output)]
    command += ["--workdir", str(scratch / "work"), "--jobs", str(jobs), "--force"]
    command += ["--timeout", str(CELL_TIMEOUT), "--no-progress"]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=3600)
    seconds = time.perf_counter() - start
    match = re.search(r"(\d+) notebooks run", result.stdout)
    return {
        "wall_s": seconds,
        "exit_code": result.returncode,
        "notebooks_run": int(match.group(1)) if match else None,
        "csv": output.read_text() if output.exists() else "",
        "tail": (result.stdout + result.stderr).strip().splitlines()[-3:],
    }


def throughput(wall_s: float, fixed_s: float, submissions: int) -> float:
    """Submissions per minute over the part of a run after its fixed cost."""
    return 60.0 * submissions / max(wall_s - fixed_s, 1e-9)


def projection_hours(fixed_s: float, per_minute: float, workers: int = 1) -> float:
    """Hours for PROJECT_STUDENTS x PROJECT_LESSONS submissions: a fixed cost per lesson
    plus the submissions at ``per_minute``, shared by ``workers`` such machines."""
    submissions = PROJECT_STUDENTS * PROJECT_LESSONS
    return (PROJECT_LESSONS * fixed_s + 60.0 * submissions / (per_minute * workers)) / 3600


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """The class graded with 1 job and with every core; a one-student class's fixed cost."""
    from tools.grading.parallel import default_jobs

    if shutil.which("bwrap") is None:
        return {"skipped": "bubblewrap (bwrap) is not installed"}
    students = 8 if args.quick else STUDENTS_PER_CLASS
    cores = default_jobs()
    single_class, full_class = scratch / "one", scratch / "class"
    write_class(single_class, 1)
    write_class(full_class, students)
    fixed = grade_once(single_class, scratch / "runs", 1, "fixed")
    log(f"grading: one student {fixed['wall_s']:.1f} s")
    runs = {}
    for jobs in dict.fromkeys([1, cores]):
        runs[jobs] = grade_once(full_class, scratch / "runs", jobs, f"jobs{jobs}")
        log(f"grading: {students} students, {jobs} job(s): {runs[jobs]['wall_s']:.1f} s")
    same = len({r["csv"] for r in runs.values()}) == 1
    data = {
        "lesson": LESSON,
        "students": students,
        "cores": cores,
        "cell_timeout_s": CELL_TIMEOUT,
        "fixed_s": fixed["wall_s"],
        "runs": {str(j): {k: v for k, v in r.items() if k != "csv"} for j, r in runs.items()},
        "same_csv": same,
        "load_average_end": load_average(),
    }
    return data


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/grading.md) and its CSV records."""
    r = section["data"]
    if "skipped" in r:
        return f"## Grading\n\nNot measured: {r['skipped']}.", []
    fixed, n = r["fixed_s"], r["students"]
    one = r["runs"]["1"]
    many = r["runs"][str(r["cores"])]
    per_min_1 = throughput(one["wall_s"], fixed, n)
    per_min_n = throughput(many["wall_s"], fixed, n)
    hours_1 = projection_hours(fixed, per_min_1)
    hours_n = projection_hours(fixed, per_min_n)
    recs = records(
        "grading",
        LESSON,
        "1 job",
        {"wall_s": single(one["wall_s"]), "per_minute": single(per_min_1)},
    ) + records(
        "grading",
        LESSON,
        f"{r['cores']} jobs",
        {
            "wall_s": single(many["wall_s"]),
            "per_minute": single(per_min_n),
            "projection_200x7_h": single(hours_n),
        },
    )
    text = fill(
        "grading",
        students=n,
        lesson=LESSON,
        cores=r["cores"],
        timeout=r["cell_timeout_s"],
        fixed=f"{fixed:.1f}",
        wall_1=f"{one['wall_s']:.1f}",
        wall_n=f"{many['wall_s']:.1f}",
        per_min_1=f"{per_min_1:.1f}",
        per_min_n=f"{per_min_n:.1f}",
        speedup=f"{per_min_n / per_min_1:.2f}",
        hours_1=f"{hours_1:.1f}",
        hours_n=f"{hours_n:.1f}",
        hours_n4=f"{projection_hours(fixed, per_min_n, 4):.1f}",
        same="identical" if r["same_csv"] else "**different**",
        date=section.get("date"),
        commit=section.get("commit", "?"),
        load=section.get("load_average"),
    )
    return text, recs
