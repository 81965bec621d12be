"""One notebook run in a sandbox: its cells, with probe cells in place of its check cells.

``grade_submission`` is the unit of work for one student's notebook: plain inputs (the
lesson's spec as a dict, the points of model comparisons, the path of a read-only copy of
the notebook, the limits) and a plain result (what each probe returned, or why it could
not run). It can be sent to another process or machine as is.

``ReferenceRun`` runs the solution notebook the same way, in its own sandbox, and keeps
its kernel for ``judge`` requests (``through=`` checks) until it is closed.
"""

from __future__ import annotations

import json
import secrets
import uuid
from pathlib import Path

import nbformat

from tools.grading import harness
from tools.grading.plain import PlainError, load_document
from tools.grading.sandbox import CellResult, KernelSandbox, Limits, SandboxError
from tools.grading.spec import LessonSpec

HARNESS_SOURCE = Path(harness.__file__).read_text()


def probe_cell(spec: dict) -> str:
    """The code of a probe cell: run the harness on ``spec`` in the notebook's kernel."""
    return (
        "__grading = {'__name__': '__grading__'}\n"
        f"exec(compile({HARNESS_SOURCE!r}, '<grading harness>', 'exec'), __grading)\n"
        f"__grading['main']({json.dumps(spec)!r}, globals())\n"
        "del __grading\n"
    )


def read_result(result: CellResult, nonce: str) -> tuple[dict | None, str]:
    """The harness's document from a probe cell's outputs, or None and why not."""
    for output in reversed(result.outputs):
        data = output.get("data") or {}
        if output.get("output_type") != "display_data" or harness.MIME not in data:
            continue
        try:
            document = load_document(data[harness.MIME])
        except PlainError as err:
            return None, f"its result could not be read ({err})"
        if document.get("nonce") == nonce:
            return document, ""
    if result.status == "error":
        return None, f"the check could not run: {result.error}"
    return None, "the check could not run (no result)"


def plan(notebook: nbformat.NotebookNode, spec: LessonSpec) -> list[tuple]:
    """The run order: ``("code", source, cell_number, grade_id)`` for the notebook's code
    cells (its check cells left out) and ``("probe", exercise_index)`` for each exercise.

    An exercise's probes go where its check cell is, if that comes after its answer cell;
    else right after the answer cell; else (no answer cell found) at the end."""
    by_check = {e.grade_id: i for i, e in enumerate(spec.exercises)}
    by_answer = {e.answer_id: i for i, e in enumerate(spec.exercises) if e.answer_id}
    items: list[tuple] = []
    after_answer: dict[int, int] = {}
    at_check: dict[int, int] = {}
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader")
        grade_id = str(meta.get("grade_id", "")) if isinstance(meta, dict) else ""
        if grade_id in by_check:
            exercise = by_check[grade_id]
            if exercise in after_answer and exercise not in at_check:
                at_check[exercise] = len(items)
            continue
        items.append(("code", cell.source, number, grade_id))
        if grade_id in by_answer and by_answer[grade_id] not in after_answer:
            after_answer[by_answer[grade_id]] = len(items)
    positions = {
        i: at_check.get(i, after_answer.get(i, len(items))) for i in range(len(spec.exercises))
    }
    ordered: list[tuple] = []
    for index, item in enumerate([*items, None]):
        ordered += [("probe", i) for i in sorted(positions) if positions[i] == index]
        if item is not None:
            ordered.append(item)
    return ordered


def student_probe_specs(spec: LessonSpec, points: dict[str, list]) -> list[dict]:
    """What the sandbox gets for each exercise: the student side only (no expected value).

    ``points[grade_id][probe_index]``: the points at which model checks are evaluated."""
    specs = []
    for exercise in spec.exercises:
        probes = []
        for index, probe in enumerate(exercise.probes):
            entry = {"check": probe.check, "actual": probe.actual}
            if probe.check == "check_same_model":
                entry["points"] = points.get(exercise.grade_id, {}).get(str(index), [])
            probes.append(entry)
        specs.append({"mode": "student", "setup": exercise.student_setup, "probes": probes})
    return specs


def _sandbox(
    workdir: Path, limits: Limits, notebook: Path, readonly, env, home_template=None
) -> KernelSandbox:
    scratch = Path(workdir) / "sandboxes" / uuid.uuid4().hex
    return KernelSandbox(
        scratch,
        limits,
        readonly=readonly,
        files={notebook.name: notebook},
        env=env,
        home_template=home_template,
    )


def warm_caches(
    lesson_notebook: Path,
    destination: Path,
    limits: Limits,
    workdir: Path,
    readonly: list[Path],
    env: dict | None = None,
) -> bool:
    """Run a lesson as handed out (public code, no answers) and keep its compile caches and
    course_utils's stored results (``course_utils.result_cache``) in ``destination``: every
    other run of the lesson starts from a copy of them instead of compiling each model and
    computing each slow result again. False when the run did not finish."""
    notebook = nbformat.read(lesson_notebook, as_version=4)
    with _sandbox(workdir, limits, Path(lesson_notebook), readonly, env) as sandbox:
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader")
            if cell.cell_type != "code" or (isinstance(meta, dict) and meta.get("grade")):
                continue
            if sandbox.run_cell(cell.source).status == "stopped":
                return False
        sandbox.save_caches(destination)
    return True


def _run_plan(
    sandbox: KernelSandbox, notebook: nbformat.NotebookNode, spec: LessonSpec, probes: list[dict]
) -> dict:
    """Run the planned cells; collect per exercise the harness's document or a reason."""
    answer_ids = {e.answer_id: e.grade_id for e in spec.exercises if e.answer_id}
    exercises: dict[str, dict] = {}
    answers: dict[str, dict] = {}
    timeouts: list[int] = []
    for item in plan(notebook, spec):
        if item[0] == "code":
            _, source, number, grade_id = item
            result = sandbox.run_cell(source)
            if result.status == "timeout":
                timeouts.append(number)
            if grade_id in answer_ids:
                answers[answer_ids[grade_id]] = {"status": result.status, "error": result.error}
            continue
        exercise = spec.exercises[item[1]]
        nonce = secrets.token_hex(8)
        result = sandbox.run_cell(
            probe_cell({**probes[item[1]], "nonce": nonce}), store_history=False, keep_outputs=True
        )
        if result.status == "stopped":
            exercises[exercise.grade_id] = {"stopped": result.error}
            continue
        document, problem = read_result(result, nonce)
        if document is None:
            if result.status == "timeout":
                problem = result.error
            exercises[exercise.grade_id] = {"no_result": problem}
        else:
            document.pop("nonce", None)
            if result.status == "timeout":
                document["timeout"] = result.error
            exercises[exercise.grade_id] = document
    return {
        "exercises": exercises,
        "answers": answers,
        "timed_out_cells": timeouts,
        "stopped": sandbox.stopped,
        "output_bytes": sandbox.output_bytes,
    }


def grade_submission(
    spec: dict,
    points: dict,
    notebook_path: str,
    limits: dict,
    workdir: str,
    readonly: list[str],
    env: dict | None = None,
    home_template: str | None = None,
) -> dict:
    """Run one student's notebook with the lesson's probes; plain data in, plain data out.

    Returns ``{"exercises": {grade_id: document or {"stopped"|"no_result": reason}},
    "answers": {grade_id: how its answer cell ended}, "timed_out_cells": [...],
    "stopped": reason or "", "seconds": ...}``, or ``{"sandbox_error": text}`` when the
    sandbox could not start (a problem of the machine, not of the notebook)."""
    import time

    lesson = LessonSpec.from_dict(spec)
    path = Path(notebook_path)
    notebook = nbformat.read(path, as_version=4)
    start = time.monotonic()
    try:
        box = _sandbox(Path(workdir), Limits(**limits), path, readonly, env, home_template)
        with box as sandbox:
            result = _run_plan(sandbox, notebook, lesson, student_probe_specs(lesson, points))
    except SandboxError as err:
        return {"sandbox_error": str(err)}
    result["seconds"] = time.monotonic() - start
    return result


class ReferenceError(RuntimeError):
    """The solution notebook could not be run or fails its own hidden tests."""


class ReferenceRun:
    """The solution notebook run in a sandbox with the trusted side of every probe.

    After ``run()``, ``expected[grade_id]`` holds per probe the trusted values (plain
    data) and ``points`` the points of model comparisons; the kernel stays up for
    ``judge`` until ``close()``."""

    def __init__(
        self,
        spec: LessonSpec,
        solution: Path,
        limits: Limits,
        workdir: Path,
        readonly: list[Path],
        env: dict | None = None,
        home_template: Path | None = None,
    ) -> None:
        self.spec, self.solution, self.limits = spec, Path(solution), limits
        self.sandbox = _sandbox(workdir, limits, self.solution, readonly, env, home_template)
        self.expected: dict[str, list[dict]] = {}
        self.observations: dict[str, list[dict]] = {}
        self.points: dict[str, dict[str, list]] = {}
        self.seconds = 0.0

    def __enter__(self) -> ReferenceRun:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.sandbox.close()

    def run(self) -> None:
        import time

        start = time.monotonic()
        try:
            self.sandbox.start()
        except SandboxError as err:
            raise ReferenceError(f"the sandbox did not start: {err}") from err
        probes = [
            {
                "mode": "reference",
                "trusted_setup": e.trusted_setup,
                "student_setup": e.student_setup,
                "probes": [
                    {"check": p.check, "actual": p.actual, "trusted": p.trusted} for p in e.probes
                ],
            }
            for e in self.spec.exercises
        ]
        notebook = nbformat.read(self.solution, as_version=4)
        result = _run_plan(self.sandbox, notebook, self.spec, probes)
        problems = []
        for exercise in self.spec.exercises:
            document = result["exercises"].get(exercise.grade_id, {})
            if "expected" not in document:
                reason = document.get("stopped") or document.get("no_result") or "not run"
                problems.append(f"{exercise.grade_id}: {reason}")
                continue
            self.expected[exercise.grade_id] = document["expected"]
            self.observations[exercise.grade_id] = document["observations"]
            self.points[exercise.grade_id] = {
                str(i): values["points"]
                for i, values in enumerate(document["expected"])
                if "points" in values
            }
        self.seconds = time.monotonic() - start
        if problems:
            raise ReferenceError(
                f"the solution of {self.spec.lesson} did not run its hidden tests: "
                + "; ".join(problems)
            )

    def judge(self, grade_id: str, probe_index: int, inputs: list[float]) -> list[dict]:
        """The trusted ``through`` function of one probe applied to students' numbers."""
        exercise = next(e for e in self.spec.exercises if e.grade_id == grade_id)
        probe = exercise.probes[probe_index]
        self.sandbox.restart_clock()
        nonce = secrets.token_hex(8)
        spec = {
            "mode": "judge",
            "trusted_setup": exercise.trusted_setup,
            "through": probe.through,
            "inputs": [float(x) for x in inputs],
            "nonce": nonce,
        }
        result = self.sandbox.run_cell(probe_cell(spec), store_history=False, keep_outputs=True)
        document, problem = read_result(result, nonce)
        if document is None or not isinstance(document.get("outputs"), list):
            raise ReferenceError(f"{grade_id}: the trusted check could not run: {problem}")
        return document["outputs"]
