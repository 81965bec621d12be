"""The *grading* section (``--only grading``): how fast ``tools.grade`` gets through a class.

A synthetic class on lesson 00 (the cheapest lesson, so that the grader's own cost shows):
right answers, blank notebooks, wrong answers and one endless loop (stopped by a 10 s cell
limit), graded with one job and with every core (``--force``, a fresh CSV each time). A
class of one student gives the fixed cost of a run (the sandbox check, the snapshot, the
reference run of the solution). Throughput is submissions per minute over the part of the
run after that fixed cost; the projection for 200 students x every lesson of the course is
a fixed cost per lesson plus 200 submissions per lesson at that throughput, *at lesson 00's
cost per notebook* (lessons that fit models cost more per notebook); on a Dask cluster
the submissions divide among the workers' cores, the fixed costs do not. Then every
lesson is graded once with its worked solution as the one student's notebook, which gives
each lesson's own fixed and per-notebook cost and a projection for the whole course.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
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
#: Large enough that the endless loop, handed in last, is not most of the run (with 15 it
#: was a quarter of the 1-job run's work and ran alone at the end of the 2-job run).
STUDENTS_PER_CLASS = 40
PROJECT_STUDENTS = 200
#: Worked solutions of the course's last lesson (the heaviest: it samples three models),
#: graded with 1 job and with every core: the speed-up where notebooks sample, whose
#: chains and linear algebra already use more than one core in a 1-job run.
HEAVY_STUDENTS = 6
#: The course's size when the issue asked for the projection (results measured before
#: the course had 8 lessons carry no ``project_lessons``).
EARLIER_PROJECT_LESSONS = 7


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
    """One timed ``python -m tools.grade --force`` run; its wall time and summary counts.
    A second run with the same ``tag`` re-grades with the first run's times at hand (the
    grader then starts the longest submissions first)."""
    output = scratch / tag / "grades.csv"
    output.parent.mkdir(parents=True, exist_ok=True)
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
        "log": (result.stdout + result.stderr).splitlines(),
    }


def hand_in_solution(folder: Path, student: str, lesson: str) -> None:
    """``student`` hands in ``lesson``'s worked solution into the submissions ``folder``."""
    from tools.notebooks import SOLUTIONS

    target = folder / student / lesson / f"{lesson}.ipynb"
    target.parent.mkdir(parents=True)
    shutil.copy(SOLUTIONS / lesson / f"{lesson}.ipynb", target)


def lesson_costs(scratch: Path) -> dict[str, dict]:
    """Per lesson: one student handing in the worked solution, graded with one job. The
    notebook's cost is its time in the sandbox (kept in the result store); the rest of the
    run (the compile-cache run of the handed-out lesson, the reference run of the solution,
    the feedback) is paid once per lesson."""
    from tools.notebooks import lesson_names

    costs = {}
    for lesson in lesson_names():
        folder = scratch / f"one_{lesson}"
        hand_in_solution(folder, "solution", lesson)
        run = grade_once(folder, scratch / "runs", 1, f"cost_{lesson}")
        (entry,) = (scratch / "runs" / f"cost_{lesson}" / "grades.results").glob("*.json")
        notebook = float(json.loads(entry.read_text())["result"]["seconds"])
        costs[lesson] = {
            "wall_s": run["wall_s"],
            "notebook_s": notebook,
            "fixed_s": run["wall_s"] - notebook,
            "full_marks": _full_marks(run["csv"]),
        }
        log(
            f"grading: {lesson}, one worked solution: {run['wall_s']:.1f} s, "
            f"notebook {notebook:.1f} s"
        )
    return costs


def _full_marks(text: str) -> bool:
    """Whether every row of a grades CSV has all its points."""
    rows = list(csv.DictReader(io.StringIO(text)))
    return bool(rows) and all(float(r["points"]) == float(r["max_points"]) for r in rows)


def projection_by_lesson(
    costs: dict[str, dict], speedup: float | dict[str, float], workers: int = 1
) -> float:
    """Hours for PROJECT_STUDENTS students in every lesson at each lesson's own cost: per
    lesson its fixed cost plus the students' notebooks, ``speedup`` (one for all lessons,
    or one per lesson) times faster than one job and shared by ``workers`` machines."""
    total = 0.0
    for lesson, cost in costs.items():
        factor = speedup[lesson] if isinstance(speedup, dict) else speedup
        total += cost["fixed_s"] + PROJECT_STUDENTS * cost["notebook_s"] / (factor * workers)
    return total / 3600


def heavy_lesson_runs(scratch: Path, cores: int, costs: dict[str, dict], students: int) -> dict:
    """``students`` worked solutions of the last lesson graded with 1 job and with
    ``cores``; its fixed cost is the one-student run's (``costs``)."""
    from tools.notebooks import lesson_names

    lesson = lesson_names()[-1]
    folder = scratch / "heavy"
    for number in range(students):
        hand_in_solution(folder, f"h{number:02d}", lesson)
    runs = {}
    for jobs in dict.fromkeys([1, cores]):
        run = grade_once(folder, scratch / "runs", jobs, f"heavy{jobs}")
        runs[str(jobs)] = {k: run[k] for k in ("wall_s", "exit_code", "tail")}
        runs[str(jobs)]["full_marks"] = _full_marks(run["csv"])
        log(f"grading: {students} x {lesson}, {jobs} job(s): {run['wall_s']:.1f} s")
    return {
        "lesson": lesson,
        "students": students,
        "fixed_s": costs[lesson]["fixed_s"],
        "runs": runs,
    }


def heavy_speedup(heavy: dict, cores: int) -> float:
    """The heavy lesson's throughput with ``cores`` jobs over 1 job's, after its fixed cost."""
    rates = [
        throughput(heavy["runs"][str(jobs)]["wall_s"], heavy["fixed_s"], heavy["students"])
        for jobs in (1, cores)
    ]
    return rates[1] / rates[0]


def _met(hours: float, target: float = 3.0) -> str:
    return "met" if hours < target else "missed"


def _speedup_target(first: float, again: float, target: float = 1.7) -> str:
    met = [
        name for name, value in (("a first run", first), ("a re-grade", again)) if value >= target
    ]
    return "met on " + " and ".join(met) if met else "missed"


def _samples(lesson: str, compiles_models: Callable[[str], bool]) -> bool:
    try:
        return compiles_models(lesson)
    except FileNotFoundError:  # a lesson of an earlier measurement, since renamed
        return False


def throughput(wall_s: float, fixed_s: float, submissions: int) -> float:
    """Submissions per minute over the part of a run after its fixed cost."""
    return 60.0 * submissions / max(wall_s - fixed_s, 1e-9)


def projection_hours(
    fixed_s: float, per_minute: float, workers: int = 1, lessons: int = EARLIER_PROJECT_LESSONS
) -> float:
    """Hours for PROJECT_STUDENTS x ``lessons`` submissions: a fixed cost per lesson plus
    the submissions at ``per_minute``, shared by ``workers`` such machines."""
    submissions = PROJECT_STUDENTS * lessons
    return (lessons * fixed_s + 60.0 * submissions / (per_minute * workers)) / 3600


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """The class graded with 1 job and with every core; a one-student class's fixed cost."""
    from tools.grading.parallel import default_jobs
    from tools.notebooks import lesson_names

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
        runs[str(jobs)] = grade_once(full_class, scratch / "runs", jobs, f"jobs{jobs}")
        log(f"grading: {students} students, {jobs} job(s): {runs[str(jobs)]['wall_s']:.1f} s")
    runs["regrade"] = grade_once(full_class, scratch / "runs", cores, f"jobs{cores}")
    log(f"grading: the same class re-graded, {cores} jobs: {runs['regrade']['wall_s']:.1f} s")
    same = len({r["csv"] for r in runs.values()}) == 1
    costs = lesson_costs(scratch)
    heavy = heavy_lesson_runs(scratch, cores, costs, 2 if args.quick else HEAVY_STUDENTS)
    data = {
        "lesson": LESSON,
        "students": students,
        "project_lessons": len(lesson_names()),
        "cores": cores,
        "cell_timeout_s": CELL_TIMEOUT,
        "fixed_s": fixed["wall_s"],
        "runs": {
            j: {k: v for k, v in r.items() if k not in ("csv", "log")} for j, r in runs.items()
        },
        "lessons": costs,
        "heavy": heavy,
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
    count = r.get("project_lessons", EARLIER_PROJECT_LESSONS)
    one = r["runs"]["1"]
    many = r["runs"][str(r["cores"])]
    again = r["runs"].get("regrade", many)
    per_min_1 = throughput(one["wall_s"], fixed, n)
    per_min_n = throughput(many["wall_s"], fixed, n)
    per_min_again = throughput(again["wall_s"], fixed, n)
    hours_1 = projection_hours(fixed, per_min_1, lessons=count)
    hours_n = projection_hours(fixed, per_min_n, lessons=count)
    recs = (
        records(
            "grading",
            LESSON,
            "1 job",
            {"wall_s": single(one["wall_s"]), "per_minute": single(per_min_1)},
        )
        + records(
            "grading",
            LESSON,
            f"{r['cores']} jobs",
            {
                "wall_s": single(many["wall_s"]),
                "per_minute": single(per_min_n),
                f"projection_200x{count}_h": single(hours_n),
            },
        )
        + records(
            "grading",
            LESSON,
            f"{r['cores']} jobs, re-grade",
            {"wall_s": single(again["wall_s"]), "per_minute": single(per_min_again)},
        )
    )
    lessons = r.get("lessons") or {}
    speedup = per_min_n / per_min_1
    lesson_rows = "\n".join(
        f"| {name} | {c['wall_s']:.1f} s | {c['fixed_s']:.1f} s | "
        f"{c['notebook_s']:.1f} s | {'yes' if c['full_marks'] else '**no**'} |"
        for name, c in lessons.items()
    )
    if lessons:
        steady = per_min_again / per_min_1
        course_1 = projection_by_lesson(lessons, 1.0)
        course_n = projection_by_lesson(lessons, speedup)
        course_steady = projection_by_lesson(lessons, steady)
        course_n4 = projection_by_lesson(lessons, speedup, 4)
        course = (
            f"At each lesson's own cost, 200 students in all {len(lessons)} lessons take "
            f"**{course_1:.1f} h** with 1 job; with {r['cores']} jobs **{course_n:.1f} h** "
            f"at lesson 00's first-run speed-up ({speedup:.2f} x), **{course_steady:.1f} h** "
            f"at its re-grade's ({steady:.2f} x, no idle tail: the rate of a long class); 4 "
            f"such machines: {course_n4:.1f} h at the first run's speed-up."
        )
        heavy = r.get("heavy")
        if heavy:
            from tools.grading.grader import compiles_models

            fast = heavy_speedup(heavy, r["cores"])
            mixed = {
                name: fast if _samples(name, compiles_models) else speedup for name in lessons
            }
            course_n = projection_by_lesson(lessons, mixed)
            course_n4 = projection_by_lesson(lessons, mixed, 4)
            runs = heavy["runs"]
            course += (
                f" The heaviest lesson, whose notebooks sample (with chains and linear algebra "
                f"that use more than one core even in a 1-job run): {heavy['students']} "
                f"worked solutions of {heavy['lesson']} took {runs['1']['wall_s']:.0f} s with "
                f"1 job and {runs[str(r['cores'])]['wall_s']:.0f} s with {r['cores']} "
                f"(after its fixed cost of {heavy['fixed_s']:.0f} s: **{fast:.2f} x**, target "
                f"1.7 x {'met' if fast >= 1.7 else 'missed'}; "
                f"full marks: {'yes' if runs['1']['full_marks'] else '**no**'}). With that "
                f"speed-up for the lessons that fit models and lesson 00's for the others, "
                f"the course takes **{course_n:.1f} h** with {r['cores']} jobs (4 such "
                f"machines: {course_n4:.1f} h)."
            )
        recs += records(
            "grading", "all lessons", f"{r['cores']} jobs", {"projection_200_h": single(course_n)}
        )
        course += (
            f" Target: under 3 h on one {r['cores']}-core machine: **{_met(course_n)}** "
            f"({course_n:.1f} h)."
        )
    else:
        course = "The lessons' own costs were not measured."
    text = fill(
        "grading",
        lesson_rows=lesson_rows or "| - | | | | |",
        course=course,
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
        wall_again=f"{again['wall_s']:.1f}",
        per_min_again=f"{per_min_again:.1f}",
        hours_again=f"{projection_hours(fixed, per_min_again, lessons=count):.1f}",
        speedup_again=f"{per_min_again / per_min_1:.2f}",
        speedup_target=_speedup_target(per_min_n / per_min_1, per_min_again / per_min_1),
        notebook_s=f"{(lessons.get(LESSON) or {}).get('notebook_s', float('nan')):.1f}",
        hours_1=f"{hours_1:.1f}",
        hours_n=f"{hours_n:.1f}",
        hours_n4=f"{projection_hours(fixed, per_min_n, 4, lessons=count):.1f}",
        lesson_count=count,
        submissions=f"{PROJECT_STUDENTS * count:,}",
        same="identical" if r["same_csv"] else "**different**",
        date=section.get("date"),
        commit=section.get("commit", "?"),
        load=section.get("load_average"),
    )
    return text, recs
