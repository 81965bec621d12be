"""Where grading tasks run: in this process, in a pool of local worker processes, or on a
Dask distributed cluster.

A task is one student x lesson: a plain dict (the lesson's spec, the model-comparison
points, the snapshot's path or bytes, the limits) handed to :func:`run_task`, which runs
the notebook in its sandbox on whatever machine executes it and returns plain data (the
probes' observations). Nothing is decided there: points are computed from that data in
the grader's process (``scoring``), so a worker runs no less trusted code than the grader
and a student's code runs only inside the sandbox, as in a one-job run.

Workers of a Dask cluster must run the same commit in the same environment: each task
carries :func:`code_version` and a worker whose code differs refuses it.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import multiprocessing
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent


def default_jobs() -> int:
    """The number of cores this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def code_version() -> str:
    """SHA-256 (first 16 hex digits) of the grader's and course_utils's Python sources:
    what decides a result besides the lesson, the solution and the limits."""
    import course_utils

    digest = hashlib.sha256()
    folders = [PACKAGE, Path(course_utils.__file__).resolve().parent]
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
            digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def run_task(task: dict) -> dict:
    """Grade one submission where this function runs; plain data in and out.

    ``task`` holds ``spec``, ``points``, ``limits``, ``env``, ``code_version`` and either
    ``notebook`` (a read-only snapshot on this machine, with ``workdir``, ``readonly`` and
    ``template``) or ``notebook_bytes`` and ``name`` (sent over the network: written to a
    private read-only copy in a temporary folder of this machine, removed afterwards)."""
    from tools.grading import runner

    if task.get("code_version") != code_version():
        return {
            "sandbox_error": "the worker runs other code than the grader "
            "(start workers from the same commit and environment)"
        }
    own = None
    try:
        if "notebook_bytes" in task:
            from tools.grading.grader import readonly_paths

            own = Path(tempfile.mkdtemp(prefix="bayes-grading-task-"))
            notebook = own / "snapshot" / Path(task["name"]).name
            notebook.parent.mkdir()
            notebook.write_bytes(task["notebook_bytes"])
            notebook.chmod(0o444)
            notebook.parent.chmod(0o555)
            workdir = own
            readonly = [str(p) for p in readonly_paths()[0]]
            template = task.get("template")
            if not (template and Path(template).is_dir()):
                template = None  # compile caches live on the grader's machine only
        else:
            notebook, workdir = Path(task["notebook"]), Path(task["workdir"])
            readonly, template = task["readonly"], task.get("template")
        return runner.grade_submission(
            task["spec"],
            task["points"],
            str(notebook),
            task["limits"],
            str(workdir),
            readonly,
            task.get("env") or {},
            template,
        )
    finally:
        if own is not None:
            for folder in [own, *own.rglob("*")]:
                if folder.is_dir():
                    folder.chmod(0o700)
            shutil.rmtree(own, ignore_errors=True)


Done = Callable[[int, dict], None]


class Executor:
    """Runs tasks and reports each result as it arrives: ``map(tasks, done)`` calls
    ``done(index, result)`` in this process, in completion order."""

    def map(self, tasks: list[dict], done: Done) -> None:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _failed(err: BaseException) -> dict:
    return {"sandbox_error": f"{type(err).__name__}: {err}"}


class InProcess(Executor):
    """One task after the other in this process (``--jobs 1``)."""

    def map(self, tasks: list[dict], done: Done) -> None:
        for index, task in enumerate(tasks):
            try:
                result = run_task(task)
            except Exception as err:  # a bug of the grader: report it, grade the others
                result = _failed(err)
            done(index, result)


class LocalPool(Executor):
    """``jobs`` worker processes on this machine (started fresh, not forked from the
    grader's threads), each running one sandboxed notebook at a time."""

    def __init__(self, jobs: int) -> None:
        self.pool = concurrent.futures.ProcessPoolExecutor(
            max_workers=jobs, mp_context=multiprocessing.get_context("spawn")
        )

    def map(self, tasks: list[dict], done: Done) -> None:
        futures = {self.pool.submit(run_task, task): i for i, task in enumerate(tasks)}
        try:
            for future in concurrent.futures.as_completed(futures):
                try:
                    result = future.result()
                except Exception as err:
                    result = _failed(err)
                done(futures[future], result)
        except BaseException:
            for future in futures:
                future.cancel()
            raise

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class DaskCluster(Executor):
    """The tasks on a running Dask distributed scheduler (``dask scheduler`` and ``dask
    worker`` processes started from this commit in this environment). The notebook is
    sent as bytes; each worker grades it in a sandbox of its own machine."""

    def __init__(self, address: str) -> None:
        from distributed import Client

        self.client = Client(address, timeout=30)

    def map(self, tasks: list[dict], done: Done) -> None:
        from distributed import as_completed

        futures = {}
        for index, task in enumerate(tasks):
            sent = {k: v for k, v in task.items() if k not in ("notebook", "workdir")}
            sent["name"] = Path(task["notebook"]).name
            sent["notebook_bytes"] = Path(task["notebook"]).read_bytes()
            future = self.client.submit(run_task, sent, pure=False, retries=1)
            futures[future.key] = (index, future)
        try:
            for future in as_completed([f for _, f in futures.values()]):
                index = futures[future.key][0]
                try:
                    result = future.result()
                except Exception as err:
                    result = _failed(err)
                done(index, result)
        except BaseException:
            self.client.cancel([f for _, f in futures.values()])
            raise

    def close(self) -> None:
        self.client.close()


def executor(jobs: int, scheduler: str | None = None) -> Executor:
    """The executor for ``--jobs`` / ``--scheduler``."""
    if scheduler:
        return DaskCluster(scheduler)
    return InProcess() if jobs <= 1 else LocalPool(jobs)
