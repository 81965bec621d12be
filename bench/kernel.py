"""The *kernel* section: what a student waits for inside a Jupyter kernel (issue 22).

For every course model: the first fit in a fresh kernel with empty compile caches (*cold*)
and after ``make setup``'s warm-up (*after setup*: tools/warm_caches.py run once into an
empty cache, as on a fresh clone), then repeated fits in the same kernel, each with a new
seed. Next to them, Stan's compile + first sampling call and its repeat calls, from the
*models* section of the same results. Then each sampler lesson's model cells (the cells the
warm-up runs, the lesson's own code, inline models included) in a fresh kernel after
setup, each cell timed, with the number of files it added to the compile caches: 0 means
everything it compiled came from the warm-up.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import models
from bench.common import (
    ROOT,
    at_most,
    cache_env,
    fill,
    fmt_range,
    load_average,
    log,
    markdown_table,
    measured,
    ok,
    ratio,
    records,
    run_worker,
    single,
    summarize,
)
from tools.notebooks import KERNEL_STARTUP_TIMEOUT_S

#: First fit after setup / Stan compile + first sampling call, at most (issue 22).
TARGET_FIRST_FIT_RATIO = 1 / 10
MARK = "BENCH-JSON "

# The lessons' first cell imports PyMC and course_utils (its models and data): so does this.
SETUP_CODE = """\
import json as _json, time as _time
_start = _time.perf_counter()
import pymc as pm
from course_utils import data, models
from bench.models import CASES as _CASES, build_pymc_model as _build
print({mark!r} + _json.dumps({{"import_s": _time.perf_counter() - _start}}))
"""

FIT_CODE = """\
_start = _time.perf_counter()
_idata = pm.sample(model=_build({model!r}), chains=4, tune={tune}, draws={draws},
                   random_seed={seed}, target_accept=_CASES[{model!r}].target_accept,
                   progressbar=False, quiet=True)
print({mark!r} + _json.dumps({{
    "fit_s": _time.perf_counter() - _start,
    "sampling_s": float(_idata.posterior.attrs.get("sampling_time", float("nan"))),
}}))
"""


def cache_folder() -> Path:
    """The folder holding this process's compile caches (set by :func:`cache_env`)."""
    import os

    if "NUMBA_CACHE_DIR" not in os.environ:
        raise RuntimeError("run through bench.common.cache_env: NUMBA_CACHE_DIR is not set")
    return Path(os.environ["NUMBA_CACHE_DIR"]).parent


def count_files(folder: Path) -> int:
    """Files under ``folder`` (0 if it does not exist): what a compile cache holds."""
    return sum(1 for path in folder.rglob("*") if path.is_file()) if folder.exists() else 0


class Kernel:
    """A fresh IPython kernel (IPC sockets in a private folder, cwd the repository, the
    environment of this process) that runs code and returns what it printed."""

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        self._sockets = Path(tempfile.mkdtemp(prefix="bench-kernel-"))
        self.manager = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(self._sockets / "k")
        )
        self.manager.start_kernel(cwd=str(ROOT))
        self.client = self.manager.client()
        self.client.start_channels()
        self.client.wait_for_ready(timeout=KERNEL_STARTUP_TIMEOUT_S)

    def run(self, code: str, timeout: float) -> tuple[str, list[str], float]:
        """Execute ``code``; (its stdout, its error names, wall seconds seen from here)."""
        out, errors = [], []

        def collect(message: dict) -> None:
            kind, content = message["msg_type"], message["content"]
            if kind == "stream" and content.get("name") == "stdout":
                out.append(content["text"])
            elif kind == "error":
                errors.append(f"{content['ename']}: {content['evalue'][:200]}")

        start = time.perf_counter()
        self.client.execute_interactive(code, timeout=timeout, output_hook=collect)
        return "".join(out), errors, time.perf_counter() - start

    def close(self) -> None:
        self.client.stop_channels()
        self.manager.shutdown_kernel(now=True)
        shutil.rmtree(self._sockets, ignore_errors=True)


def parse_marked(stdout: str) -> dict:
    """The JSON that a cell printed after :data:`MARK` (the last one)."""
    lines = [line[len(MARK) :] for line in stdout.splitlines() if line.startswith(MARK)]
    if not lines:
        raise ValueError(f"no {MARK.strip()} line in the cell's output: {stdout[-300:]!r}")
    return json.loads(lines[-1])


def worker_kernel_fits(model: str, draws: int, tune: int, seed: int, repeats: int) -> dict:
    """In a fresh kernel: imports, the first fit, then ``repeats`` fits with new seeds;
    and the files each step added to the compile caches of this process's environment."""
    cache = cache_folder()

    def files() -> int:
        return count_files(cache)

    kernel = Kernel()
    try:
        stdout, errors, _ = kernel.run(SETUP_CODE.format(mark=MARK), timeout=600)
        if errors:
            return {"error": "; ".join(errors)}
        result = {"import_s": parse_marked(stdout)["import_s"], "fits": []}
        for k in range(repeats + 1):
            before = files()
            code = FIT_CODE.format(model=model, tune=tune, draws=draws, seed=seed + k, mark=MARK)
            stdout, errors, wall = kernel.run(code, timeout=900)
            if errors:
                return {**result, "error": "; ".join(errors)}
            fit = parse_marked(stdout)
            result["fits"].append({**fit, "wall_s": wall, "new_cache_files": files() - before})
        result["load_average"] = load_average()
        return result
    finally:
        kernel.close()


def worker_kernel_lesson(path: str) -> dict:
    """In a fresh kernel: the warm-up's cells of one lesson notebook (its model cells and
    what they need), each timed, with the files each added to the compile caches."""
    import nbformat

    from tools import warm_caches

    cache = cache_folder()
    notebook = nbformat.read(path, as_version=4)
    numbered = [(i, c) for i, c in enumerate(notebook.cells) if c.cell_type == "code"]
    chosen = warm_caches.select_cells([warm_caches.python_source(c.source) for _, c in numbered])
    kernel = Kernel()
    cells = []
    try:
        kernel.run(f"import os; os.chdir({str(Path(path).resolve().parent)!r})", timeout=60)
        kernel.run("import matplotlib; matplotlib.use('Agg')", timeout=120)
        for k in chosen:
            index, cell = numbered[k]
            before = count_files(cache)
            _, errors, wall = kernel.run(cell.source, timeout=900)
            cells.append(
                {
                    "cell": index,
                    "fits": any(m in cell.source for m in warm_caches.MARKERS),
                    "first_line": cell.source.strip().splitlines()[0][:70],
                    "wall_s": wall,
                    "new_cache_files": count_files(cache) - before,
                    "errors": errors,
                }
            )
    finally:
        kernel.close()
    return {"cells": cells, "load_average": load_average()}


def run_warm_up(cache: Path, timeout: float) -> dict:
    """tools/warm_caches.py into ``cache`` (empty: a fresh clone's setup); its wall time."""
    env = cache_env(cache)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "tools.warm_caches"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return {
        "wall_s": time.perf_counter() - start,
        "exit_code": done.returncode,
        "output": done.stdout.strip().splitlines()[-4:],
        "cache_files": count_files(cache),
        "load_average": load_average(),
    }


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """Every course model in fresh kernels, cold and after setup; the lessons' model cells."""
    names = args.models or [case.name for case in models.MODEL_CASES]
    sizes = ["--draws", str(args.draws), "--tune", str(args.tune)]
    results: dict = {"warm_up": [], "models": {}, "lessons": {}}
    setup_cache = scratch / "kernel-after-setup"
    for repeat in range(args.repeats):
        shutil.rmtree(setup_cache, ignore_errors=True)
        results["warm_up"].append(run_warm_up(setup_cache, args.timeout * 4))
        log(f"warm-up into an empty cache: {results['warm_up'][-1]}")
        save(results)
        for name in names:
            case = models.CASES[name]
            entry = results["models"].setdefault(name, {"cold": [], "after_setup": []})
            cold_cache = scratch / f"kernel-cold-{name}"
            shutil.rmtree(cold_cache, ignore_errors=True)
            for state, cache in (("cold", cold_cache), ("after_setup", setup_cache)):
                arguments = [
                    "worker-kernel",
                    name,
                    *sizes,
                    "--seed",
                    str(case.seed + 10 * repeat),
                    "--repeats",
                    "2",
                ]
                result = run_worker(arguments, cache_env(cache), args.timeout)
                entry[state].append(result)
                log(f"kernel {name} {state}: {_brief(result)}")
            shutil.rmtree(cold_cache, ignore_errors=True)
            save(results)
        for path in sorted((ROOT / "solutions").glob("0[4-6]_*/*.ipynb")):
            label = str(path.relative_to(ROOT))
            result = run_worker(
                ["worker-kernel-lesson", str(path)], cache_env(setup_cache), args.timeout * 4
            )
            results["lessons"].setdefault(label, []).append(result)
            log(f"kernel lesson {label}: {result}")
            save(results)
    shutil.rmtree(setup_cache, ignore_errors=True)
    return results


def _brief(result: dict) -> str:
    if "error" in result:
        return "ERROR " + result["error"]
    fits = ", ".join(f"{f['fit_s']:.2f} s (+{f['new_cache_files']} files)" for f in result["fits"])
    return f"import {result['import_s']:.1f} s; fits {fits}"


# ------------------------------------------------------------------------------ the report


def _fits(runs: list[dict], which: str) -> dict | None:
    """Summary of the first fits (``which="first"``) or the repeated fits of good runs."""
    good = [r for r in runs if "error" not in r and r.get("fits")]
    if which == "first":
        values = [r["fits"][0]["fit_s"] for r in good]
    else:
        values = [f["fit_s"] for r in good for f in r["fits"][1:]]
    return summarize(values) if values else None


def model_rows(section: dict, stan_section: dict | None) -> tuple[list[list], list[dict]]:
    """Markdown rows and CSV records: per model, in-kernel fits next to Stan's."""
    rows, recs = [], []
    stan_data = (stan_section or {}).get("data", {})
    for name, entry in section.get("models", {}).items():
        cold, after = _fits(entry["cold"], "first"), _fits(entry["after_setup"], "first")
        again = _fits(entry["cold"] + entry["after_setup"], "repeat")
        new_files = [
            r["fits"][0]["new_cache_files"]
            for r in entry["after_setup"]
            if "error" not in r and r.get("fits")
        ]
        stan = models.stan_summary(stan_data.get(name, {}).get("stan", []))
        first_ratio = ratio(after["median"] if after else None, stan.get("total_s"))
        errors = [r["error"][:60] for r in entry["cold"] + entry["after_setup"] if "error" in r]
        rows.append(
            [
                name,
                fmt_range(cold),
                fmt_range(after),
                ", ".join(str(n) for n in new_files) or "-",
                fmt_range(again),
                "-" if not stan else f"{stan['total_s']:.3g}",
                fmt_range(stan.get("repeat_s")),
                "-" if first_ratio is None else f"{first_ratio:.3f}",
                ok(at_most(first_ratio, TARGET_FIRST_FIT_RATIO))
                + (f" (ERROR: {errors[0]})" if errors else ""),
            ]
        )
        recs += records(
            "kernel",
            name,
            "nutpie",
            {
                "first_fit_cold_s": cold,
                "first_fit_after_setup_s": after,
                "repeat_fit_s": again,
                "first_fit_ratio_vs_stan": single(first_ratio),
            },
        )
    return rows, recs


def lesson_rows(section: dict) -> list[list]:
    """Markdown rows: each model cell of the sampler lessons after setup (median wall)."""
    rows = []
    for label, runs in section.get("lessons", {}).items():
        lesson = label.split("/")[1]
        good = [r for r in runs if "error" not in r]
        if not good:
            rows.append([lesson, "-", "ERROR: " + runs[0]["error"][:80], "-", "-", "-"])
            continue
        for k, cell in enumerate(good[0]["cells"]):
            if not cell["fits"]:
                continue
            walls = summarize([r["cells"][k]["wall_s"] for r in good])
            files = ", ".join(str(r["cells"][k]["new_cache_files"]) for r in good)
            raised = "; ".join(cell["errors"]) or "-"
            first_line = f"`{cell['first_line']}`"
            rows.append([lesson, str(cell["cell"]), first_line, fmt_range(walls), files, raised])
    return rows


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/kernel.md) and its CSV records."""
    data = section["data"]
    rows, recs = model_rows(data, (results or {}).get("models"))
    warm = [w for w in data.get("warm_up", []) if w.get("exit_code") == 0]
    warm_s = summarize([w["wall_s"] for w in warm]) if warm else None
    if warm_s:
        recs += records("kernel", "warm-up", "-", {"wall_s": warm_s})
    table = markdown_table(
        [
            "model",
            "first fit, cold (s)",
            "first fit after setup (s)",
            "files it added to the caches",
            "repeated fit, same kernel (s)",
            "Stan compile + first sample (s)",
            "Stan repeat sample (s)",
            "first fit after setup / Stan",
            f"target <= {TARGET_FIRST_FIT_RATIO:g}",
        ],
        rows,
    )
    lessons = markdown_table(
        ["lesson", "cell", "starts with", "wall (s)", "files added", "raised"],
        lesson_rows(data),
    )
    text = fill(
        "kernel",
        measured=measured(section),
        tune=section["tune"],
        draws=section["draws"],
        warm_up=fmt_range(warm_s),
        warm_up_loads=", ".join(str(w.get("load_average")) for w in warm) or "-",
        table=table,
        lessons=lessons,
    )
    return text, recs
