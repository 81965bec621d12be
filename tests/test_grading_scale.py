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
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.test_grading import (
    LESSON,
    LESSON_FILE,
    LOOPS,
    ONLY_VISIBLE,
    RIGHT,
    ROOT,
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


# -- feedback pages and the class report ----------------------------------------------


def test_every_student_gets_a_feedback_page(graded_twice):
    _, runs, _ = graded_twice
    folder = runs["1"][0].parent / "feedback"
    pages = {p.parent.name: p.read_text() for p in folder.glob(f"*/{LESSON}.html")}
    assert set(pages) == set(CLASS)
    assert "2 / 2 points" in pages["ann_right"] and "All checks passed." in pages["ann_right"]
    assert "0 / 2 points" in pages["cat_wrong"] and "not right" in pages["cat_wrong"]
    assert "timed out" in pages["dan_loops"] and "not answered yet" in pages["bob_blank"]
    assert "def raw_pass_rate" in pages["ann_right"]  # the student's own notebook
    for page in pages.values():
        assert "<script" not in page.lower() and "http" not in page.lower().replace(
            "http-equiv", ""
        )
        # the hidden tests' inputs and expected values never appear (unless the handed-out
        # lesson shows them itself: its visible check names 3 / 12 as a mistake's value)
        handed_out = LESSON_FILE.read_text()
        for hidden in ("3 / 12", "2 / 3", "other = pd.DataFrame", "0.25", "0.6667"):
            assert hidden not in page or hidden in handed_out, hidden
        assert "other = pd.DataFrame" not in handed_out and "2 / 3" not in handed_out


def test_redact_hides_expected_values_but_keeps_labels_and_the_students_value():
    from tools.grading.feedback import hidden_numbers, redact

    message = "rate(x, 1) = 0.31; it should be between 0.6 and 0.7."
    assert redact(message, [0.6, 0.7, 1.0], ["rate(x, 1)"]) == (
        "rate(x, 1) = 0.31; it should be between … and …."
    )
    # a rounded expected value (check messages print 4 or 6 significant digits)
    assert redact("off by 0.6667 and 0.666667", [2 / 3], []) == "off by … and …"
    assert redact("rate(x, 1) = 0.5, wrong", [0.5], ["rate(x, 1)"]) == "rate(x, 1) = 0.5, wrong"
    assert redact("got 0.75", [0.5], []) == "got 0.75"
    # the expected values as the reference run sends them (plain data)
    expected = [{"expected": 0.25, "rtol": 1e-6}, {"low": {"list": [0.6, 0.7]}}]
    assert {0.25, 1e-6, 0.6, 0.7} <= set(hidden_numbers(expected))


def test_class_report_per_exercise(graded_twice):
    _, runs, _ = graded_twice
    folder = runs["1"][0].parent
    with (folder / "grades.report.csv").open(newline="") as handle:
        (row,) = list(csv.DictReader(handle))
    assert (row["lesson"], row["exercise"], row["students"]) == (LESSON, "exercise_0_1", "4")
    assert float(row["mean_points"]) == 0.5 and float(row["full_marks_share"]) == 0.25
    assert float(row["mean_share"]) == 0.25
    failures = row["common_failures"]
    assert "timed out after # s" in failures and "not answered yet. (1)" in failures
    assert (folder / "grades.report.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_failure_kinds_group_alike_reasons():
    from tools.grading.feedback import class_report, failure_kind
    from tools.grading.grader import Row

    assert failure_kind("f(x, 1) = 0.31, but that is not right.") == (
        "f(x, 1) = #, but that is not right."
    )
    rows = [
        Row("a", "L", "e", 0, 2, "f(x, 1) = 0.31, but that is not right."),
        Row("b", "L", "e", 0, 2, "f(x, 1) = 0.42, but that is not right."),
        Row("c", "L", "e", 2, 2, ""),
        Row("d", "L", "e", 0, 2, "f(x, 1): not answered yet."),
    ]
    (entry,) = class_report(rows)
    assert entry["full_marks_share"] == "0.250" and entry["mean_points"] == "0.5"
    assert entry["common_failures"].startswith("f(x, 1) = #, but that is not right. (2)")


# -- a Dask cluster on loopback ---------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def dask_cluster(tmp_path):
    """A ``dask scheduler`` and two ``dask worker`` processes on loopback, started as an
    instructor would (the course's venv, the repository on PYTHONPATH); the address."""
    bin_dir = Path(sys.executable).parent
    address = f"tcp://127.0.0.1:{free_port()}"
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DASK_DISTRIBUTED__WORKER__DAEMON": "False"}
    started = []
    logs = []

    def start(*command):
        log = (tmp_path / f"dask{len(started)}.log").open("w")
        logs.append(log)
        process = subprocess.Popen(
            [str(bin_dir / "dask"), *command],
            cwd=tmp_path,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)

    try:
        start("scheduler", "--host", "127.0.0.1", "--port", address.rsplit(":", 1)[1])
        for _ in range(2):
            start("worker", address, "--nthreads", "1", "--no-dashboard", "--host", "127.0.0.1")
        from distributed import Client

        with Client(address, timeout=60) as client:
            client.wait_for_workers(2, timeout=120)
        yield address
    finally:
        for process in reversed(started):
            process.terminate()
        for process in reversed(started):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        for log in logs:
            log.close()


def test_a_dask_cluster_gives_the_same_csv(graded_twice, dask_cluster, tmp_path):
    base, runs, before = graded_twice
    output = tmp_path / "cluster" / "grades.csv"
    output.parent.mkdir()
    extra = ("--timeout", TIMEOUT, "--scheduler", dask_cluster)
    result = run_grading(base / "class", output, tmp_path / "work", *extra)
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result) == (4, 1, 0) and f"on {dask_cluster}" in result.stdout
    assert output.read_bytes() == runs["1"][0].read_bytes()
    assert tree_checksums(base / "class") == before


def test_a_run_interrupted_with_ctrl_c_resumes(graded_twice, tmp_path):
    """Ctrl-C (SIGINT to the process group) after two notebooks: exit 130, no process
    left, the finished results kept; the same command then runs only the rest."""
    base, runs, _ = graded_twice
    output = tmp_path / "grades.csv"
    command = [sys.executable, "-c", INTERRUPTIBLE, str(base / "class"), str(output)]
    command += [str(tmp_path / "work"), TIMEOUT]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    store = tmp_path / "grades.results"
    deadline = time.monotonic() + 300
    while len(list(store.glob("*.json"))) < 2 and time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and not output.exists()
    time.sleep(1)
    left = subprocess.run(["pgrep", "-g", str(process.pid)], capture_output=True, text=True)
    assert left.stdout.strip() == ""
    listing = subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout
    assert str(tmp_path / "work") not in listing  # no sandbox (bwrap binds its scratch)
    kept = len(list(store.glob("*.json")))
    assert 2 <= kept < 4
    result = run_grading(base / "class", output, tmp_path / "work", "--timeout", TIMEOUT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert counts(result)[0] == 4 - kept and counts(result)[2] == kept
    assert output.read_bytes() == runs["1"][0].read_bytes()


#: The grading command with SIGINT as a terminal delivers it (a child started in the
#: background of a non-interactive shell would ignore it), one job.
INTERRUPTIBLE = """
import os, signal, sys
signal.signal(signal.SIGINT, signal.SIG_DFL)
submissions, output, workdir, timeout = sys.argv[1:]
os.execv(sys.executable, [sys.executable, "-m", "tools.grade", submissions, "--output", output,
         "--workdir", workdir, "--timeout", timeout, "--jobs", "1", "--no-progress"])
"""
