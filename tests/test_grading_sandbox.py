"""The grading machinery piece by piece: hidden tests read into probes, plain data in and
out of the sandbox, the sandbox's walls and limits, where probes run, how reasons look.

The class run with every exploit is tests/test_grading_redteam.py."""

from __future__ import annotations

import csv
import json
import math
import os
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pandas as pd
import pytest

from tools.grading import harness, scoring
from tools.grading.grader import display_name, name_problem, neutralise, write_csv
from tools.grading.plain import PlainError, Unsupported, decode, load_document
from tools.grading.runner import plan, student_probe_specs
from tools.grading.sandbox import KernelSandbox, Limits
from tools.grading.spec import SpecError, lesson_spec, parse_hidden_tests

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*/*.ipynb"))
needs_bwrap = pytest.mark.skipif(
    shutil.which("bwrap") is None and not os.environ.get("CI"),
    reason="bubblewrap is not installed (CI installs it)",
)


def region(body: str) -> str:
    return f"### BEGIN HIDDEN TESTS\n{body}\n### END HIDDEN TESTS\ncheck_close('x', 1, 1)"


# -- hidden tests into probes ---------------------------------------------------------


def test_hidden_tests_split_into_student_and_trusted_sides():
    student, trusted, probes = parse_hidden_tests(
        region(
            "_frame = pd.DataFrame({'a': [1, 2]})\n"
            "_expected = _frame['a'].mean() * 7\n"
            "check_close('f(frame)', f(_frame), _expected, rtol=1e-3, hint='mean')\n"
            "check_raises('g(-1)', g, -1, exception=KeyError)\n"
            "check_between('rate', scale(), 0.2, 0.4, through=lambda s: run(s, seed=_seed))\n"
            "_seed = 5"
        ),
        "exercise_x",
    )
    assert student == "_frame = pd.DataFrame({'a': [1, 2]})"
    assert "_expected" in trusted and "_frame" in trusted
    assert [p.check for p in probes] == ["check_close", "check_raises", "check_between"]
    close, raises, between = probes
    assert (close.label, close.actual) == ("f(frame)", "f(_frame)")
    assert close.trusted == {"expected": "_expected", "rtol": "0.001", "hint": "'mean'"}
    assert (raises.actual, raises.exception, raises.trusted) == ("(g)(-1)", "KeyError", {})
    assert between.through == "lambda s: run(s, seed=_seed)"
    assert between.trusted == {"low": "0.2", "high": "0.4"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("assert f(1) == 2", "only check_"),
        ("print(f(1))", "only check_"),
        ("for _x in (1, 2):\n    assert f(_x)", "only check_"),
        ("for _x in (1, 2):\n    check_close('f', f(_x), 1)", "only check_"),
        ("np.testing.assert_allclose(f(1), [1])", "only check_"),
        ("_x = 1", "no check_"),
        ("check_close(label, f(1), 1)", "string literal"),
        ("check_close('f', f(1), 1, through=lambda x: x)", "through"),
        ("check_close('f', f(1))", "does not accept"),
        ("check_close('f', *args)", "does not accept|\\*args"),
    ],
)
def test_hidden_tests_the_grader_cannot_see_are_refused(body, message):
    with pytest.raises(SpecError, match=message):
        parse_hidden_tests(region(body), "exercise_x")


def test_a_check_cell_needs_exactly_one_hidden_region():
    with pytest.raises(SpecError, match="one hidden-tests region"):
        parse_hidden_tests("check_close('x', f(), 1)", "exercise_x")


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.parent.name)
def test_no_expected_value_enters_the_students_sandbox(solution):
    """Every solution's hidden tests parse, and what the student's kernel gets (setup and
    expressions) holds none of the trusted expressions, unless the student side has the
    very same code (an input both sides build, such as a data frame)."""
    spec = lesson_spec(solution)
    assert spec.exercises
    sent = student_probe_specs(spec, {})
    for exercise, student in zip(spec.exercises, sent, strict=True):
        text = json.dumps(student)
        public = exercise.student_setup + " ".join(p.actual for p in exercise.probes)
        for probe in exercise.probes:
            for name, source in probe.trusted.items():
                if name == "hint" or len(source) < 6 or source in public:
                    continue
                assert json.dumps(source)[1:-1] not in text, (exercise.grade_id, name)
            if probe.through:
                assert probe.through not in text


# -- plain data -----------------------------------------------------------------------


def encode(value, numeric=False):
    return harness.encode(value, harness._Budget(harness.MAX_ELEMENTS), numeric=numeric)


@pytest.mark.parametrize(
    "value",
    [
        None,
        True,
        3,
        -2.5,
        math.inf,
        "text",
        [1, "a", None],
        (1.5, 2),
        {"a": [1, 2], 3: "x"},
        np.float32(0.25),
        np.int64(7),
        np.arange(6.0).reshape(2, 3),
        np.array([True, False]),
        np.array(["a", "bc"]),
    ],
)
def test_plain_values_go_through_json_unchanged(value):
    back = decode(json.loads(json.dumps(encode(value))))
    if isinstance(value, np.ndarray):
        np.testing.assert_array_equal(back, value)
        assert back.shape == value.shape
    else:
        assert back == value and type(back) is type(
            value.item() if hasattr(value, "item") else value
        )


def test_pandas_objects_come_back_as_pandas_objects():
    frame = pd.DataFrame({"students": [4, 5], "rate": [0.5, 0.25]}, index=[1, 2])
    back = decode(json.loads(json.dumps(encode(frame))))
    pd.testing.assert_frame_equal(back, frame, check_index_type=False)
    series = frame["rate"]
    pd.testing.assert_series_equal(decode(encode(series)), series, check_index_type=False)


def test_objects_that_are_not_plain_data_arrive_only_as_a_type_name():
    class Sneaky:
        def __float__(self):
            return 1.0

    assert decode(encode(Sneaky())) == Unsupported("Sneaky")
    assert decode(encode(Sneaky(), numeric=True)).tolist() == 1.0  # float() ran in the sandbox
    with pytest.raises(harness.PlainDataError, match="too large"):
        encode(np.zeros(harness.MAX_ELEMENTS + 1))


@pytest.mark.parametrize(
    "data",
    [
        {"ndarray": {"dtype": "object_", "shape": [1], "data": [1]}},
        {"ndarray": {"dtype": "float64", "shape": [3], "data": [1.0, 2.0]}},
        {"ndarray": {"dtype": "int64", "shape": [2], "data": [1, True]}},
        {"ndarray": {"dtype": "int64", "shape": [1], "data": [1.5]}},
        {"ndarray": {"dtype": "float64", "shape": [-1], "data": []}},
        {"ndarray": {"dtype": "float64", "shape": [1], "data": [1.0], "extra": 1}},
        {"pickle": "gASV"},
        {"list": [1], "tuple": [2]},
        {"dict": [[[1], 2]]},
        {"series": {"name": None, "index": [1], "values": [2]}},
        2**300,
    ],
)
def test_malformed_plain_data_is_refused(data):
    with pytest.raises(PlainError):
        decode(data)


def test_documents_are_bounded_json_objects():
    with pytest.raises(PlainError):
        load_document("[" * 100_000 + "]" * 100_000)
    with pytest.raises(PlainError):
        load_document("x" * (2**25 + 1))
    with pytest.raises(PlainError):
        load_document(b"{}")
    with pytest.raises(PlainError):
        decode(json.loads("[" * 20 + "]" * 20))
    assert load_document('{"a": NaN}')["a"] != 0


# -- reasons and the CSV --------------------------------------------------------------


def test_reasons_are_one_sanitised_line_of_bounded_length():
    text = scoring.sanitize("a\nb\r\x1b[31m\u202ec\u200bd" + "x" * 500)
    assert "\n" not in text and "\x1b" not in text and "\u202e" not in text
    assert len(text) == scoring.REASON_CHARS and text.endswith("…")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (".hidden", ""),
        ("..dots", ""),
        ("c_[ab]", ""),
        ("*", ""),
        ("José García", ""),
        ("bad\nname", "control characters"),
        ("rtl\u202eeman", "control characters"),
        (os.fsdecode(b"latin\xe9"), "not UTF-8"),
        ("x" * 101, "longer than 100"),
        (" padded", "spaces"),
    ],
)
def test_student_folder_names(name, problem):
    found = name_problem(name)
    assert (problem in found) if problem else found == ""
    assert "\n" not in display_name(name)


def test_csv_is_written_in_one_step_and_formulas_are_neutralised(tmp_path):
    from tools.grading.grader import Row

    output = tmp_path / "grades.csv"
    output.write_text("old")
    rows = [
        Row("=HYPERLINK(1)", "00", "e1", 0.0, 2.0, "-x\ny"),
        Row("@me", "00", "e1", 2.0, 2.0, ""),
        Row("two  spaces", "00", "e1", 2.0, 2.0, ""),
    ]
    write_csv(rows, output)
    cells = list(csv.reader(output.read_text().splitlines()))
    assert cells[1][0] == "'=HYPERLINK(1)" and cells[1][5] == "'-x y" and cells[2][0] == "'@me"
    assert cells[3][0] == "two  spaces"  # a name is kept exactly
    assert sorted(p.name for p in tmp_path.iterdir()) == ["grades.csv"]
    assert neutralise("\tx") == "'\tx" and neutralise("ok") == "ok"


# -- where probes run -------------------------------------------------------------------


def cells(*specs):
    notebook = nbformat.v4.new_notebook()
    for source, grade_id in specs:
        cell = nbformat.v4.new_code_cell(source)
        if grade_id:
            cell.metadata["nbgrader"] = {"grade_id": grade_id}
        notebook.cells.append(cell)
    return notebook


@pytest.fixture(scope="module")
def spec00():
    return lesson_spec(ROOT / "solutions" / "00_start_here" / "00_start_here.ipynb")


def test_probes_replace_the_check_cell_and_never_run_it(spec00):
    notebook = cells(("a", ""), ("answer", "answer_0_1"), ("b", ""), ("CHECK", "exercise_0_1"))
    steps = plan(notebook, spec00)
    assert [s[1] if s[0] == "code" else "PROBE" for s in steps] == ["a", "answer", "b", "PROBE"]


def test_a_deleted_or_moved_check_cell_puts_probes_after_the_answer(spec00):
    deleted = cells(("answer", "answer_0_1"), ("b", ""))
    assert [s[0] for s in plan(deleted, spec00)] == ["code", "probe", "code"]
    moved = cells(("CHECK", "exercise_0_1"), ("answer", "answer_0_1"), ("b", ""))
    assert [s[1] if s[0] == "code" else "PROBE" for s in plan(moved, spec00)] == [
        "answer",
        "PROBE",
        "b",
    ]
    no_answer = cells(("a", ""), ("CHECK", "exercise_0_1"))
    assert [s[0] for s in plan(no_answer, spec00)] == ["code", "probe"]


# -- the sandbox ------------------------------------------------------------------------


@pytest.fixture
def sandbox(tmp_path):
    def make(**limits):
        defaults = {"cell_timeout": 5, "notebook_timeout": 60, "interrupt_grace": 3}
        notebook = tmp_path / "mine.ipynb"
        notebook.write_text("{}")
        import course_utils

        package = Path(course_utils.__file__).resolve().parent
        return KernelSandbox(
            tmp_path / f"scratch{len(list(tmp_path.iterdir()))}",
            Limits(**{**defaults, **limits}),
            readonly=[package, package.parent / "data"],
            files={"mine.ipynb": notebook},
        )

    return make


def outputs_text(result) -> str:
    return "".join(str(o.get("text", "")) + str(o.get("data", "")) for o in result.outputs)


@needs_bwrap
def test_the_kernel_sees_only_its_own_files_as_nobody_without_network(sandbox, tmp_path):
    probe = f"""
import os, socket, json
report = {{"uid": os.getuid(), "cwd": os.getcwd(), "home": sorted(os.listdir("."))}}
report["repo"] = sorted(os.listdir({str(ROOT)!r}))
report["pids"] = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
for path in [{str(ROOT / "README.md")!r}, {str(tmp_path)!r}, "/etc/shadow"]:
    report[path] = os.path.exists(path)
for path in ["mine.ipynb", {str(ROOT / "course_utils" / "x.py")!r}, "/usr/x", "/etc/x"]:
    try:
        open(path, "w").close()
        report["wrote " + path] = True
    except OSError:
        report["wrote " + path] = False
try:
    socket.create_connection(("1.1.1.1", 443), timeout=2)
    report["network"] = True
except OSError:
    report["network"] = False
import resource
report["core"] = resource.getrlimit(resource.RLIMIT_CORE)
report["oom"] = open("/proc/self/oom_score_adj").read().strip()
print(json.dumps(report))
"""
    with sandbox() as box:
        result = box.run_cell(probe, keep_outputs=True)
        assert result.status == "ok", result.error
        report = json.loads(outputs_text(result))
        assert (
            box.run_cell("import course_utils.data as d; d.load_tutoring().shape").status == "ok"
        )
    assert report["uid"] == 65534 and report["cwd"] == "/home/student"
    assert "mine.ipynb" in report["home"]
    assert set(report["home"]) <= {"mine.ipynb", ".ipython", ".cache", ".config", ".local"}
    assert set(report["repo"]) <= {".venv", "course_utils", "data"}  # no README, solutions...
    assert report["pids"] == [1, 2]  # bubblewrap's init and the kernel: nothing else
    assert not any(report[p] for p in [str(ROOT / "README.md"), str(tmp_path), "/etc/shadow"])
    assert not any(v for k, v in report.items() if k.startswith("wrote "))
    assert report["network"] is False
    assert report["core"] == [0, 0] and report["oom"] == "1000"  # no core files; OOM victim
    assert not (tmp_path / "scratch0").exists()  # the scratch folder is removed


@needs_bwrap
def test_an_interrupted_cell_lets_the_notebook_go_on(sandbox):
    with sandbox(cell_timeout=2) as box:
        assert box.run_cell("while True:\n    pass").status == "timeout"
        result = box.run_cell("print(6 * 7)", keep_outputs=True)
        assert (result.status, outputs_text(result).strip()) == ("ok", "42")


@needs_bwrap
@pytest.mark.parametrize(
    ("code", "reason", "notebook_timeout"),
    [
        (
            "import signal\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True: pass",
            "timed out after 2 s",
            60,
        ),
        ("import ctypes\nctypes.string_at(0)", "kernel died (signal 11, SIGSEGV)", 60),
        ("import os\nos._exit(7)", "kernel died (exit code 7)", 60),
        ("print('x' * 3_000_000)", "output too large (more than 1 MB)", 60),
        ("import time\ntime.sleep(1.5)", "notebook time limit (4 s) reached", 4),
    ],
)
def test_a_notebook_that_cannot_go_on_is_stopped_with_the_reason(
    sandbox, code, reason, notebook_timeout
):
    limits = {"cell_timeout": 2, "interrupt_grace": 1, "max_output_bytes": 2**20}
    with sandbox(**limits, notebook_timeout=notebook_timeout) as box:
        results = [box.run_cell(code) for _ in range(4)]
        assert results[-1].status == "stopped" and box.stopped == reason
        assert box.run_cell("1").error == reason


@needs_bwrap
def test_processes_a_notebook_starts_end_with_it(sandbox, tmp_path):
    marker = f"sandbox-test-{os.getpid()}-{id(tmp_path)}"
    code = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)', '{marker}'],"
        " start_new_session=True)\n"
    )
    with sandbox() as box:
        assert box.run_cell(code).status == "ok"
        assert any(marker in p for p in _cmdlines())
    assert not any(marker in p for p in _cmdlines())


def _cmdlines() -> list[str]:
    lines = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                lines.append((entry / "cmdline").read_bytes().replace(b"\0", b" ").decode())
            except OSError:
                pass
    return lines


def test_the_grading_package_imports_no_other_tools_module():
    """tools/grading may import notebooks.py only (a refactor of tools/ can move it)."""
    tools = {p.stem for p in (ROOT / "tools").glob("*.py")} - {"notebooks"}
    for path in (ROOT / "tools" / "grading").glob("*.py"):
        text = path.read_text()
        for name in tools:
            assert f"import {name}" not in text and f"from {name} " not in text, (path, name)
    source = Path(harness.__file__).read_text()  # runs in the kernel: no tools/ at all
    assert "import grading" not in source and "from grading" not in source
    assert "notebooks" not in source


@needs_bwrap
def test_compile_caches_are_copied_into_each_sandbox_never_shared(tmp_path):
    """A trusted run's caches seed each later sandbox's home; what a sandbox writes there
    stays in its own copy."""
    template = tmp_path / "template"
    limits = Limits(cell_timeout=10, notebook_timeout=60)
    write = (
        "import os\n"
        "for folder in ('.pytensor', '.cache/numba', '.elsewhere'):\n"
        "    os.makedirs(folder, exist_ok=True)\n"
        "    open(os.path.join(folder, 'compiled'), 'w').write(folder)\n"
    )
    with KernelSandbox(tmp_path / "a", limits) as first:
        assert first.run_cell(write).status == "ok"
        first.save_caches(template)
    assert sorted(p.relative_to(template).as_posix() for p in template.rglob("compiled")) == [
        ".cache/numba/compiled",
        ".pytensor/compiled",
    ]
    read = "print(sorted(open(p).read() for p in ['.pytensor/compiled', '.cache/numba/compiled']))"
    with KernelSandbox(tmp_path / "b", limits, home_template=template) as second:
        result = second.run_cell(
            read + "\n_ = open('.pytensor/compiled', 'w').write('poisoned')", keep_outputs=True
        )
        assert outputs_text(result).strip() == "['.cache/numba', '.pytensor']"
    assert (template / ".pytensor" / "compiled").read_text() == ".pytensor"


def test_only_lessons_that_fit_models_get_a_compile_cache_run():
    from tools.grading.grader import compiles_models

    lessons = sorted(p.name for p in (ROOT / "lessons").iterdir() if p.is_dir())
    # lesson 04 samples with its own Metropolis loop; PyMC comes in with lesson 05
    assert [compiles_models(lesson) for lesson in lessons] == [
        lesson >= "05" for lesson in lessons
    ]


@needs_bwrap
def test_a_fork_bomb_hits_the_process_cap_where_the_machine_has_one(sandbox):
    from tools.grading.sandbox import pids_cgroup

    probe = pids_cgroup(10)
    if probe is None:
        pytest.skip("no pids cgroup can be made here (needs root with cgroup v1 pids or v2)")
    probe.rmdir()
    code = (
        "import os, time\nchildren, failed = [], ''\n"
        "for _ in range(200):\n"
        "    try:\n        pid = os.fork()\n"
        "    except OSError as err:\n        failed = type(err).__name__\n        break\n"
        "    if pid == 0:\n        time.sleep(2)\n        os._exit(0)\n"
        "    children.append(pid)\n"
        "print(len(children) < 100, failed)\n"
    )
    with sandbox(max_processes=100) as box:
        result = box.run_cell(code, keep_outputs=True)
        stdout = "".join(o.get("text", "") for o in result.outputs if o.get("name") == "stdout")
        assert stdout.strip() == "True BlockingIOError"
        assert box.run_cell("1").status == "ok"  # the kernel itself lives on
        cgroup = box.cgroup
    assert not cgroup.exists()


@needs_bwrap
def test_a_deep_work_folder_does_not_break_the_kernels_sockets(tmp_path):
    """A unix socket's path is at most 107 bytes; the work folder's may be longer."""
    deep = tmp_path.joinpath(*["a_rather_long_folder_name"] * 6)
    assert len(str(deep)) > 150
    with KernelSandbox(deep / "scratch", Limits(cell_timeout=10)) as box:
        assert box.run_cell("1 + 1").status == "ok"
        ipc = box.ipc
    assert not ipc.exists() and not (deep / "scratch").exists()


@needs_bwrap
def test_folders_below_the_hosts_tmp_stay_readable(tmp_path):
    """A checkout (course_utils, data/) under /tmp is bound on top of the sandbox's own
    /tmp, not hidden under it."""
    shared = tmp_path / "checkout" / "data"
    shared.mkdir(parents=True)
    (shared / "table.csv").write_text("a,b\n1,2\n")
    if not str(shared).startswith("/tmp/"):
        pytest.skip("pytest's temporary folder is not below /tmp here")
    code = f"print(open({str(shared / 'table.csv')!r}).read().split()[1])"
    with KernelSandbox(tmp_path / "scratch", Limits(cell_timeout=10), readonly=[shared]) as box:
        result = box.run_cell(code, keep_outputs=True)
        assert (result.status, outputs_text(result).strip()) == ("ok", "1,2")
        assert box.run_cell(f"open({str(shared / 'new')!r}, 'w')").status == "error"
