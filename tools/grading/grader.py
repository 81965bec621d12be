"""A class's grading run: snapshot, reference runs, every submission, one CSV.

1. Every submission is copied into a read-only snapshot in the work folder before any code
   runs (regular files only: symbolic links are refused), with its SHA-256.
2. Per lesson, the solution runs once in a sandbox (``ReferenceRun``) for the expected
   values (a lesson that fits PyMC models first runs once as handed out, so that the
   other runs start from its compile caches instead of compiling every model again); then
   every submission of that lesson runs in its own sandbox from the snapshot
   (``grade_submission``); ``through`` checks are judged by the reference kernel; the
   verdicts are computed in this process (``scoring``).
3. The original files are hashed again: a file that changed during grading flags that
   student (by file name), graded as it was when the run started.
4. The CSV is written at the end, atomically, with spreadsheet formulas neutralised.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat

from course_utils import result_cache
from tools.grading import scoring
from tools.grading.feedback import hidden_numbers, redact, write_class_report, write_pages
from tools.grading.parallel import Executor, InProcess, code_version, executor
from tools.grading.progress import GradingProgress
from tools.grading.runner import ReferenceError, ReferenceRun, warm_caches
from tools.grading.sandbox import INSIDE_HOME, Limits, SandboxError, bwrap_path, remove_tree
from tools.grading.spec import LessonSpec, SpecError, lesson_spec
from tools.grading.store import ResultStore, lesson_version
from tools.notebooks import LESSONS, SOLUTIONS, lesson_names

COLUMNS = ["student", "lesson", "exercise", "points", "max_points", "reason"]
MARKER = ".bayes-course-grading"
MAX_NOTEBOOK_BYTES = 200 * 2**20
MAX_NAME_CHARS = 100
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: The folder of course_utils's stored results inside a sandbox (in ~/.cache, which
#: KernelSandbox.save_caches copies from the trusted run of the lesson as handed out).
RESULT_CACHE = f"{INSIDE_HOME}/.cache/course-utils-results"


@dataclass(frozen=True)
class Row:
    student: str
    lesson: str
    exercise: str
    points: float
    max_points: float
    reason: str
    student_reason: str = ""  # the reason with hidden values redacted (feedback pages)


@dataclass
class Submission:
    student: str  # the folder's name, for the CSV
    lesson: str
    original: Path  # the file in the submissions folder
    snapshot: Path | None  # the read-only copy that is graded
    sha256: str = ""
    problem: str = ""  # why it cannot be graded ('' when it can)
    notes: list[str] = field(default_factory=list)


@dataclass
class Report:
    rows: list[Row]
    timings: dict[str, list[float]]  # lesson -> seconds per submission
    reference_seconds: dict[str, float]
    errors: list[str]  # problems of the grading setup (the run exits 1)
    items: list[Submission] = field(default_factory=list)


# -- names and text -------------------------------------------------------------------


def display_name(name: str) -> str:
    """A folder name as text for the CSV: undecodable bytes and control characters
    escaped, so that two different names never look the same."""
    out = []
    for ch in name:
        code = ord(ch)
        if 0xDC80 <= code <= 0xDCFF:  # a byte that was not UTF-8 (surrogateescape)
            out.append(f"\\x{code - 0xDC00:02x}")
        elif unicodedata.category(ch) in {"Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"}:
            out.append(f"\\u{code:04x}" if code > 0xFF else f"\\x{code:02x}")
        else:
            out.append(ch)
    return "".join(out)


def name_problem(name: str) -> str:
    """Why a student folder name is refused, or ''."""
    shown = display_name(name)
    if shown != name:
        return f"folder name not allowed: {shown[:60]} (control characters or not UTF-8)"
    if len(name) > MAX_NAME_CHARS:
        return f"folder name not allowed: longer than {MAX_NAME_CHARS} characters"
    if name.strip() != name or not name.strip():
        return "folder name not allowed: leading or trailing spaces"
    return ""


def neutralise(cell: str) -> str:
    """A CSV cell a spreadsheet will not read as a formula."""
    return "'" + cell if cell.startswith(FORMULA_START) else cell


def write_csv(rows: list[Row], output: Path) -> None:
    """Write the table atomically: a temporary file in the same folder, then a rename."""
    output = Path(output)
    handle = tempfile.NamedTemporaryFile(
        "w", newline="", dir=output.parent, prefix=f".{output.name}.", delete=False
    )
    try:
        with handle:
            writer = csv.writer(handle)
            writer.writerow(COLUMNS)
            for row in rows:
                # Student names are already printable (display_name) and kept exactly;
                # reasons are made one bounded line here whatever their origin.
                cells = [
                    row.student,
                    row.lesson,
                    row.exercise,
                    f"{row.points:g}",
                    f"{row.max_points:g}",
                    scoring.sanitize(row.reason),
                ]
                writer.writerow([neutralise(c) for c in cells])
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(handle.name, 0o644)
        os.replace(handle.name, output)
    except BaseException:
        Path(handle.name).unlink(missing_ok=True)
        raise


# -- snapshot -------------------------------------------------------------------------


def _read_regular(path: Path) -> bytes:
    """The bytes of a regular file, without following a symbolic link; OSError if not."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise OSError("not a regular file")
        if info.st_size > MAX_NOTEBOOK_BYTES:
            raise OSError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
        chunks, size = [], 0
        while chunk := os.read(fd, 1 << 20):
            size += len(chunk)
            if size > MAX_NOTEBOOK_BYTES:
                raise OSError(f"larger than {MAX_NOTEBOOK_BYTES // 2**20} MB")
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def sha256_of(path: Path) -> str:
    try:
        return hashlib.sha256(_read_regular(path)).hexdigest()
    except OSError:
        return "missing"


def notebook_problem(path: Path) -> str:
    """Why ``path`` cannot be graded as a notebook, or ''."""
    try:
        notebook = nbformat.read(path, as_version=4)
        nbformat.validate(notebook)
    except RecursionError:
        return "not a valid notebook: nested too deeply"
    except Exception as err:  # any parse or schema failure means "not a valid notebook"
        text = str(err).strip()
        first_line = text.splitlines()[0] if text else type(err).__name__
        return f"not a valid notebook: {first_line[:200]}"
    return ""


def _entries(folder: Path) -> list[os.DirEntry]:
    with os.scandir(folder) as it:
        return sorted(it, key=lambda e: e.name)


def find_submissions(submissions: Path, lessons: list[str], snapshot: Path) -> list[Submission]:
    """Copy every lesson notebook below ``submissions`` into ``snapshot`` (read-only)."""
    found: list[Submission] = []
    number = 0
    for student in _entries(submissions):
        if not student.is_dir(follow_symlinks=True):
            continue  # a file next to the students' folders is nobody's submission
        name = student.name
        refused = name_problem(name)
        if not refused and student.is_symlink():
            refused = "not graded: the student's folder is a symbolic link"
        try:
            lesson_dirs = [e for e in _entries(Path(student.path)) if e.name in lessons]
        except OSError as err:
            print(f"warning: cannot read {display_name(name)}: {err}", file=sys.stderr)
            continue
        for lesson_dir in lesson_dirs:
            lesson = lesson_dir.name
            expected = f"{lesson}.ipynb"
            item = Submission(display_name(name), lesson, Path(lesson_dir.path) / expected, None)
            found.append(item)
            if refused:
                item.problem = refused
                continue
            if lesson_dir.is_symlink() or not lesson_dir.is_dir(follow_symlinks=False):
                item.problem = "not graded: the lesson folder is a symbolic link"
                continue
            notebooks = [e for e in _entries(Path(lesson_dir.path)) if e.name.endswith(".ipynb")]
            names = {e.name: e for e in notebooks}
            others = sorted(display_name(n) for n in names if n != expected)
            if expected in names:
                chosen = names[expected]
                if others:
                    item.notes.append("also in the folder, not graded: " + ", ".join(others))
            elif len(names) == 1:
                chosen = notebooks[0]
                item.notes.append(f"graded {others[0]}: the folder has no {expected}")
            else:
                listing = f"; found {', '.join(others)}" if others else ""
                item.problem = f"notebook missing: no {expected}{listing}"
                continue
            item.original = Path(chosen.path)
            if chosen.is_symlink():
                item.problem = f"not graded: {display_name(chosen.name)} is a symbolic link"
                continue
            try:
                data = _read_regular(item.original)
            except OSError as err:
                item.problem = f"not graded: {display_name(chosen.name)} is {err}"
                continue
            number += 1
            target = snapshot / f"{number:05d}" / lesson / expected
            target.parent.mkdir(parents=True)
            target.write_bytes(data)
            target.chmod(0o444)
            item.snapshot, item.sha256 = target, hashlib.sha256(data).hexdigest()
            item.problem = notebook_problem(target)
    for folder in sorted(snapshot.rglob("*"), reverse=True):
        if folder.is_dir():
            folder.chmod(0o555)
    snapshot.chmod(0o555)
    return found


# -- the run ----------------------------------------------------------------------------


def prepare_workdir(workdir: Path) -> None:
    """An empty work folder (mode 0700); an existing one is emptied only if this tool made
    it (its marker file is there), so that a mistyped --workdir never deletes a folder."""
    if workdir.exists():
        if not (workdir / MARKER).is_file() and any(workdir.iterdir()):
            raise ValueError(
                f"--workdir {workdir} exists and is not a grading work folder: choose another"
            )
        remove_tree(workdir)
    workdir.mkdir(parents=True, mode=0o700)
    (workdir / MARKER).write_text("work folder of tools/grade.py; emptied on every run\n")


def check_sandbox() -> None:
    """Fail early, with instructions, when bubblewrap cannot make a sandbox here."""
    command = [bwrap_path(), "--unshare-all", "--unshare-user", "--die-with-parent"]
    command += ["--uid", "65534", "--gid", "65534", "--ro-bind", "/usr", "/usr"]
    for name in ("bin", "lib", "lib64"):
        path = Path("/") / name
        if path.is_symlink():
            command += ["--symlink", os.readlink(path), str(path)]
    command += ["--", "/usr/bin/true"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SandboxError(
            "bubblewrap cannot create a sandbox on this machine: "
            + (result.stderr.strip() or f"exit code {result.returncode}")
            + "\nIt needs user namespaces: run as root, or allow unprivileged user namespaces "
            "(e.g. sysctl kernel.unprivileged_userns_clone=1 / "
            "kernel.apparmor_restrict_unprivileged_userns=0)."
        )


def readonly_paths(store_results: bool = True) -> tuple[list[Path], dict[str, str]]:
    """What a kernel may read besides the Python environment: course_utils (the copy this
    Python imports, which the kernel will import too) and the data/ folder next to it; and
    the kernel's environment variables.

    ``store_results``: slow, deterministic course_utils results (a bootstrap, a profile,
    an exact grid; ``course_utils.result_cache``) are stored in the sandbox's home. The
    run of the lesson as handed out fills the store, and every sandbox of the lesson
    starts from a copy of it (``KernelSandbox.save_caches`` copies ~/.cache), so a
    student's notebook reads a result instead of computing it when its arguments are
    equal. False: every notebook computes everything (``--recompute``)."""
    import course_utils

    package = Path(course_utils.__file__).resolve().parent
    paths = [package, package.parent / "data"]
    env = {result_cache.ENVIRONMENT_VARIABLE: RESULT_CACHE} if store_results else {}
    override = os.environ.get("COURSE_DATA_DIR")
    if override:
        paths.append(Path(override).resolve())
        env["COURSE_DATA_DIR"] = str(Path(override).resolve())
    return [p for p in paths if p.exists()], env


def _rows(item: Submission, spec: LessonSpec, reasons: dict[str, tuple]) -> list[Row]:
    """The rows of one submission. ``reasons[grade_id]``: (points, reason) or (points,
    reason, the reason as the student may see it)."""
    rows = []
    for exercise in spec.exercises:
        value = reasons.get(exercise.grade_id, (0.0, item.problem))
        points, reason = value[0], value[1]
        shown = value[2] if len(value) > 2 else reason
        rows.append(
            Row(
                item.student,
                item.lesson,
                exercise.grade_id,
                points,
                exercise.points,
                "; ".join([r for r in [reason, *item.notes] if r]),
                "; ".join([r for r in [shown, *item.notes] if r]),
            )
        )
    return rows


@dataclass
class Context:
    """How a run executes its tasks and what it keeps: the executor (this process, local
    worker processes or a Dask cluster), the result store (None: keep nothing), whether
    stored results are ignored (``--force``), the progress bar and the log."""

    executor: Executor = field(default_factory=InProcess)
    store: ResultStore | None = None
    force: bool = False
    progress: GradingProgress | None = None
    show_progress: bool = True
    log: Callable[[str], None] = print
    versions: dict[str, str] = field(default_factory=dict)  # lesson -> lesson_version
    reused: int = 0  # submissions whose stored result was used
    ran: int = 0  # notebooks run in a sandbox
    failed: int = 0  # of those: stopped, timed out or not run
    store_results: bool = True  # False: --recompute (see readonly_paths)

    def stored(self, item: Submission) -> dict | None:
        if self.store is None or self.force or not item.sha256:
            return None
        version = self.versions.get(item.lesson, "")
        return self.store.get(item.student, item.lesson, item.sha256, version)

    def last_seconds(self, item: Submission) -> float | None:
        """The submission's sandbox time in its last run (also under ``--force``), or None."""
        return None if self.store is None else self.store.last_seconds(item.student, item.lesson)

    def keep(self, item: Submission, **fields) -> None:
        if self.store is not None and item.sha256:
            version = self.versions.get(item.lesson, "")
            self.store.put(item.student, item.lesson, item.sha256, version, **fields)

    def advance(self, failed: bool) -> None:
        self.ran += 1
        self.failed += bool(failed)
        if self.progress is not None:
            self.progress.advance(failed)


def longest_first(items: list, last_seconds: Callable[[Any], float | None]) -> list:
    """``items`` in the order to start them: the longest by their last run first.

    With several jobs, a long task started last (a notebook stopped by the time limit)
    keeps one core busy while the others idle; started first, it runs beside the rest.
    Items never run before count as the median of those that were; the order is
    otherwise kept."""
    seconds = [last_seconds(item) for item in items]
    known = sorted(s for s in seconds if s is not None)
    typical = known[len(known) // 2] if known else 0.0
    order = sorted(
        range(len(items)), key=lambda i: -(typical if seconds[i] is None else seconds[i])
    )
    return [items[i] for i in order]


def lesson_files(lesson: str) -> list[Path]:
    return [SOLUTIONS / lesson / f"{lesson}.ipynb", LESSONS / lesson / f"{lesson}.ipynb"]


def _stored_reasons(entry: dict | None, spec: LessonSpec) -> dict[str, tuple] | None:
    """Points and reasons of a stored, scored entry, if it covers every exercise."""
    reasons = (entry or {}).get("reasons")
    if not isinstance(reasons, dict):
        return None
    out = {}
    for exercise in spec.exercises:
        value = reasons.get(exercise.grade_id)
        if not (isinstance(value, list) and len(value) == 3):
            return None
        out[exercise.grade_id] = (float(value[0]), str(value[1]), str(value[2]))
    return out


def grade_lesson(
    lesson: str,
    items: list[Submission],
    workdir: Path,
    limits: Limits,
    reference_limits: Limits,
    context: Context | None = None,
) -> tuple[list[Row], list[float], float, list[str]]:
    """Rows for every submission of one lesson; also seconds per submission, the
    reference run's seconds and setup errors."""
    context = context or Context()
    log = context.log
    solution = SOLUTIONS / lesson / f"{lesson}.ipynb"
    spec = lesson_spec(solution)
    readonly, env = readonly_paths(context.store_results)
    rows: list[Row] = []
    gradable = []
    for item in items:
        if item.problem:
            rows += _rows(item, spec, {})
            continue
        reasons = _stored_reasons(context.stored(item), spec)
        if reasons is None:
            gradable.append(item)
        else:  # graded before, unchanged, everything scored: nothing to run
            rows += _rows(item, spec, reasons)
            context.reused += 1
    if not gradable:
        return rows, [], 0.0, []
    template = None
    if compiles_models(lesson) or (context.store_results and stores_results(lesson)):
        start = time.monotonic()
        template = workdir / "caches" / lesson
        if warm_caches(
            LESSONS / lesson / f"{lesson}.ipynb",
            template,
            reference_limits,
            workdir,
            readonly,
            env,
        ):
            log(f"{lesson}: caches from the lesson as handed out, {_since(start)}")
        else:
            template = None
    try:
        return _grade_with_reference(
            spec, solution, gradable, rows, workdir, limits, reference_limits, template, context
        )
    finally:
        if template is not None:
            remove_tree(template)


def _failed(result: dict) -> bool:
    """Whether a notebook's run failed as a run: the sandbox, a time or output limit."""
    documents = (result.get("exercises") or {}).values()
    return bool(
        result.get("sandbox_error")
        or result.get("stopped")
        or result.get("timed_out_cells")
        or any(isinstance(d, dict) and ("timeout" in d or "stopped" in d) for d in documents)
    )


def _grade_with_reference(
    spec, solution, gradable, rows, workdir, limits, reference_limits, template, context
):
    """grade_lesson's reference run, every submission, the judged checks and the rows."""
    lesson = spec.lesson
    log = context.log
    readonly, env = readonly_paths(context.store_results)
    timings: list[float] = []
    with ReferenceRun(
        spec, solution, reference_limits, workdir, readonly, env, template
    ) as reference:
        try:
            reference.run()
        except ReferenceError as err:
            message = scoring.sanitize(f"not graded: {err}")
            for item in gradable:
                rows += _rows(item, spec, {e.grade_id: (0.0, message) for e in spec.exercises})
            return rows, [], 0.0, [str(err)]
        log(f"{lesson}: reference run of the solution {reference.seconds:.1f} s")
        judged, errors = _judge(spec, reference, [])
        problems = self_check(spec, reference, judged) + errors
        if problems:
            message = scoring.sanitize("not graded: the solution fails its own hidden tests")
            for item in gradable:
                rows += _rows(item, spec, {e.grade_id: (0.0, message) for e in spec.exercises})
            return rows, [], reference.seconds, [f"{lesson}: {p}" for p in problems]
        results: dict[int, dict] = {}
        pending = []
        points_digest = hashlib.sha256(
            json.dumps(reference.points, sort_keys=True).encode()
        ).hexdigest()
        for item in gradable:
            entry = context.stored(item)
            if (
                entry
                and isinstance(entry.get("result"), dict)  # run before, not scored
                and entry.get("points") == points_digest  # at the same model points
            ):
                results[id(item)] = entry["result"]
                context.reused += 1
            else:
                pending.append(item)
        common = {
            "spec": spec.as_dict(),
            "points": reference.points,
            "limits": limits.as_dict(),
            "workdir": str(workdir),
            "readonly": [str(p) for p in readonly],
            "env": env,
            "template": str(template) if template else None,
            "code_version": code_version(),
        }
        pending = longest_first(pending, context.last_seconds)
        tasks = [{**common, "notebook": str(item.snapshot)} for item in pending]

        def done(index: int, result: dict) -> None:
            item = pending[index]
            if "sandbox_error" in result:
                result = {"sandbox_error": f"{item.student}/{lesson}: {result['sandbox_error']}"}
            else:
                # an interrupted run resumes from here
                context.keep(item, result=result, points=points_digest)
            results[id(item)] = result
            if "seconds" in result:
                timings.append(result["seconds"])
            context.advance(_failed(result))

        context.executor.map(tasks, done)
        judged, errors = _judge(spec, reference, [*results.values()])
        judged_fully = not errors
        for item in gradable:
            result = results[id(item)]
            if "sandbox_error" in result:
                errors.append(result["sandbox_error"])
                message = "not graded: the grader failed on this notebook (see its output)"
                rows += _rows(item, spec, {e.grade_id: (0.0, message) for e in spec.exercises})
                continue
            reasons = {}
            for exercise in spec.exercises:
                document = result["exercises"].get(exercise.grade_id, {"no_result": "not run"})
                expected = reference.expected[exercise.grade_id]
                points, reason = scoring.verdict(
                    exercise,
                    expected,
                    document,
                    judged.get(exercise.grade_id, {}),
                    result["answers"].get(exercise.grade_id),
                )
                labels = [p.label for p in exercise.probes]
                shown = redact(reason, hidden_numbers(expected), labels)
                reasons[exercise.grade_id] = (points, reason, shown)
            if judged_fully:
                context.keep(item, reasons={k: list(v) for k, v in reasons.items()})
            rows += _rows(item, spec, reasons)
    return rows, timings, reference.seconds, errors


def compiles_models(lesson: str) -> bool:
    """Whether a lesson fits PyMC or Bambi models, whose compiled code is worth caching."""
    return any(f"import {name}" in _code(lesson) for name in ("pymc", "bambi", "nutpie"))


def stores_results(lesson: str) -> bool:
    """Whether a lesson calls a course_utils function whose results are stored while
    grading (``course_utils.result_cache``): a bootstrap, a profile, an exact grid."""
    from course_utils import glmm, tutoring_posterior  # noqa: F401 (they fill REGISTERED)

    code = _code(lesson)
    return any(re.search(rf"\b{name}\(", code) for name in result_cache.REGISTERED)


def _code(lesson: str) -> str:
    notebook = nbformat.read(LESSONS / lesson / f"{lesson}.ipynb", as_version=4)
    return "\n".join(c.source for c in notebook.cells if c.cell_type == "code")


def _since(start: float) -> str:
    return f"{time.monotonic() - start:.1f} s"


def _judge(spec: LessonSpec, reference: ReferenceRun, results: list[dict]):
    """Run the trusted ``through`` checks on every number students gave and on the
    solution's own; {grade_id: {probe_index: {repr(x): output}}}, and errors."""
    judged: dict[str, dict[int, dict]] = {}
    errors: list[str] = []
    for exercise in spec.exercises:
        for index, probe in enumerate(exercise.probes):
            if not probe.through:
                continue
            numbers = set()
            documents = [r.get("exercises", {}).get(exercise.grade_id, {}) for r in results]
            documents.append({"observations": reference.observations[exercise.grade_id]})
            for document in documents:
                observations = document.get("observations") or []
                if index < len(observations) and isinstance(observations[index], dict):
                    number = scoring.through_input(observations[index])
                    if number is not None:
                        numbers.add(number)
            ordered = sorted(numbers)
            try:
                outputs = reference.judge(exercise.grade_id, index, ordered) if ordered else []
            except ReferenceError as err:
                errors.append(str(err))
                outputs = [{"error": {"type": "ReferenceError", "message": "not run"}}] * len(
                    ordered
                )
            judged.setdefault(exercise.grade_id, {})[index] = {
                repr(x): out for x, out in zip(ordered, outputs, strict=False)
            }
    return judged, errors


def self_check(spec: LessonSpec, reference: ReferenceRun, judged: dict) -> list[str]:
    """The solution must pass its own hidden tests: the reasons where it does not."""
    problems = []
    for exercise in spec.exercises:
        document = {"observations": reference.observations[exercise.grade_id]}
        points, reason = scoring.verdict(
            exercise,
            reference.expected[exercise.grade_id],
            document,
            judged.get(exercise.grade_id),
        )
        if points != exercise.points:
            problems.append(f"{exercise.grade_id}: {reason}")
    return problems


def grade(
    submissions: Path,
    workdir: Path,
    limits: Limits,
    reference_limits: Limits | None = None,
    context: Context | None = None,
) -> Report:
    """Grade every submission below ``submissions``; the CSV's rows and what was timed."""
    context = context or Context()
    reference_limits = reference_limits or Limits(
        cell_timeout=max(limits.cell_timeout, 1800),
        notebook_timeout=max(limits.notebook_timeout, 3600),
        max_output_bytes=max(limits.max_output_bytes, 256 * 2**20),
    )
    check_sandbox()
    prepare_workdir(workdir)
    lessons = lesson_names()
    items = find_submissions(submissions, lessons, workdir / "snapshot")
    for lesson in sorted({i.lesson for i in items}):
        context.versions[lesson] = lesson_version(lesson_files(lesson), limits.as_dict())
    to_run = [i for i in items if not i.problem and "reasons" not in (context.stored(i) or {})]
    rows: list[Row] = []
    report = Report(rows, {}, {}, [], items)
    progress = GradingProgress(len(to_run), enabled=context.show_progress)
    with progress:
        context.progress, log = progress, context.log
        context.log = progress.log if log is print else log
        try:
            for lesson in lessons:
                lesson_items = [i for i in items if i.lesson == lesson]
                if not lesson_items:
                    continue
                try:
                    lesson_rows, timings, seconds, errors = grade_lesson(
                        lesson, lesson_items, workdir, limits, reference_limits, context
                    )
                except SpecError as err:
                    report.errors.append(f"{lesson}: {err}")
                    continue
                rows += lesson_rows
                report.timings[lesson] = timings
                report.reference_seconds[lesson] = seconds
                report.errors += errors
        finally:
            context.log = log
    _flag_changed(items, rows)
    report.rows = sorted(rows, key=lambda r: (r.student, r.lesson, r.exercise))
    return report


def _flag_changed(items: list[Submission], rows: list[Row]) -> None:
    """Flag (in place) the rows of submissions whose original file changed meanwhile."""
    changed = {}
    for item in items:
        if item.snapshot is not None and sha256_of(item.original) != item.sha256:
            name = display_name(item.original.name)
            changed[(item.student, item.lesson)] = (
                f"flagged: {name} changed during grading; graded as it was at the start"
            )
    for index, row in enumerate(rows):
        flag = changed.get((row.student, row.lesson))
        if flag:
            reason = f"{flag}; {row.reason}" if row.reason else flag
            shown = f"{flag}; {row.student_reason}" if row.student_reason else flag
            rows[index] = Row(
                row.student, row.lesson, row.exercise, row.points, row.max_points, reason, shown
            )


def main_run(
    submissions: Path,
    output: Path,
    workdir: Path,
    limits: Limits,
    jobs: int = 1,
    scheduler: str | None = None,
    force: bool = False,
    results: Path | None = None,
    progress: bool = True,
    feedback: Path | None = None,
    recompute: bool = False,
) -> int:
    """The command's body: grade, write the CSV, the feedback pages and the class report,
    print a summary; the exit code.

    ``results``: the folder of stored results (default: ``<CSV name>.results`` beside it);
    ``feedback``: the folder of the students' pages (default: ``feedback`` beside it); the
    class report goes beside the CSV (``<CSV name>.report.csv`` and ``.png``);
    ``recompute``: no stored course_utils results (see :func:`readonly_paths`)."""
    start = time.monotonic()
    store = ResultStore(results or output.parent / f"{output.stem}.results")
    try:
        with executor(jobs, scheduler) as runner:
            context = Context(
                executor=runner,
                store=store,
                force=force,
                show_progress=progress,
                store_results=not recompute,
            )
            report = grade(submissions, workdir, limits, context=context)
    except (SandboxError, ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            f"interrupted: the results of the notebooks that finished are kept in "
            f"{store.folder}; the same command resumes from there (no CSV written)",
            file=sys.stderr,
        )
        return 130
    write_csv(report.rows, output)
    feedback = feedback or output.parent / "feedback"
    answer_ids = {}
    for lesson in sorted({i.lesson for i in report.items}):
        try:
            spec = lesson_spec(SOLUTIONS / lesson / f"{lesson}.ipynb")
        except SpecError:
            continue
        answer_ids[lesson] = {e.grade_id: e.answer_id for e in spec.exercises}
    pages = write_pages(report, feedback, answer_ids)
    stem = output.parent / output.stem
    write_class_report(report.rows, Path(f"{stem}.report.csv"), Path(f"{stem}.report.png"))
    earned = sum(r.points for r in report.rows)
    possible = sum(r.max_points for r in report.rows)
    students = len({r.student for r in report.rows})
    where = f"on {scheduler}" if scheduler else f"{max(jobs, 1)} job{'s' * (jobs > 1)}"
    print(
        f"graded {students} students: {earned:g} of {possible:g} points; "
        f"{context.ran} notebooks run ({where}), {context.failed} stopped or failed, "
        f"{context.reused} reused from {store.folder.name}; wrote {output}, {pages} "
        f"feedback pages in {feedback} and the class report {stem.name}.report.csv/.png "
        f"({time.monotonic() - start:.0f} s)"
    )
    for problem in report.errors:
        print(f"error: {problem}", file=sys.stderr)
    shutil.rmtree(workdir / "sandboxes", ignore_errors=True)
    return 1 if report.errors else 0
