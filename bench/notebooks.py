"""The *notebooks* and *course* sections: every lesson and solution notebook top to bottom
in a fresh kernel (cold, then warm), and the whole course in order from one empty cache."""

from __future__ import annotations

import argparse
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import (
    ROOT,
    at_most,
    cache_env,
    fill,
    fmt_range,
    log,
    markdown_table,
    measured,
    ok,
    records,
    run_worker,
    single,
    summarize,
)
from tools.notebooks import ipc_client

#: Targets of issue 22 (issue 8 had 60 s and 600 s).
TARGET_NOTEBOOK_WARM_S = 30.0
TARGET_COURSE_COLD_S = 300.0
NOTEBOOK_CELL_TIMEOUT_S = 300  # the slowest cell takes about 80 s cold


def notebook_paths() -> list[Path]:
    """Every lesson and solution notebook, lessons first, in lesson order."""
    return [
        path
        for folder in ("lessons", "solutions")
        for path in sorted((ROOT / folder).glob("[0-9][0-9]_*/*.ipynb"))
    ]


def selected_notebooks(args: argparse.Namespace) -> list[Path]:
    """The notebooks to measure: all, or those whose path contains one of ``--notebooks``."""
    paths = notebook_paths()
    if args.notebooks:
        paths = [p for p in paths if any(key in str(p) for key in args.notebooks)]
    return paths


def worker_notebook(path: str, timeout: int) -> dict:
    """Run one notebook top to bottom in a fresh kernel (errors allowed); time, peak RSS."""
    import nbformat
    import psutil

    notebook_path = Path(path)
    notebook = nbformat.read(notebook_path, as_version=4)
    me = psutil.Process()
    peak = [0]
    stop = threading.Event()

    def poll() -> None:
        while not stop.is_set():
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            peak[0] = max(peak[0], total)
            stop.wait(0.1)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    start = time.perf_counter()
    try:
        with ipc_client(notebook, notebook_path.parent, timeout, prefix="bench-kernel-") as client:
            client.execute()
    finally:
        wall = time.perf_counter() - start
        stop.set()
        watcher.join()
    errors = [
        output.get("ename", "?")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    return {
        "wall_s": wall,
        "peak_rss_mb": peak[0] / 1024**2,
        "error_cells": len(errors),
        "errors": sorted(set(errors)),
        "code_cells": sum(cell.cell_type == "code" for cell in notebook.cells),
        "cell_s": cell_seconds(notebook),
    }


def cell_seconds(notebook) -> dict[str, float]:
    """Seconds each executed code cell took, by its index in the notebook, from the timing
    nbclient records in the cell's metadata (execute_input to execute_reply)."""
    import datetime

    seconds = {}
    for index, cell in enumerate(notebook.cells):
        timing = cell.get("metadata", {}).get("execution", {})
        start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
        if cell.cell_type == "code" and start and end:
            start_t = datetime.datetime.fromisoformat(start.replace("Z", "+00:00"))
            end_t = datetime.datetime.fromisoformat(end.replace("Z", "+00:00"))
            seconds[str(index)] = (end_t - start_t).total_seconds()
    return seconds


def slowest_cells(run: dict, count: int = 3) -> str:
    """'cell 44: 12 s, ...': the ``count`` slowest cells of a run (results older than the
    per-cell timing have none: a dash)."""
    cells = sorted(run.get("cell_s", {}).items(), key=lambda item: -item[1])[:count]
    return ", ".join(f"{index}: {seconds:.1f}" for index, seconds in cells) or "-"


def run_notebook_worker(path: Path, cache: Path, timeout: float) -> dict:
    """One notebook in a fresh worker; once more if its kernel failed to start or a cell
    timed out (a hung kernel connection, seen twice), marked ``retried``."""
    cell_timeout = min(timeout, NOTEBOOK_CELL_TIMEOUT_S)
    arguments = ["worker-notebook", str(path), "--timeout", str(int(cell_timeout))]
    result = run_worker(arguments, cache_env(cache), timeout * 4)
    if "error" in result and any(
        word in result["error"].lower() for word in ("kernel", "timeout", "timed out")
    ):
        log(f"{path.name}: kernel failure or timeout ({result['error'][:120]}); retrying")
        result = {**run_worker(arguments, cache_env(cache), timeout * 4), "retried": True}
    return result


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """Each notebook cold (fresh caches) and then warm ``repeats`` times, in fresh kernels."""
    paths = selected_notebooks(args)
    results = {}
    for path in paths:
        label = str(path.relative_to(ROOT))
        cache = scratch / ("nb-" + label.replace("/", "-"))
        runs = []
        for repeat in range(args.notebook_repeats + 1):
            result = run_notebook_worker(path, cache, args.timeout)
            result["cold"] = repeat == 0
            runs.append(result)
            log(f"{label} {'cold' if repeat == 0 else 'warm'}: {result}")
        results[label] = runs
        shutil.rmtree(cache, ignore_errors=True)
        save(results)
    return results


def measure_course(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """Every notebook once, in course order, each in a fresh kernel, all sharing one set
    of compile caches that starts empty: the whole course cold, as a clean CI run or an
    instructor preparing a term meets it."""
    paths = selected_notebooks(args)
    cache = scratch / "course"
    shutil.rmtree(cache, ignore_errors=True)
    results = {}
    for path in paths:
        label = str(path.relative_to(ROOT))
        results[label] = run_notebook_worker(path, cache, args.timeout)
        log(f"course, in order: {label}: {results[label]}")
        save(results)
    shutil.rmtree(cache, ignore_errors=True)
    return results


# ------------------------------------------------------------------------------ the report


def _cells_raised(run: dict) -> str:
    """'k of n' code cells of a notebook run that raised, with the exception names."""
    text = f"{run['error_cells']} of {run['code_cells']}"
    return text + (f" ({', '.join(run['errors'])})" if run["errors"] else "")


def notebook_rows(notebooks: dict) -> tuple[list[list], list[dict], dict]:
    """Markdown rows, CSV records and course totals of the notebooks section."""
    rows, recs = [], []
    cold_total, warm_worst = 0.0, (0.0, None)
    for label, runs in notebooks.items():
        good = [r for r in runs if "error" not in r]
        if not good:
            rows.append([label, "ERROR: " + runs[0]["error"][:80], "-", "-", "-", "-", "-"])
            continue
        cold = [r for r in good if r["cold"]]
        warm = [r for r in good if not r["cold"]]
        t_cold = summarize([r["wall_s"] for r in cold]) if cold else None
        t_warm = summarize([r["wall_s"] for r in warm]) if warm else None
        memory = summarize([r["peak_rss_mb"] for r in good])
        cold_total += t_cold["median"] if t_cold else 0.0
        if t_warm and t_warm["median"] > warm_worst[0]:
            warm_worst = (t_warm["median"], label)
        rows.append(
            [
                label,
                fmt_range(t_cold),
                fmt_range(t_warm),
                fmt_range(memory),
                _cells_raised(good[-1]),
                slowest_cells(good[-1]),
                ok(at_most(t_warm["median"], TARGET_NOTEBOOK_WARM_S)) if t_warm else "-",
            ]
        )
        recs += records(
            "notebooks",
            label,
            "-",
            {"wall_cold_s": t_cold, "wall_warm_s": t_warm, "peak_rss_mb": memory},
        )
    totals = {"cold_total_s": cold_total, "warm_worst": warm_worst}
    return rows, recs, totals


def course_rows(course: dict) -> tuple[list[list], list[dict], float]:
    """Markdown rows, CSV records and the total of the course-in-order section."""
    rows, recs, total = [], [], 0.0
    for label, result in course.items():
        if "error" in result:
            rows.append([label, "ERROR: " + result["error"][:80], "-", "-"])
            continue
        total += result["wall_s"]
        rows.append(
            [label, f"{result['wall_s']:.3g}", _cells_raised(result), slowest_cells(result)]
        )
        recs += records("course", label, "-", {"wall_s": single(result["wall_s"])})
    recs.append(
        {"section": "course", "item": "all", "config": "-", "metric": "wall_s", **single(total)}
    )
    return rows, recs, total


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The notebooks section's Markdown (bench/templates/notebooks.md) and CSV records."""
    rows, recs, totals = notebook_rows(section["data"])
    recs.append(
        {
            "section": "notebooks",
            "item": "all",
            "config": "-",
            "metric": "cold_total_s",
            **single(totals["cold_total_s"]),
        }
    )
    table = markdown_table(
        [
            "notebook",
            "cold (s)",
            "warm (s)",
            "peak RSS (MB)",
            "cells that raised",
            "slowest cells, last run (index: s)",
            f"warm <= {TARGET_NOTEBOOK_WARM_S:.0f} s",
        ],
        rows,
    )
    text = fill(
        "notebooks",
        measured=measured(section),
        repeats=section["repeats"],
        table=table,
        cold_total=f"{totals['cold_total_s']:.0f}",
        target=f"{TARGET_COURSE_COLD_S:.0f}",
        verdict=ok(totals["cold_total_s"] <= TARGET_COURSE_COLD_S),
        warm_worst_label=totals["warm_worst"][1],
        warm_worst=f"{totals['warm_worst'][0]:.0f}",
    )
    return text, recs


def report_course(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The course section's Markdown (bench/templates/course.md) and CSV records."""
    rows, recs, total = course_rows(section["data"])
    text = fill(
        "course",
        measured=measured(section),
        table=markdown_table(
            ["notebook", "wall (s)", "cells that raised", "slowest cells (index: s)"], rows
        ),
        total=f"{total:.0f}",
        target=f"{TARGET_COURSE_COLD_S:.0f}",
        verdict=ok(total <= TARGET_COURSE_COLD_S),
    )
    return text, recs
