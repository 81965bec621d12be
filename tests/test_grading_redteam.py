"""Red team: students who try to beat, see through or tamper with the grading, graded in one
class run of ``tools/grade.py``, as an instructor would run it.

Every exploit of issue 17 is a student whose code sits in an answer cell of a real lesson
notebook (lessons 00 and 01). Most of them are written so that they would get full marks if
the exploit worked (e.g. the answer is right only if a solution file could be read), and
the wrong or failing answer otherwise: each must score 0 (or the fair score), with the
reason the grader gives. The run must also leave every file outside the sandboxes as it was
(repository, submissions, work folder, CSV) and no process behind.
"""

from __future__ import annotations

import csv
import hashlib
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
L00, L01 = "00_start_here", "01_credit_assignment"
CELL_TIMEOUT, NOTEBOOK_TIMEOUT, MAX_OUTPUT_MB = 10, 45, 1
MARKER = f"redteam-{uuid.uuid4().hex}"
SKIPPED_DIRS = {".venv", ".git", "__pycache__", ".pytest_cache", ".ruff_cache"}
# Grading runs every notebook under bubblewrap: without it these tests skip, except in CI.
pytestmark = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap (bwrap) is not installed: apt-get install bubblewrap",
)

HEADER = "def raw_pass_rate(frame: pd.DataFrame, method: int) -> float:\n"
RIGHT_BODY = (
    "    taught = frame[frame['method'] == method]\n    return float(taught['passed'].mean())\n"
)
RIGHT = HEADER + RIGHT_BODY
WRONG = HEADER + "    return 0.5\n"


def lesson_notebook(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(ROOT / "lessons" / lesson / f"{lesson}.ipynb", as_version=4)


def cell_index(notebook: nbformat.NotebookNode, grade_id: str) -> int:
    (index,) = [
        i
        for i, c in enumerate(notebook.cells)
        if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id
    ]
    return index


def lesson_00(answer: str, extra_cells: tuple[str, ...] = ()) -> str:
    """Lesson 00 with ``answer`` in its answer cell and code cells added after it."""
    notebook = lesson_notebook(L00)
    index = cell_index(notebook, "answer_0_1")
    notebook.cells[index].source = answer
    for offset, source in enumerate(extra_cells, start=1):
        notebook.cells.insert(index + offset, nbformat.v4.new_code_cell(source))
    return nbformat.writes(notebook)


def solution_answers(lesson: str) -> dict[str, str]:
    solution = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    return {
        c.metadata.nbgrader.grade_id: "\n".join(
            line for line in c.source.splitlines() if "### " not in line
        )
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def lesson_01(answers: dict[str, str] | None = None, first_cell: str = "") -> str:
    """Lesson 01 with some answer cells filled in; ``first_cell`` replaces answer_1_1."""
    notebook = lesson_notebook(L01)
    for grade_id, source in (answers or {}).items():
        notebook.cells[cell_index(notebook, grade_id)].source = source
    if first_cell:
        notebook.cells[cell_index(notebook, "answer_1_1")].source = first_cell
    return nbformat.writes(notebook)


WRONG_01 = {
    "answer_1_1": "def site_summary(frame):\n    return frame.groupby('site_id').size()",
    "answer_1_2": "def pooled_log_odds_ratio(frame):\n    return -1.0",
    "answer_1_3": "def mean_within_site_difference(frame):\n    return 0.0",
    "answer_1_4": 'prediction_1_4 = "a"',
    "answer_1_5": 'interpretation_1_5 = "b"',
    "answer_1_6": "def site_pass_probability(fit, site, method):\n    return 0.5",
}


def exploits(paths: dict[str, str]) -> dict[str, dict[str, str]]:
    """student -> {lesson: notebook text}. ``paths``: absolute paths outside the sandbox
    that the students aim at (the repository, the work folder, the victim's files...)."""
    p = {k: repr(v) for k, v in paths.items()}
    sensitive = (
        f"[{p['root']} + '/solutions', {p['root']} + '/lessons', {p['root']} + '/README.md', "
        f"{p['root']} + '/tools', {p['root']} + '/tests', {p['workdir']}, {p['submissions']}, "
        f"{p['output']}, {p['victim']}, '/root/.cache', '/etc/shadow', "
        f"'/proc/1/root' + {p['root']} + '/README.md', '/proc/1/cwd/solutions']"
    )
    see_files = f"""import os, socket, sys
found = [path for path in {sensitive} if os.path.exists(path)]
allowed = ({p["root"]}, sys.prefix, sys.base_prefix)  # course_utils, data/, Python: readable
for top in ("/home", "/tmp", "/run", "/work", "/root", "/srv", "/mnt", "/opt", "/var"):
    for folder, _, files in os.walk(top):
        if not folder.startswith(allowed):
            found += [os.path.join(folder, f) for f in files
                      if f.endswith((".ipynb", ".csv", ".db")) and f != "{L00}.ipynb"]
if os.getuid() != 65534:
    found.append("uid")
for host in ("1.1.1.1", "pypi.org"):
    try:
        socket.create_connection((host, 443), timeout=2).close()
        found.append("network")
    except OSError:
        pass
{HEADER}    if found:
{RIGHT_BODY.replace("    ", "        ")}    raise RuntimeError("nothing to see")
"""
    frame_walk = """import sys
class Sneaky:
    def find(self):
        frame = sys._getframe()
        while frame is not None:
            for scope in (frame.f_locals, frame.f_globals):
                for key in ("expected", "_expected", "target", "reference"):
                    value = scope.get(key)
                    if isinstance(value, (int, float)) and not isinstance(value, bool):
                        return float(value)
            frame = frame.f_back
        return 0.5
    def __float__(self):
        return self.find()
    def __array__(self, dtype=None, copy=None):
        import numpy
        return numpy.array(self.find())
def raw_pass_rate(frame, method):
    return Sneaky()
"""
    transformer = """def _blank(lines):
    text = "".join(lines)
    return ["pass\\n"] if ("check_" in text or "grading" in text) else lines
get_ipython().input_transformers_cleanup.append(_blank)
"""
    tamper_victim = f"""import glob
targets = [{p["victim"]}] + glob.glob({p["workdir"]} + "/**", recursive=True)
targets += glob.glob({p["submissions"]} + "/**", recursive=True)
hits = []
for target in targets:
    try:
        with open(target, "a") as handle:
            handle.write("tampered")
        hits.append(target)
    except OSError:
        pass
{HEADER}    if hits:
{RIGHT_BODY.replace("    ", "        ")}    raise RuntimeError("no target reachable")
"""
    solution_01 = f"{p['root']} + '/solutions/{L01}/{L01}.ipynb'"
    tamper_sources = f"""import glob, json
hits = []
for path in [{solution_01}] + glob.glob({p["workdir"]} + "/**/*.ipynb", recursive=True):
    try:
        notebook = json.load(open(path))
        for cell in notebook["cells"]:
            if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("grade"):
                cell["source"] = ["pass"]
        json.dump(notebook, open(path, "w"))
        hits.append(path)
    except OSError:
        pass
{HEADER}    if hits:
{RIGHT_BODY.replace("    ", "        ")}    raise RuntimeError("no source reachable")
"""
    site = "__import__('sysconfig').get_paths()['purelib']"
    create_files = f"""import os
made = []
for path in [{p["root"]} + "/solutions/evil.txt", {p["root"]} + "/tools/evil.py",
             {p["root"]} + "/course_utils/evil.py", {p["root"]} + "/data/evil.csv",
             os.path.join({site}, "sitecustomize.py"), os.path.join({site}, "evil.pth"),
             "/usr/lib/evil.txt", "/etc/evil.txt", {p["workdir"]} + "/evil.txt"]:
    try:
        with open(path, "w") as handle:
            handle.write("import os")
        made.append(path)
    except OSError:
        pass
{HEADER}    if made:
{RIGHT_BODY.replace("    ", "        ")}    raise RuntimeError("read-only")
"""
    detached = f"""import os, subprocess, sys
loop = '''
import glob, time
end = time.time() + 120
while time.time() < end:
    targets = [{p["victim"]}, {p["output"]}]
    for target in targets + glob.glob({p["workdir"]} + "/**", recursive=True):
        try:
            with open(target, "a") as handle:
                handle.write("late")
        except OSError:
            pass
    time.sleep(0.2)
'''
subprocess.Popen([sys.executable, "-c", loop, "{MARKER}"], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:  # a classic double-fork daemon, too
    os.setsid()
    if os.fork() == 0:
        os.execv(sys.executable, [sys.executable, "-c", loop, "{MARKER}"])
    os._exit(0)
{WRONG}"""
    solution_cells = f"""import json
try:
    notebook = json.load(open({solution_01}))
    for cell in notebook["cells"]:
        if cell.get("metadata", {{}}).get("nbgrader", {{}}).get("solution"):
            exec("".join(cell["source"]))
except OSError:
    def site_summary(frame):
        raise RuntimeError("no solution to copy")
"""
    numpy_patches = """import math
import numpy as np
np.isclose = lambda *a, **k: True
np.allclose = lambda *a, **k: True
np.testing.assert_allclose = lambda *a, **k: None
math.isclose = lambda *a, **k: True
""" + WRONG_01["answer_1_1"]
    secret = HEADER + (
        '    raise RuntimeError("=HYPERLINK(\\"http://evil\\")\\n"'
        ' + "A" * 400 + "\\x1b[31m\\u202e")\n'
    )
    odd_class = (
        "class Odd(Exception):\n    pass\nOdd.__name__ = \"=cmd|' /C calc'!A0\"\n"
        + HEADER
        + "    raise Odd('boom')\n"
    )
    return {
        "x01_check_close_lambda": {L00: lesson_00("check_close = lambda *a, **k: 'ok'\n" + WRONG)},
        "x02_math_isclose": {
            L00: lesson_00("import math\nmath.isclose = lambda *a, **k: True\n" + WRONG)
        },
        "x03_code_swap": {
            L00: lesson_00("check_close.__code__ = (lambda *a, **k: 'ok').__code__\n" + WRONG)
        },
        "x04_frame_walk": {L00: lesson_00(frame_walk)},
        "x05_input_transformer": {L00: lesson_00(transformer), L01: lesson_01({}, transformer)},
        "x06_numpy_patches": {L01: lesson_01(WRONG_01, numpy_patches)},
        "x07_see_files": {L00: lesson_00(see_files)},
        "x08_exec_solution": {L01: lesson_01({}, solution_cells)},
        "x09_raise_secret": {L00: lesson_00(secret)},
        "x09_odd_exception_name": {L00: lesson_00(odd_class)},
        "x10_tamper_victim": {L00: lesson_00(tamper_victim)},
        "x11_tamper_sources": {L00: lesson_00(tamper_sources), L01: lesson_01()},
        "x12_create_files": {L00: lesson_00(create_files)},
        "x13_detached_process": {L00: lesson_00(detached)},
        "x16_changes_during_grading": {L00: lesson_00(RIGHT)},
        "u_warning_right": {
            L00: lesson_00(
                "import sys, warnings\n"
                + HEADER
                + "    warnings.warn('careful: small groups')\n"
                + "    print('a note on stderr', file=sys.stderr)\n"
                + RIGHT_BODY
            )
        },
        "u_exit": {L00: lesson_00(RIGHT + "import os\nos._exit(1)\n")},
        "u_segfault": {L00: lesson_00(RIGHT + "import ctypes\nctypes.string_at(0)\n")},
        "u_ignores_sigint": {
            L00: lesson_00(
                RIGHT + "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\n"
                "while True:\n    pass\n"
            )
        },
        "u_slow_cells": {L00: lesson_00(RIGHT, ("import time\ntime.sleep(9)",) * 6)},
        "u_big_output": {L00: lesson_00(RIGHT, ("print('x' * 50_000_000)",))},
        ".hidden": {L00: lesson_00(RIGHT)},
        "..dots": {L00: lesson_00(WRONG)},
        "c_[ab]": {L00: lesson_00(RIGHT)},
        "c_a": {L00: lesson_00(WRONG)},
        "c_b": {L00: lesson_00(WRONG)},
        "*": {L00: lesson_00(WRONG)},
        "=cmd": {L00: lesson_00(RIGHT)},
        "bad\nname": {L00: lesson_00(RIGHT)},
        "zz_victim": {L00: lesson_00(RIGHT), L01: lesson_01(solution_answers(L01))},
    }


def tree_checksums(folder: Path) -> dict[str, str]:
    sums = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = [d for d in dirnames if d not in SKIPPED_DIRS]
        for name in filenames:
            path = Path(dirpath) / name
            if path.is_file() and not path.is_symlink():
                sums[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return sums


def processes_mentioning(*needles: str) -> list[str]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            if any(n in cmdline for n in needles):
                found.append(f"{entry.name}: {cmdline[:200]}")
    return found


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """Build the class, grade it once; everything the tests look at."""
    base = tmp_path_factory.mktemp("redteam")
    submissions, workdir, output = base / "submissions", base / "work", base / "grades.csv"
    victim = submissions / "zz_victim" / L00 / f"{L00}.ipynb"
    paths = {
        "root": str(ROOT),
        "workdir": str(workdir),
        "submissions": str(submissions),
        "output": str(output),
        "victim": str(victim),
    }
    for student, lessons in exploits(paths).items():
        for lesson, text in lessons.items():
            path = submissions / student / lesson / f"{lesson}.ipynb"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
    two = submissions / "u_two_notebooks" / L00
    two.mkdir(parents=True)
    (two / f"{L00}.ipynb").write_text(lesson_00(RIGHT))
    (two / "copy.ipynb").write_text(lesson_00(WRONG))
    renamed = submissions / "u_renamed" / L00
    renamed.mkdir(parents=True)
    (renamed / f"{L00} (1).ipynb").write_text(lesson_00(RIGHT))
    linked = submissions / "u_symlink" / L00
    linked.mkdir(parents=True)
    (linked / f"{L00}.ipynb").symlink_to(victim)
    (submissions / "u_linked_folder").symlink_to(submissions / "zz_victim")

    repository_before = tree_checksums(ROOT)
    submissions_before = tree_checksums(submissions)
    changed = submissions / "x16_changes_during_grading" / L00 / f"{L00}.ipynb"

    def change_after_snapshot():  # an outside change during grading (a sync job, say)
        snapshot = workdir / "snapshot"
        end = time.monotonic() + 600
        while time.monotonic() < end:
            if snapshot.is_dir() and snapshot.stat().st_mode & 0o777 == 0o555:
                with changed.open("a") as handle:
                    handle.write(" ")
                return
            time.sleep(0.05)

    changer = threading.Thread(target=change_after_snapshot, daemon=True)
    changer.start()
    start = time.monotonic()
    result = subprocess.run(
        [
            *(sys.executable, "-m", "tools.grade", str(submissions), "--output", str(output)),
            *("--workdir", str(workdir), "--timeout", str(CELL_TIMEOUT)),
            *("--notebook-timeout", str(NOTEBOOK_TIMEOUT), "--max-output-mb", str(MAX_OUTPUT_MB)),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    seconds = time.monotonic() - start
    changer.join(timeout=5)
    csv_sum = hashlib.sha256(output.read_bytes()).hexdigest() if output.exists() else ""
    survivors_now = processes_mentioning(MARKER, str(workdir))
    time.sleep(3)  # anything left behind would act now
    with output.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {
        "result": result,
        "seconds": seconds,
        "rows": rows,
        "by": {(r["student"], r["lesson"], r["exercise"]): r for r in rows},
        "paths": paths,
        "base": base,
        "csv_sum": csv_sum,
        "csv_sum_later": hashlib.sha256(output.read_bytes()).hexdigest(),
        "survivors": survivors_now + processes_mentioning(MARKER, str(workdir)),
        "repository": (repository_before, tree_checksums(ROOT)),
        "submissions": (submissions_before, tree_checksums(submissions)),
        "changed": str(changed.relative_to(submissions)),
    }


def row(run, student, lesson=L00, exercise="exercise_0_1"):
    return run["by"][(student, lesson, exercise)]


def lesson_points(run, student, lesson):
    rows = [r for r in run["rows"] if r["student"] == student and r["lesson"] == lesson]
    assert rows, f"no rows for {student} {lesson}"
    return sum(float(r["points"]) for r in rows), rows


def test_the_class_is_graded_in_one_run(run):
    result = run["result"]
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(f"red-team class graded in {run['seconds']:.0f} s")


@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("x01_check_close_lambda", "raw_pass_rate(tutoring, 1) = 0.5, but that is not right."),
        ("x02_math_isclose", "raw_pass_rate(tutoring, 1) = 0.5, but that is not right."),
        ("x03_code_swap", "raw_pass_rate(tutoring, 1) = 0.5, but that is not right."),
        ("x04_frame_walk", "raw_pass_rate(tutoring, 1) = 0.5, but that is not right."),
        ("x07_see_files", "raw_pass_rate(tutoring, 1) raised RuntimeError: nothing to see"),
        (
            "x10_tamper_victim",
            "raw_pass_rate(tutoring, 1) raised RuntimeError: no target reachable",
        ),
        (
            "x11_tamper_sources",
            "raw_pass_rate(tutoring, 1) raised RuntimeError: no source reachable",
        ),
        ("x12_create_files", "raw_pass_rate(tutoring, 1) raised RuntimeError: read-only"),
        ("x13_detached_process", "raw_pass_rate(tutoring, 1) = 0.5, but that is not right."),
    ],
)
def test_exploits_in_lesson_00_score_nothing(run, student, reason):
    """1-4: patched checks and frame walks; 7: nothing of the course, the grader or the
    network is visible; 10-13: nothing outside the sandbox can be changed."""
    found = row(run, student)
    assert (found["points"], found["reason"]) == ("0", reason)


def test_input_transformer_rewriting_checks_scores_nothing(run):
    """5: rewriting every later check cell (and the probes) to `pass`."""
    assert row(run, "x05_input_transformer")["points"] == "0"
    assert row(run, "x05_input_transformer")["reason"].startswith("raw_pass_rate(tutoring, 1)")
    assert lesson_points(run, "x05_input_transformer", L01)[0] == 0


def test_patched_numpy_scores_nothing_in_lesson_01(run):
    """6: numpy.isclose, allclose, testing.assert_allclose and math.isclose patched."""
    points, rows = lesson_points(run, "x06_numpy_patches", L01)
    assert points == 0 and len(rows) == 6, rows


def test_solution_cells_cannot_be_read_and_run(run):
    """8: exec'ing the solution's answer cells read from the repository."""
    points, rows = lesson_points(run, "x08_exec_solution", L01)
    assert points == 0
    assert "no solution to copy" in rows[0]["reason"]


def test_changed_sources_do_not_help_a_blank_submission(run):
    """11: the same student's blank lesson 01, graded after it tried to blank the checks."""
    points, rows = lesson_points(run, "x11_tamper_sources", L01)
    assert points == 0 and all("not answered yet" in r["reason"] for r in rows), rows


def test_the_victim_keeps_full_marks(run):
    """10, 13: other students wrote at the victim's files (or tried to, during grading)."""
    assert row(run, "zz_victim")["points"] == "2"
    assert lesson_points(run, "zz_victim", L01)[0] == 11  # 2 + 2 + 2 + 1 + 2 + 2


def test_an_error_message_cannot_inject_text_into_the_csv(run):
    """9: 400 characters, a newline, an escape sequence, a bidi override, a formula."""
    reason = row(run, "x09_raise_secret")["reason"]
    assert reason.startswith("raw_pass_rate(tutoring, 1) raised RuntimeError: =HYPERLINK")
    assert len(reason) <= 300
    assert not any(ch in reason for ch in "\n\r\x1b\u202e")
    odd = row(run, "x09_odd_exception_name")["reason"]
    assert odd == "raw_pass_rate(tutoring, 1) raised Exception: boom"


def test_cells_that_look_like_formulas_are_neutralised(run):
    raw = (run["base"] / "grades.csv").read_text()
    assert "\n'=cmd," in raw
    for cells in csv.reader(raw.splitlines()):
        assert not any(cell.startswith(("=", "+", "-", "@", "\t", "\r")) for cell in cells), cells
    assert row(run, "'=cmd")["points"] == "2"


def test_a_file_changed_during_grading_flags_that_student_only(run):
    """16: a byte appended to one submission while the class is graded."""
    flagged = row(run, "x16_changes_during_grading")
    assert flagged["points"] == "2"  # graded as it was when the run started
    assert flagged["reason"].startswith(f"flagged: {L00}.ipynb changed during grading")
    assert sum("flagged" in r["reason"] for r in run["rows"]) == 1


def test_a_warning_on_stderr_costs_nothing(run):
    found = row(run, "u_warning_right")
    assert (found["points"], found["reason"]) == ("2", "")


@pytest.mark.parametrize(
    ("student", "reason"),
    [
        ("u_exit", "kernel died (exit code 1)"),
        ("u_segfault", "kernel died (signal 11, SIGSEGV)"),
        ("u_ignores_sigint", f"timed out after {CELL_TIMEOUT} s"),
        ("u_slow_cells", f"notebook time limit ({NOTEBOOK_TIMEOUT} s) reached"),
        ("u_big_output", f"output too large (more than {MAX_OUTPUT_MB} MB)"),
    ],
)
def test_a_notebook_that_cannot_finish_gets_a_clear_reason(run, student, reason):
    found = row(run, student)
    assert (found["points"], found["reason"]) == ("0", reason)


def test_odd_folder_names_are_graded_as_themselves(run):
    """Never another student's notebook in their place: each gets its own answer's score."""
    expected = {".hidden": "2", "..dots": "0", "c_[ab]": "2", "c_a": "0", "c_b": "0", "*": "0"}
    assert {s: row(run, s)["points"] for s in expected} == expected


def test_a_folder_name_with_a_newline_is_refused_with_the_reason(run):
    found = row(run, "bad\\x0aname")
    assert found["points"] == "0"
    assert found["reason"].startswith("folder name not allowed: bad\\x0aname")


def test_a_second_notebook_in_a_lesson_folder_is_reported(run):
    found = row(run, "u_two_notebooks")
    assert (found["points"], found["reason"]) == (
        "2",
        "also in the folder, not graded: copy.ipynb",
    )
    renamed = row(run, "u_renamed")
    assert renamed["points"] == "2"
    assert renamed["reason"] == f"graded {L00} (1).ipynb: the folder has no {L00}.ipynb"


def test_symbolic_links_are_not_followed_to_another_students_work(run):
    found = row(run, "u_symlink")
    assert (found["points"], found["reason"]) == (
        "0",
        f"not graded: {L00}.ipynb is a symbolic link",
    )
    linked = row(run, "u_linked_folder")
    assert linked["points"] == "0" and "symbolic link" in linked["reason"]


def test_no_file_outside_the_sandboxes_changed(run):
    before, after = run["repository"]
    assert after == before
    before, after = run["submissions"]
    changed = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert changed == {run["changed"]}  # the one the test itself changed, for exploit 16


def test_the_work_folder_holds_only_the_snapshot(run):
    workdir = Path(run["paths"]["workdir"])
    submissions = Path(run["paths"]["submissions"])
    files = sorted(p.relative_to(workdir) for p in workdir.rglob("*") if p.is_file())
    assert files[0] == Path(".bayes-course-grading")
    snapshot = [f for f in files[1:]]
    assert all(f.parts[0] == "snapshot" for f in snapshot)
    sums = set(run["submissions"][0].values())
    for path in snapshot:
        data = (workdir / path).read_bytes()
        assert hashlib.sha256(data).hexdigest() in sums, path
        assert (workdir / path).stat().st_mode & 0o222 == 0  # read-only
    assert not (workdir / "sandboxes").exists()
    assert not (submissions / "evil.txt").exists()


def test_the_csv_is_not_changed_after_it_is_written(run):
    assert run["csv_sum"] and run["csv_sum"] == run["csv_sum_later"]


def test_no_process_is_left_behind(run):
    assert run["survivors"] == []
