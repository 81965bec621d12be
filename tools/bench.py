"""Benchmarks: what students and instructors wait for, side by side with Stan (issue 8).

Sections (each writes into bench/results.json; bench/results.md and bench/results.csv are
rendered from all sections measured so far):

* notebooks: every lesson and solution notebook top to bottom in a fresh kernel, cold
  (empty pytensor and Numba caches) and warm; wall time, peak RSS of the kernel's process
  tree, cells that raised (lessons raise NotImplementedError in their exercises).
* course: the whole course cold as CI and an instructor meet it: every notebook in order
  (lessons, then solutions), each in a fresh kernel, sharing one set of compile caches
  that is empty at the start.
* models: every builder of course_utils.models fitted as the lessons fit it (4 chains x
  1000 tune x 1000 draws) with nutpie, PyMC's NUTS (Numba) and PyMC's NUTS (C backend),
  each in a fresh process, cold and warm; and the same model in Stan through pystan
  (bench/stan/*.stan), each compile from an empty httpstan cache. Posterior means are
  checked to agree within a few combined MCSE.
* widgets: every widget of course_utils.widgets, time from a value change to the new PNG.
* setup (only with --setup): `make setup` on a fresh clone with a warm pip cache; venv size.

Usage: python tools/bench.py [--quick] [--repeats N] [--only SECTION ...] [--setup]
(make bench BENCH_ARGS="..."). Not part of the tests: it takes tens of minutes.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import datetime
import io
import json
import math
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
STAN_DIR = BENCH / "stan"
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "results.md"
RESULTS_CSV = BENCH / "results.csv"
NOTES = BENCH / "notes.md"
SECTIONS = ("notebooks", "course", "models", "widgets", "setup")

#: The sampler configurations of the course's models: name -> keyword arguments of pm.sample.
PYMC_CONFIGS = {
    "nutpie": {},
    "pymc-numba": {"nuts_sampler": "pymc"},
    "pymc-c": {"nuts_sampler": "pymc", "backend": "c"},
}

#: Targets of issue 8.
TARGET_TIME_RATIO = 1 / 5  # course time to posterior / Stan compile + sample, at most
TARGET_ESS_RATIO = 1 / 2  # course ESS/s / Stan ESS/s, at least
TARGET_NOTEBOOK_WARM_S = 60.0
TARGET_COURSE_COLD_S = 600.0
KERNEL_STARTUP_TIMEOUT_S = 120  # nbclient's wait for a new kernel's first reply
NOTEBOOK_CELL_TIMEOUT_S = 300  # the slowest cell takes about 80 s cold
TARGET_WIDGET_MS = 100.0
AGREEMENT_Z = 4.0  # |mean difference| / combined MCSE above this flags a disagreement


# ----------------------------------------------------------------------------- pure helpers


def summarize(values: Iterable[float]) -> dict:
    """Median, min, max and count of the finite values; ValueError if there are none."""
    data = [float(v) for v in values if v is not None and np.isfinite(v)]
    if not data:
        raise ValueError("summarize needs at least one finite value.")
    return {"median": statistics.median(data), "min": min(data), "max": max(data), "n": len(data)}


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100, linear interpolation) of a non-empty sequence."""
    if not 0 <= q <= 100:
        raise ValueError(f"q must lie in [0, 100], got {q}.")
    if len(values) == 0:
        raise ValueError("percentile needs at least one value.")
    return float(np.percentile(np.asarray(values, dtype=float), q))


def flatten_draws(draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Scalar quantities from arrays shaped (chain, draw, *shape): ``name[i,j]`` -> (chain, draw).

    Arrays of shape (chain, draw) keep their name; indices are 0-based, in C order.
    """
    flat = {}
    for name, array in draws.items():
        array = np.asarray(array, dtype=float)
        if array.ndim < 2:
            raise ValueError(f"{name}: draws need shape (chain, draw, ...), got {array.shape}.")
        if array.ndim == 2:
            flat[name] = array
            continue
        for index in np.ndindex(*array.shape[2:]):
            label = ",".join(str(i) for i in index)
            flat[f"{name}[{label}]"] = array[(slice(None), slice(None), *index)]
    return flat


def stan_draws(flat: np.ndarray, chains: int) -> np.ndarray:
    """pystan 3's (*shape, draws x chains) array, interleaved by chain, as (chain, draw, ...)."""
    flat = np.asarray(flat, dtype=float)
    total = flat.shape[-1]
    if chains < 1 or total % chains:
        raise ValueError(f"{total} draws cannot be split into {chains} chains.")
    # pystan stores draw d of chain c at position d * chains + c.
    per_chain = flat.reshape(*flat.shape[:-1], total // chains, chains)
    return np.moveaxis(np.moveaxis(per_chain, -1, 0), -1, 1)


def agreement(first: dict, second: dict) -> dict[str, float]:
    """|mean difference| / combined MCSE for every quantity in both.

    ``first`` and ``second`` map a quantity's name to ``(mean, mcse)``.
    """
    common = sorted(set(first) & set(second))
    if not common:
        raise ValueError("the two posteriors share no quantity.")
    scores = {}
    for name in common:
        (m1, s1), (m2, s2) = first[name], second[name]
        scale = float(np.hypot(s1, s2))
        scores[name] = abs(m1 - m2) / scale if scale > 0 else float(abs(m1 - m2) > 0) * np.inf
    return scores


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator, or None if either is missing or the denominator is 0."""
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def markdown_table(header: Sequence[str], rows: Sequence[Sequence]) -> str:
    """A GitHub Markdown table; floats get 3 significant digits, None becomes a dash."""
    if any(len(row) != len(header) for row in rows):
        raise ValueError("every row needs one cell per header column.")

    def cell(value) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:.3g}" if abs(value) < 1000 else f"{value:.0f}"
        return str(value).replace("|", "\\|")

    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def fmt_range(stats: dict | None, scale: float = 1.0, digits: int = 3) -> str:
    """``median (min-max)`` of a :func:`summarize` result, scaled; a dash if missing."""
    if not stats:
        return "-"

    def number(x: float) -> str:
        x *= scale
        return f"{x:.{digits}g}" if abs(x) < 1000 else f"{x:.0f}"

    if stats["n"] == 1:
        return number(stats["median"])
    return f"{number(stats['median'])} ({number(stats['min'])}-{number(stats['max'])})"


# ----------------------------------------------------------------------- machine and runs


def machine() -> dict:
    """CPU model, cores, RAM, load, OS, Python and the versions of the packages measured."""
    import importlib.metadata

    cpu = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    ram_gb = None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal"):
                ram_gb = round(int(line.split()[1]) / 1024**2, 1)
    packages = {}
    for name in (
        "pymc",
        "pytensor",
        "nutpie",
        "numba",
        "arviz",
        "bambi",
        "numpy",
        "matplotlib",
        "ipywidgets",
        "pystan",
        "httpstan",
    ):
        try:
            packages[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            packages[name] = None
    gxx = shutil.which("g++")
    compiler = (
        subprocess.run([gxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
        if gxx
        else None
    )
    return {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "ram_gb": ram_gb,
        "load_average": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": platform.python_version(),
        "compiler": compiler,
        "packages": packages,
    }


def run_worker(arguments: list[str], env: dict[str, str], timeout: float) -> dict:
    """Run ``python tools/bench.py worker ...`` in a fresh process; return its JSON result.

    The worker prints its result as the last line of stdout; a failure becomes
    ``{"error": ...}`` so that one broken measurement does not stop the run.
    """
    command = [sys.executable, str(Path(__file__).resolve()), *arguments]
    try:
        done = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=timeout, cwd=ROOT
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout:.0f} s"}
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0 or not lines:
        tail = (done.stderr or done.stdout).strip().splitlines()[-3:]
        return {"error": f"exit {done.returncode}: " + " / ".join(tail)}
    return json.loads(lines[-1])


def cache_env(cache: Path) -> dict[str, str]:
    """The environment with pytensor's and Numba's compile caches (and httpstan's) in ``cache``."""
    env = dict(os.environ)
    cache.mkdir(parents=True, exist_ok=True)
    env["PYTENSOR_FLAGS"] = f"base_compiledir={cache / 'pytensor'}"
    env["NUMBA_CACHE_DIR"] = str(cache / "numba")
    env["XDG_CACHE_HOME"] = str(cache / "xdg")  # httpstan's model cache lives in here
    env["PYTHONWARNINGS"] = "ignore"
    return env


def log(message: str) -> None:
    """Progress on stderr with a timestamp."""
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------- the models


@dataclass(frozen=True)
class ModelCase:
    """One course model: how the lessons sample it and which quantities to compare."""

    name: str
    target_accept: float
    quantities: dict[str, str]  # PyMC variable -> Stan variable, compared and used for ESS
    seed: int


MODEL_CASES = [
    ModelCase("beta_binomial", 0.8, {"p": "p"}, 404),
    ModelCase(
        "tutoring_mixed_logit",
        0.8,
        {"intercept": "intercept", "method": "method", "sigma_site": "sigma_site", "u": "u"},
        1953,
    ),
    ModelCase("eight_schools", 0.95, {"mu": "mu", "tau": "tau", "theta": "theta"}, 8),
    ModelCase("season_pass_baseline", 0.8, {"intercept": "intercept", "promo": "promo"}, 61),
    ModelCase(
        "season_pass_interaction",
        0.8,
        {n: n for n in ("intercept", "promo", "channel", "promo_channel")},
        62,
    ),
    ModelCase(
        "season_pass_multilevel",
        0.95,
        {
            "a_channel": "a_channel",
            "b_channel": "b_channel",
            "sd": "sd_effect",
            "correlation": "correlation",
        },
        63,
    ),
]
CASES = {case.name: case for case in MODEL_CASES}


def build_pymc_model(name: str):
    """The course's PyMC model ``name`` on the lessons' data."""
    from course_utils import data, models

    if name == "beta_binomial":
        return models.beta_binomial(12, 3)
    if name == "tutoring_mixed_logit":
        return models.tutoring_mixed_logit(data.load_tutoring(), prior_sd=2.5)
    if name == "eight_schools":
        schools = data.load_eight_schools()
        return models.eight_schools(
            schools["y"].to_numpy(), schools["sigma"].to_numpy(), names=schools["school"].tolist()
        )
    if name.startswith("season_pass_"):
        return getattr(models, name)(data.load_season_pass(grouped=True))
    raise ValueError(f"unknown model {name!r}; known: {sorted(CASES)}")


def stan_data(name: str) -> dict:
    """The data block of bench/stan/<name>.stan, from the same loaders as the PyMC model."""
    import pandas as pd

    from course_utils import data, model_data

    if name == "beta_binomial":
        return {"n": 12, "r": 3}
    if name == "tutoring_mixed_logit":
        tutoring = data.load_tutoring()
        site_index, sites = pd.factorize(tutoring["site_id"], sort=True)
        return {
            "N": len(tutoring),
            "S": len(sites),
            "site": (site_index + 1).tolist(),
            "method_x": tutoring["method"].astype(float).tolist(),
            "passed": tutoring["passed"].astype(int).tolist(),
            "prior_sd": 2.5,
            "site_sd_prior_sd": 2.5,
        }
    if name == "eight_schools":
        schools = data.load_eight_schools()
        return {"J": len(schools), "y": schools["y"].tolist(), "sigma": schools["sigma"].tolist()}
    if name.startswith("season_pass_"):
        bundle, channel, bought, n = model_data.season_pass_arrays(
            data.load_season_pass(grouped=True)
        )
        common = {
            "N": len(n),
            "bundle": bundle.astype(float).tolist(),
            "bought": bought.tolist(),
            "n": n.tolist(),
        }
        if name == "season_pass_interaction":
            dummies = np.stack([(channel == k).astype(float) for k in (1, 2)], axis=1)
            return {**common, "dummies": dummies.tolist()}
        if name == "season_pass_multilevel":
            return {**common, "C": 3, "channel": (channel + 1).tolist()}
        return common
    raise ValueError(f"unknown model {name!r}; known: {sorted(CASES)}")


def posterior_stats(draws: dict[str, np.ndarray]) -> dict:
    """Mean, MCSE and bulk ESS of every scalar quantity; min ESS, max R-hat over them all."""
    import arviz as az

    flat = flatten_draws(draws)
    summary = az.summary(az.from_dict({"posterior": flat}), round_to="none")
    quantities = {
        name: (float(summary.loc[name, "mean"]), float(summary.loc[name, "mcse_mean"]))
        for name in flat
    }
    return {
        "quantities": quantities,
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "max_r_hat": float(summary["r_hat"].max()),
    }


def worker_pymc(model: str, config: str, draws: int, tune: int, chains: int, seed: int) -> dict:
    """Fit one course model once (this process is fresh): times, ESS, divergences, means."""
    start = time.perf_counter()
    import pymc as pm

    import_s = time.perf_counter() - start
    case = CASES[model]
    start = time.perf_counter()
    pymc_model = build_pymc_model(model)
    idata = pm.sample(
        model=pymc_model,
        chains=chains,
        tune=tune,
        draws=draws,
        random_seed=seed,
        target_accept=case.target_accept,
        progressbar=False,
        quiet=True,
        **PYMC_CONFIGS[config],
    )
    total_s = time.perf_counter() - start
    posterior = idata.posterior
    sampling_s = float(posterior.attrs.get("sampling_time", np.nan))
    draws_ = {var: posterior[var].values for var in case.quantities}
    stats = posterior_stats(draws_)
    return {
        "import_s": import_s,
        "time_to_posterior_s": total_s,
        "sampling_s": sampling_s,
        "ess_per_s": stats["min_ess_bulk"] / sampling_s,
        "divergences": int(idata.sample_stats["diverging"].sum()),
        **stats,
    }


def worker_stan(model: str, draws: int, tune: int, chains: int, seed: int, samples: int) -> dict:
    """Compile one Stan program (from scratch when XDG_CACHE_HOME is empty); sample it
    ``samples`` times."""
    import stan

    case = CASES[model]
    code = (STAN_DIR / f"{model}.stan").read_text()
    start = time.perf_counter()
    posterior = stan.build(code, data=stan_data(model), random_seed=seed)
    compile_s = time.perf_counter() - start
    runs = []
    for _ in range(samples):
        start = time.perf_counter()
        fit = posterior.sample(
            num_chains=chains, num_samples=draws, num_warmup=tune, delta=case.target_accept
        )
        sampling_s = time.perf_counter() - start
        shapes = dict(zip(fit.param_names, fit.dims, strict=True))
        draws_ = {}
        for var, stan_var in case.quantities.items():
            array = np.asarray(fit[stan_var])
            if shapes.get(stan_var) == [] and array.ndim == 2:
                array = array[0]  # a scalar: pystan gives it a leading axis of length 1
            draws_[var] = stan_draws(array, chains)
        stats = posterior_stats(draws_)
        divergent = np.asarray(fit["divergent__"]).sum()
        runs.append(
            {
                "sampling_s": sampling_s,
                "ess_per_s": stats["min_ess_bulk"] / sampling_s,
                "divergences": int(divergent),
                **stats,
            }
        )
    return {"compile_s": compile_s, "runs": runs}


def bench_models(args: argparse.Namespace, scratch: Path) -> dict:
    """Every course model: each PyMC configuration cold and warm, Stan cold; agreement."""
    names = args.models or [case.name for case in MODEL_CASES]
    sizes = ["--draws", str(args.draws), "--tune", str(args.tune), "--chains", "4"]
    results = {}
    for name in names:
        case = CASES[name]
        entry = {"pymc": {}, "stan": {}}
        for config in args.configs:
            cache = scratch / f"model-{name}-{config}"
            runs = []
            for repeat in range(args.repeats + 1):  # the first one is cold
                arguments = [
                    "worker-pymc",
                    name,
                    config,
                    *sizes,
                    "--seed",
                    str(case.seed + repeat),
                ]
                result = run_worker(arguments, cache_env(cache), args.timeout)
                result["cold"] = repeat == 0
                runs.append(result)
                log(f"{name} {config} {'cold' if repeat == 0 else 'warm'}: {_brief(result)}")
            entry["pymc"][config] = runs
        stan_runs = []
        for repeat in range(args.stan_compiles):
            cache = scratch / f"stan-{name}-{repeat}"  # empty: httpstan really recompiles
            samples = args.repeats if repeat == 0 else 1
            arguments = [
                "worker-stan",
                name,
                *sizes,
                "--seed",
                str(case.seed + repeat),
                "--samples",
                str(samples),
            ]
            result = run_worker(arguments, cache_env(cache), args.timeout)
            stan_runs.append(result)
            log(f"{name} stan compile {repeat}: {_brief(result)}")
            shutil.rmtree(cache, ignore_errors=True)
        entry["stan"] = stan_runs
        results[name] = entry
        if getattr(args, "save", None):
            args.save(results)
    return results


def _brief(result: dict) -> str:
    if "error" in result:
        return "ERROR " + result["error"]
    keys = ("time_to_posterior_s", "compile_s", "sampling_s", "min_ess_bulk", "divergences")
    return ", ".join(f"{k}={result[k]:.3g}" for k in keys if k in result)


# -------------------------------------------------------------------------- the notebooks


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
    from jupyter_client.manager import AsyncKernelManager
    from nbclient import NotebookClient

    notebook_path = Path(path)
    notebook = nbformat.read(notebook_path, as_version=4)
    # IPC sockets in a private folder instead of TCP ports on localhost: no port to race
    # for with the kernel of the previous run (a TCP kernel and its client once both sat
    # idle, each waiting for the other, until the cell timeout).
    sockets = Path(tempfile.mkdtemp(prefix="bench-kernel-"))
    manager = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=str(sockets / "k"))
    client = NotebookClient(
        notebook,
        km=manager,
        timeout=timeout,
        startup_timeout=KERNEL_STARTUP_TIMEOUT_S,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(notebook_path.parent)}},
    )
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
        client.execute()
    finally:
        wall = time.perf_counter() - start
        stop.set()
        watcher.join()
        shutil.rmtree(sockets, ignore_errors=True)
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
    }


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


def bench_notebooks(args: argparse.Namespace, scratch: Path) -> dict:
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
        if getattr(args, "save", None):
            args.save(results)
    return results


def bench_course(args: argparse.Namespace, scratch: Path) -> dict:
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
        if getattr(args, "save", None):
            args.save(results)
    shutil.rmtree(cache, ignore_errors=True)
    return results


# ---------------------------------------------------------------------------- the widgets


def widget_cases() -> dict[str, Callable[[], tuple[object, dict[str, list]]]]:
    """Each widget built as the lessons build it, with the values its sliders will take."""
    from course_utils.data import load_eight_schools, load_tutoring
    from course_utils.tutoring_posterior import TutoringPosterior
    from course_utils.widgets import (
        PosteriorExplorer,
        PriorPredictiveExplorer,
        ShrinkageExplorer,
        TutoringPriorExplorer,
    )

    def posterior():
        return PosteriorExplorer(heads=2, tails=2), {
            "heads": [5, 12, 0, 30, 7],
            "tails": [3, 20, 1, 9],
            "a": [0.5, 4.0, 9.5, 2.0],
            "b": [1.5, 6.0, 3.0],
            "k": [-5.0, 3.5, 10.0, 0.0],
        }

    def prior_predictive():
        return PriorPredictiveExplorer(prior_sd=2.5), {
            "prior_sd": [0.25, 1.0, 2.0, 5.0, 10.0, 0.5, 7.5, 3.0, 1.5, 4.0]
        }

    def tutoring_prior():
        grid = TutoringPosterior(load_tutoring(), max_prior_sd=5.0, n_beta=96)
        return TutoringPriorExplorer(grid, prior_sd=2.5, site_sd_prior_sd=2.5), {
            "prior_sd": [0.5, 1.0, 4.0, 5.0, 2.0],
            "site_sd_prior_sd": [0.1, 1.0, 5.0, 0.3, 2.5],
        }

    def shrinkage():
        schools = load_eight_schools()
        widget = ShrinkageExplorer(schools["y"], schools["sigma"], schools["school"].tolist())
        return widget, {
            "tau_prior": ["half-cauchy", "half-normal", "half-cauchy"],
            "tau_scale": [1.0, 10.0, 50.0, 2.5, 25.0],
        }

    return {
        "PosteriorExplorer": posterior,
        "PriorPredictiveExplorer": prior_predictive,
        "TutoringPriorExplorer": tutoring_prior,
        "ShrinkageExplorer": shrinkage,
    }


def slider_steps(widget, moves: dict[str, list], steps: int = 8) -> dict[str, list]:
    """What dragging each slider of ``moves`` (or holding an arrow key) sends: ``steps``
    consecutive values one slider step apart, from the first value in ``moves`` upwards
    (downwards where the top is too close), and back. Dropdowns only jump: left out."""
    import ipywidgets

    walks = {}
    for name, values in moves.items():
        slider = widget.sliders[name]
        if isinstance(slider, ipywidgets.FloatLogSlider):
            start, low, high = math.log(values[0], slider.base), slider.min, slider.max
        elif isinstance(slider, ipywidgets.IntSlider | ipywidgets.FloatSlider):
            start, low, high = values[0], slider.min, slider.max
        else:
            continue
        direction = 1 if start + steps * slider.step <= high + 1e-9 else -1
        positions = [start + direction * i * slider.step for i in range(steps + 1)]
        positions = [min(max(x, low), high) for x in positions]
        positions += positions[-2::-1]  # and back: the next round starts where this one ends
        if isinstance(slider, ipywidgets.FloatLogSlider):
            walks[name] = [round(slider.base**x, 12) for x in positions]
        else:
            walks[name] = [round(x, 12) for x in positions]
    return walks


def time_widget(widget, moves: dict[str, list], rounds: int) -> dict:
    """Times (ms) from setting a slider value to the widget's redrawn PNG, over many changes;
    how many of them redrew the static parts (axes moved), and what such a full redraw costs."""
    times = []
    full_draws_before = widget.full_draws
    for _ in range(rounds):
        for name, values in moves.items():
            slider = widget.sliders[name]
            for value in values:
                if slider.value == value:
                    continue
                start = time.perf_counter()
                slider.value = value  # observers run update(): compute + redraw + PNG
                times.append((time.perf_counter() - start) * 1000)
    full_draws = widget.full_draws - full_draws_before
    full_times = []
    for _ in range(10):
        start = time.perf_counter()
        widget.redraw(from_scratch=True)  # forget the cached pixels: draw everything
        full_times.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "changes": len(times),
        "full_draws": full_draws,
        "full_redraw_median_ms": statistics.median(full_times),
        "png_bytes": len(widget.png),
    }


def bench_widgets(args: argparse.Namespace, scratch: Path) -> dict:
    """Every widget in this process; ``rounds`` passes over each slider's values."""
    import matplotlib

    matplotlib.use("Agg")
    results = {}
    for name, make in widget_cases().items():
        # Outside a kernel the output widget prints what it displays: keep that off the log.
        with contextlib.redirect_stdout(io.StringIO()):
            widget, moves = make()
            time_widget(widget, moves, rounds=1)  # untimed: first calls are not the steady state
            results[name] = time_widget(widget, moves, rounds=args.widget_rounds)
            walks = slider_steps(widget, moves)
            results[name]["steps"] = time_widget(widget, walks, rounds=args.widget_rounds)
        log(f"widget {name}: {results[name]}")
    return results


# ------------------------------------------------------------------------------ the setup


def bench_setup(args: argparse.Namespace, scratch: Path) -> dict:
    """`make setup` in a fresh clone (warm pip cache); the venv's size."""
    clone = scratch / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    start = time.perf_counter()
    done = subprocess.run(["make", "setup"], cwd=clone, capture_output=True, text=True)
    wall = time.perf_counter() - start
    size = subprocess.run(["du", "-sm", str(clone / ".venv")], capture_output=True, text=True)
    result = {
        "make_setup_s": wall,
        "exit_code": done.returncode,
        "venv_mb": float(size.stdout.split()[0]) if size.returncode == 0 else None,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
        ).stdout.strip(),
    }
    shutil.rmtree(clone, ignore_errors=True)
    log(f"setup: {result}")
    return result


# ------------------------------------------------------------------------------ reporting


def _ok(flag: bool | None) -> str:
    return "-" if flag is None else ("met" if flag else "**missed**")


def model_rows(models: dict) -> tuple[list[list], list[dict]]:
    """Markdown rows and CSV records of the models section, with the course/Stan ratios."""
    rows, records = [], []
    for name, entry in models.items():
        stan_ok = [r for r in entry["stan"] if "error" not in r]
        stan_compile = summarize([r["compile_s"] for r in stan_ok]) if stan_ok else None
        stan_runs = [run for r in stan_ok for run in r["runs"]]
        stan_sample = summarize([r["sampling_s"] for r in stan_runs]) if stan_runs else None
        stan_ess = summarize([r["ess_per_s"] for r in stan_runs]) if stan_runs else None
        stan_total = (stan_compile["median"] + stan_sample["median"]) if stan_ok else None
        stan_q = stan_runs[0]["quantities"] if stan_runs else None
        rows.append(
            [
                name,
                "stan",
                fmt_range(stan_compile),
                "-",
                fmt_range(stan_sample),
                _stat_str(stan_runs, "min_ess_bulk"),
                fmt_range(stan_ess),
                _stat_str(stan_runs, "divergences"),
                "-",
                "-",
                "-",
                "-",
            ]
        )
        records += _records(
            "models",
            name,
            "stan",
            {"compile_s": stan_compile, "sampling_s": stan_sample, "ess_per_s": stan_ess},
        )
        for config, runs in entry["pymc"].items():
            good = [r for r in runs if "error" not in r]
            if not good:
                rows.append([name, config, "ERROR: " + runs[0].get("error", "?")[:80]] + ["-"] * 9)
                continue
            cold = [r for r in good if r["cold"]]
            warm = [r for r in good if not r["cold"]] or cold
            t_cold = summarize([r["time_to_posterior_s"] for r in cold]) if cold else None
            t_warm = summarize([r["time_to_posterior_s"] for r in warm])
            sample = summarize([r["sampling_s"] for r in warm])
            ess = summarize([r["ess_per_s"] for r in warm])
            time_ratio = ratio(t_warm["median"], stan_total)
            time_ratio_cold = ratio(t_cold["median"], stan_total) if t_cold else None
            ess_ratio = ratio(ess["median"], stan_ess["median"] if stan_ess else None)
            z = _max_z(good[0]["quantities"], stan_q)
            rows.append(
                [
                    name,
                    config,
                    fmt_range(t_cold),
                    fmt_range(t_warm),
                    fmt_range(sample),
                    _stat_str(warm, "min_ess_bulk"),
                    fmt_range(ess),
                    _stat_str(good, "divergences"),
                    _ratio_str(time_ratio, time_ratio_cold),
                    _ratio_str(ess_ratio),
                    f"{_ok(_le(time_ratio, TARGET_TIME_RATIO))} / "
                    f"{_ok(_ge(ess_ratio, TARGET_ESS_RATIO))}",
                    "-" if z is None else f"{z:.1f}" + (" **!**" if z > AGREEMENT_Z else ""),
                ]
            )
            records += _records(
                "models",
                name,
                config,
                {
                    "time_to_posterior_cold_s": t_cold,
                    "time_to_posterior_warm_s": t_warm,
                    "sampling_s": sample,
                    "ess_per_s": ess,
                    "time_ratio_warm": _single(time_ratio),
                    "time_ratio_cold": _single(time_ratio_cold),
                    "ess_ratio": _single(ess_ratio),
                    "max_agreement_z": _single(z),
                },
            )
    return rows, records


def _max_z(first: dict, second: dict | None) -> float | None:
    """The largest agreement score, or None when there is nothing to compare."""
    try:
        return max(agreement(first, second).values()) if second else None
    except ValueError:
        return None


def _le(x: float | None, bound: float) -> bool | None:
    return None if x is None else x <= bound


def _ge(x: float | None, bound: float) -> bool | None:
    return None if x is None else x >= bound


def _single(x: float | None) -> dict | None:
    return None if x is None else {"median": x, "min": x, "max": x, "n": 1}


def _ratio_str(warm: float | None, cold: float | None = None) -> str:
    if warm is None:
        return "-"
    return f"{warm:.2f}" + ("" if cold is None else f" (cold {cold:.2f})")


def _stat_str(runs: list[dict], key: str) -> str:
    values = [r[key] for r in runs if key in r]
    return fmt_range(summarize(values)) if values else "-"


def _records(section: str, item: str, config: str, stats: dict) -> list[dict]:
    return [
        {"section": section, "item": item, "config": config, "metric": metric, **value}
        for metric, value in stats.items()
        if value is not None
    ]


def _cells_raised(run: dict) -> str:
    """'k of n' code cells of a notebook run that raised, with the exception names."""
    text = f"{run['error_cells']} of {run['code_cells']}"
    return text + (f" ({', '.join(run['errors'])})" if run["errors"] else "")


def notebook_rows(notebooks: dict) -> tuple[list[list], list[dict], dict]:
    """Markdown rows, CSV records and course totals of the notebooks section."""
    rows, records = [], []
    cold_total, warm_worst = 0.0, (0.0, None)
    for label, runs in notebooks.items():
        good = [r for r in runs if "error" not in r]
        if not good:
            rows.append([label, "ERROR: " + runs[0]["error"][:80], "-", "-", "-", "-"])
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
                _ok(_le(t_warm["median"], TARGET_NOTEBOOK_WARM_S)) if t_warm else "-",
            ]
        )
        records += _records(
            "notebooks",
            label,
            "-",
            {"wall_cold_s": t_cold, "wall_warm_s": t_warm, "peak_rss_mb": memory},
        )
    totals = {"cold_total_s": cold_total, "warm_worst": warm_worst}
    return rows, records, totals


def course_rows(course: dict) -> tuple[list[list], list[dict], float]:
    """Markdown rows, CSV records and the total of the course-in-order section."""
    rows, records, total = [], [], 0.0
    for label, result in course.items():
        if "error" in result:
            rows.append([label, "ERROR: " + result["error"][:80], "-"])
            continue
        total += result["wall_s"]
        rows.append([label, f"{result['wall_s']:.3g}", _cells_raised(result)])
        records += _records("course", label, "-", {"wall_s": _single(result["wall_s"])})
    records.append(
        {"section": "course", "item": "all", "config": "-", "metric": "wall_s", **_single(total)}
    )
    return rows, records, total


def _commit() -> str:
    """The short hash of the checkout measured (``+`` if it has uncommitted changes)."""
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=no"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return head + ("+" if dirty else "")


def _measured(section: dict) -> str:
    """When and on what a section was measured: sections are re-measured separately."""
    parts = [f"Measured {section.get('date', '?')}"]
    if section.get("commit"):
        parts.append(f"at commit {section['commit']}")
    if section.get("load_average") is not None:
        parts.append(f"load average at start {section['load_average']}")
    return ", ".join(parts) + "."


def render(results: dict) -> tuple[str, list[dict]]:
    """bench/results.md text and bench/results.csv records from all sections measured."""
    info = results.get("machine", {})
    lines = [
        "# Benchmarks: what students wait for",
        "",
        "Generated by `make bench` (tools/bench.py) from bench/results.json; do not edit.",
        "",
        f"- last run: {info.get('date')}; options: `{results.get('options', '')}` (each "
        "section says when it was measured)",
        f"- machine: {info.get('cpu')}, {info.get('cores')} cores, {info.get('ram_gb')} GB RAM; "
        f"{info.get('os')}; Python {info.get('python')}; {info.get('compiler')}",
        "- packages: " + ", ".join(f"{k} {v}" for k, v in info.get("packages", {}).items()),
        f"- load average at the start of the last run: {info.get('load_average')}. Timings on "
        "2 cores are noisy (a load average near 2 means the machine was busy): medians and "
        "(min-max) ranges.",
        "",
    ]
    records = []
    if "models" in results:
        section = results["models"]
        rows, recs = model_rows(section["data"])
        records += recs
        lines += [
            "## Course models: PyMC (nutpie, PyMC NUTS with Numba, PyMC NUTS with C) vs Stan",
            "",
            _measured(results["models"]),
            "",
            f"Fitted as the lessons fit them: 4 chains x {section['tune']} tune x "
            f"{section['draws']} draws, target_accept as in the lessons (0.95 for eight schools "
            "and multilevel). Every PyMC fit runs in a fresh process; *cold* = empty pytensor and "
            "Numba caches (what a student meets first), *warm* = caches filled by the cold run, "
            f"{section['repeats']} repeat(s). Time to posterior = building the model + pm.sample "
            "(compilation included, Python imports excluded). Stan: pystan 3, each compile from "
            "an empty httpstan cache (cold, g++), sampling time = `posterior.sample` wall time. "
            "ESS = minimum bulk ESS over the compared quantities (the lessons' parameters); "
            "ESS/s = that / sampling time. Ratios use medians: time = course warm time to "
            "posterior / Stan (compile + sample) (target <= 0.2), ESS = course ESS/s / Stan ESS/s "
            "(target >= 0.5). *z* = largest |PyMC mean - Stan mean| / combined MCSE over the "
            f"compared quantities (above {AGREEMENT_Z:g} flagged **!**).",
            "",
            markdown_table(
                [
                    "model",
                    "sampler",
                    "cold: to posterior / Stan compile (s)",
                    "warm: to posterior (s)",
                    "sampling (s)",
                    "min bulk ESS",
                    "ESS/s",
                    "divergences",
                    "time ratio vs Stan",
                    "ESS/s ratio",
                    "targets time / ESS",
                    "max z",
                ],
                rows,
            ),
            "",
        ]
    if "notebooks" in results:
        section = results["notebooks"]
        rows, recs, totals = notebook_rows(section["data"])
        records += recs
        records.append(
            {
                "section": "notebooks",
                "item": "all",
                "config": "-",
                "metric": "cold_total_s",
                **_single(totals["cold_total_s"]),
            }
        )
        lines += [
            "## Notebooks, top to bottom in a fresh kernel",
            "",
            _measured(results["notebooks"]),
            "",
            "nbclient with errors allowed; *cold* = fresh, empty pytensor compile dir and Numba "
            f"cache; *warm* = the same caches again ({section['repeats']} repeat(s)). Wall time "
            "includes kernel start. Peak memory = largest summed RSS of the kernel's process "
            "tree (sampled every 0.1 s). Lessons stop at their exercise stubs "
            "(`NotImplementedError`) and the cells depending on them fail too, so a lesson "
            "runs less than its solution.",
            "",
            markdown_table(
                [
                    "notebook",
                    "cold (s)",
                    "warm (s)",
                    "peak RSS (MB)",
                    "cells that raised",
                    f"warm < {TARGET_NOTEBOOK_WARM_S:.0f} s",
                ],
                rows,
            ),
            "",
            f"Whole course cold (sum of every notebook's cold run, each from empty caches; an "
            f"upper bound): **{totals['cold_total_s']:.0f} s** against a target of "
            f"{TARGET_COURSE_COLD_S:.0f} s: "
            f"{_ok(totals['cold_total_s'] <= TARGET_COURSE_COLD_S)}. Slowest warm notebook: "
            f"{totals['warm_worst'][1]} ({totals['warm_worst'][0]:.0f} s).",
            "",
        ]
    if "course" in results:
        section = results["course"]
        rows, recs, total = course_rows(section["data"])
        records += recs
        lines += [
            "## The whole course cold, in order",
            "",
            _measured(section),
            "",
            "Every lesson and then every solution, once each, in a fresh kernel, sharing one "
            "pytensor compile dir and Numba cache that is empty at the start: what a clean CI "
            "run or an instructor preparing a term meets. A notebook that fits a model compiled "
            "by an earlier one reuses that compilation (the lessons' solutions reuse the "
            "lessons'), unlike the isolated cold runs above, whose sum is an upper bound.",
            "",
            markdown_table(["notebook", "wall (s)", "cells that raised"], rows),
            "",
            f"Whole course cold, in order: **{total:.0f} s** against a target of "
            f"{TARGET_COURSE_COLD_S:.0f} s: {_ok(total <= TARGET_COURSE_COLD_S)}.",
            "",
        ]
    if "widgets" in results:
        data = results["widgets"]["data"]
        rows = []
        for name, r in data.items():
            walk = r.get("steps", {})
            medians = [r["median_ms"], walk.get("median_ms", r["median_ms"])]
            rows.append(
                [
                    name,
                    r["median_ms"],
                    r["p95_ms"],
                    f"{r.get('full_draws', '-')} of {r['changes']}",
                    walk.get("median_ms", "-"),
                    walk.get("p95_ms", "-"),
                    f"{walk.get('full_draws', '-')} of {walk.get('changes', '-')}",
                    r.get("full_redraw_median_ms", "-"),
                    f"{_ok(medians[0] < TARGET_WIDGET_MS)} / {_ok(medians[1] < TARGET_WIDGET_MS)}",
                ]
            )
        for name, r in data.items():
            for workload, timing in (("jumps", r), ("steps", r.get("steps"))):
                if timing is None:
                    continue
                records += _records(
                    "widgets",
                    name,
                    workload,
                    {
                        "update_ms": {
                            "median": timing["median_ms"],
                            "min": None,
                            "max": timing["max_ms"],
                            "n": timing["changes"],
                            "p95": timing["p95_ms"],
                        }
                    },
                )
        lines += [
            "## Widgets: value change to updated output",
            "",
            _measured(results["widgets"]),
            "",
            "Setting a slider's value in Python runs the widget's observer: the pure function, "
            "the redraw of its persistent figure and the PNG encoding (Agg). The browser's "
            "round trip is not included. A widget draws its axes, ticks and labels once and "
            "then only its curves and titles over them (blitting), until a move changes an "
            "axis limit (limits are rounded, so small moves rarely do): *full redraws* counts "
            "the changes that drew everything, *full redraw (ms)* is what one costs. *Jumps*: "
            "each slider set to values across its range (a click on the track, a typed value, "
            "a dropdown choice); *steps*: each slider moved one step at a time, 8 steps up and "
            "back (a drag or an arrow key).",
            "",
            markdown_table(
                [
                    "widget",
                    "jumps: median (ms)",
                    "jumps: 95th pct (ms)",
                    "jumps: full redraws",
                    "steps: median (ms)",
                    "steps: 95th pct (ms)",
                    "steps: full redraws",
                    "full redraw (ms)",
                    f"median < {TARGET_WIDGET_MS:.0f} ms: jumps / steps",
                ],
                rows,
            ),
            "",
        ]
    if "setup" in results:
        r = results["setup"]["data"]
        records += _records(
            "setup",
            "make setup",
            "-",
            {"wall_s": _single(r["make_setup_s"]), "venv_mb": _single(r["venv_mb"])},
        )
        lines += [
            "## Setup",
            "",
            f"`make setup` on a fresh clone (commit {r['commit']}) with a warm pip cache "
            "(the common first step of `make lab` and `make test`): "
            f"**{r['make_setup_s']:.0f} s** "
            f"(exit {r['exit_code']}); venv size **{r['venv_mb']:.0f} MB**. Measured "
            f"{results['setup'].get('date')}.",
            "",
        ]
    if NOTES.exists():  # hand-written reading of the numbers, kept across runs
        lines += [NOTES.read_text().strip(), ""]
    return "\n".join(lines), records


def write_outputs(results: dict) -> None:
    """bench/results.json, bench/results.md and bench/results.csv."""
    BENCH.mkdir(exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=float) + "\n")
    text, records = render(results)
    RESULTS_MD.write_text(text)
    fields = ["section", "item", "config", "metric", "median", "min", "max", "n", "p95"]
    with RESULTS_CSV.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, extrasaction="ignore")
        writer.writeheader()
        for record in records:
            writer.writerow({k: record.get(k) for k in fields})


# ----------------------------------------------------------------------------------- main


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line: the main run, or one of the workers (internal)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    pymc_worker = sub.add_parser("worker-pymc")
    pymc_worker.add_argument("model", choices=sorted(CASES))
    pymc_worker.add_argument("config", choices=sorted(PYMC_CONFIGS))
    stan_worker = sub.add_parser("worker-stan")
    stan_worker.add_argument("model", choices=sorted(CASES))
    stan_worker.add_argument("--samples", type=int, default=1)
    for worker in (pymc_worker, stan_worker):
        worker.add_argument("--draws", type=int, default=1000)
        worker.add_argument("--tune", type=int, default=1000)
        worker.add_argument("--chains", type=int, default=4)
        worker.add_argument("--seed", type=int, default=1)
    notebook_worker = sub.add_parser("worker-notebook")
    notebook_worker.add_argument("path")
    notebook_worker.add_argument("--timeout", type=int, default=900)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="development: 1 repeat, 200 tune + 200 draws, a subset",
    )
    parser.add_argument("--repeats", type=int, default=3, help="warm repeats per measurement")
    parser.add_argument(
        "--notebook-repeats",
        type=int,
        default=None,
        help="warm runs per notebook (default: --repeats)",
    )
    parser.add_argument(
        "--stan-compiles",
        type=int,
        default=None,
        help="cold Stan compiles per model (default: --repeats)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=SECTIONS,
        default=list(SECTIONS[:3]),
        help="sections, in order",
    )
    parser.add_argument("--setup", action="store_true", help="also time a fresh clone's setup")
    parser.add_argument("--models", nargs="+", choices=sorted(CASES), default=None)
    parser.add_argument(
        "--configs", nargs="+", choices=list(PYMC_CONFIGS), default=list(PYMC_CONFIGS)
    )
    parser.add_argument("--notebooks", nargs="+", default=None, help="substrings of their paths")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--widget-rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per worker")
    args = parser.parse_args(argv)
    if args.command is None:
        if args.repeats < 1:
            parser.error("--repeats must be at least 1")
        if args.quick:
            args.repeats, args.draws, args.tune, args.widget_rounds = 1, 200, 200, 1
            args.models = args.models or ["beta_binomial", "eight_schools"]
            args.notebooks = args.notebooks or ["00_start_here"]
            args.configs = args.configs if args.configs != list(PYMC_CONFIGS) else ["nutpie"]
            args.stan_compiles = args.stan_compiles or 1
        args.notebook_repeats = args.notebook_repeats or args.repeats
        args.stan_compiles = args.stan_compiles or args.repeats
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "worker-pymc":
        result = worker_pymc(
            args.model, args.config, args.draws, args.tune, args.chains, args.seed
        )
    elif args.command == "worker-stan":
        result = worker_stan(
            args.model, args.draws, args.tune, args.chains, args.seed, args.samples
        )
    elif args.command == "worker-notebook":
        result = worker_notebook(args.path, args.timeout)
    else:
        return run(args)
    print(json.dumps(result, default=float))
    return 0


def run(args: argparse.Namespace) -> int:
    """Measure the chosen sections; merge them into bench/results.json; render."""
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    results["machine"] = machine()
    results["options"] = " ".join(sys.argv[1:])
    sections = list(dict.fromkeys([*args.only, *(["setup"] if args.setup else [])]))
    functions = {
        "notebooks": bench_notebooks,
        "course": bench_course,
        "models": bench_models,
        "widgets": bench_widgets,
        "setup": bench_setup,
    }
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for section in sections:
            log(f"section {section}")

            def save(data: dict, section: str = section) -> None:
                """Store (part of) a section's results and rewrite the outputs."""
                results[section] = {
                    "date": datetime.datetime.now().isoformat(timespec="seconds"),
                    "repeats": args.notebook_repeats if section == "notebooks" else args.repeats,
                    "draws": args.draws,
                    "tune": args.tune,
                    "load_average": results["machine"].get("load_average"),
                    "commit": _commit(),
                    "data": data,
                }
                write_outputs(results)

            args.save = save  # the long sections save after every item
            save(functions[section](args, Path(scratch)))
    log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_CSV.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
