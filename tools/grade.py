"""Grade a folder of student notebooks into a CSV grade table, each notebook in a sandbox.

Submissions are laid out one folder per student, one per lesson inside it:

    SUBMISSIONS/<student>/<lesson>/<lesson>.ipynb     e.g. alice/00_start_here/00_start_here.ipynb

The table has one row per student, lesson and exercise: ``student, lesson, exercise, points,
max_points, reason``; ``reason`` says why points were lost (the check that failed, an
error, a time limit, an invalid notebook) and notes what else was found.

How it works (see ``tools/grading/``): every submission is first copied into a read-only
snapshot in the work folder (``--workdir``, default ``~/.cache/bayes-course-grading``,
emptied on every run). Each notebook then runs in its own bubblewrap sandbox (no network,
no view of the solutions, the other submissions, the work folder or the repository), with
its check cells replaced by probes that return the student's values as plain data; the
hidden tests' expected values come from a sandboxed run of the solution and are compared
in this process. The submitted files are never written; one that changes during grading is
flagged by name. The CSV is written at the end, in one step.

Several notebooks run at once (``--jobs``, default: the number of cores), each in its own
sandbox, or on a Dask distributed cluster (``--scheduler ADDRESS``); either way a worker
only runs the notebook and returns plain data, and the points are computed here. Results
are kept per student and lesson with the submission's SHA-256 in ``<CSV name>.results/``
beside the CSV: a second run grades only new or changed submissions and an interrupted
run resumes (``--force`` grades everything again). Each student gets a feedback page per
lesson (``--feedback DIR``, default ``feedback/`` beside the CSV: ``<student>/<lesson>.html``,
their notebook with points and check messages, hidden expected values never shown); the
instructor gets a class report per exercise, ``<CSV name>.report.csv`` and ``.png``.

A lesson's slow, deterministic computations (a parametric bootstrap, a profile likelihood,
an exact posterior grid: the functions of ``course_utils.result_cache``) are run once per
lesson, in a sandboxed run of the lesson as handed out, and stored; a student's notebook
that calls one with equal arguments reads the result instead of computing it again, and
one that changed the arguments computes its own. The grades are the same either way;
``--recompute`` makes every notebook compute everything.

Usage: python -m tools.grade SUBMISSIONS [--output grades.csv] [--workdir DIR]
       [--jobs N] [--scheduler ADDRESS] [--force] [--results DIR] [--feedback DIR] [--no-progress]
       [--recompute] [--timeout S] [--notebook-timeout S] [--max-output-mb MB]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tools.grading.grader import main_run
from tools.grading.parallel import default_jobs
from tools.grading.sandbox import Limits
from tools.notebooks import ROOT

DEFAULT_WORKDIR = Path.home() / ".cache" / "bayes-course-grading"
#: Per-cell time limit in seconds: generous enough for a PyMC fit with a cold compile.
DEFAULT_TIMEOUT = 600
#: Per-notebook wall-clock limit in seconds (the slowest solution takes about 2 minutes).
DEFAULT_NOTEBOOK_TIMEOUT = 1800
DEFAULT_MAX_OUTPUT_MB = 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("submissions", type=Path, help="folder: <student>/<lesson>/*.ipynb")
    parser.add_argument("--output", type=Path, default=Path("grades.csv"), help="CSV to write")
    parser.add_argument(
        "--workdir",
        type=Path,
        default=DEFAULT_WORKDIR,
        help="snapshot and sandboxes (outside the repository; emptied on every run)",
    )
    parser.add_argument(
        "--timeout", type=float, default=DEFAULT_TIMEOUT, help="per-cell time limit in seconds"
    )
    parser.add_argument(
        "--notebook-timeout",
        type=float,
        default=DEFAULT_NOTEBOOK_TIMEOUT,
        help="per-notebook wall-clock limit in seconds",
    )
    parser.add_argument(
        "--max-output-mb",
        type=float,
        default=DEFAULT_MAX_OUTPUT_MB,
        help="output a notebook may print, in MB; more ends its run",
    )
    parser.add_argument(
        "--jobs",
        type=int,
        default=default_jobs(),
        help="notebooks graded at once on this machine (default: the number of cores)",
    )
    parser.add_argument(
        "--scheduler",
        help="address of a running Dask scheduler (e.g. tcp://10.0.0.5:8786): grade on its "
        "workers instead of this machine",
    )
    parser.add_argument(
        "--force", action="store_true", help="grade every submission again (ignore --results)"
    )
    parser.add_argument(
        "--results",
        type=Path,
        help="stored results per student and lesson (default: <CSV name>.results beside it)",
    )
    parser.add_argument(
        "--feedback",
        type=Path,
        help="folder of the feedback pages, <student>/<lesson>.html (default: feedback/ "
        "beside the CSV)",
    )
    parser.add_argument(
        "--recompute",
        action="store_true",
        help="every notebook computes the lessons' slow results (bootstraps, profiles, exact "
        "grids) itself instead of reading them from the run of the lesson as handed out: "
        "the same grades, more slowly",
    )
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    submissions = args.submissions.resolve()
    workdir = args.workdir.resolve()
    output = args.output.resolve()
    if not submissions.is_dir():
        parser.error(f"SUBMISSIONS {submissions} is not a folder")
    if workdir == ROOT or ROOT in workdir.parents:
        parser.error(f"--workdir {workdir} must be outside the repository")
    if workdir == submissions or submissions in workdir.parents or workdir in submissions.parents:
        parser.error("--workdir and SUBMISSIONS must not contain one another")
    if workdir == output.parent or workdir in output.parents:
        parser.error("--output must be outside --workdir (the work folder is emptied)")
    if args.jobs < 1:
        parser.error("--jobs must be at least 1")
    results = (args.results or output.parent / f"{output.stem}.results").resolve()
    if results == workdir or workdir in results.parents or results in workdir.parents:
        parser.error("--results must be outside --workdir (the work folder is emptied)")
    if results == submissions or submissions in results.parents:
        parser.error("--results must be outside SUBMISSIONS")
    feedback = (args.feedback or output.parent / "feedback").resolve()
    for name, folder in (("--feedback", feedback),):
        if folder == workdir or workdir in folder.parents or folder in workdir.parents:
            parser.error(f"{name} must be outside --workdir (the work folder is emptied)")
        if folder == submissions or submissions in folder.parents:
            parser.error(f"{name} must be outside SUBMISSIONS")
    if min(args.timeout, args.notebook_timeout, args.max_output_mb) <= 0:
        parser.error("--timeout, --notebook-timeout and --max-output-mb must be positive")
    limits = Limits(
        cell_timeout=args.timeout,
        notebook_timeout=args.notebook_timeout,
        max_output_bytes=int(args.max_output_mb * 2**20),
    )
    return main_run(
        submissions,
        output,
        workdir,
        limits,
        jobs=args.jobs,
        scheduler=args.scheduler,
        force=args.force,
        results=results,
        progress=not args.no_progress,
        feedback=feedback,
        recompute=args.recompute,
    )


if __name__ == "__main__":
    sys.exit(main())
