"""What every section shares: paths, summaries, Markdown tables, the machine, workers."""

from __future__ import annotations

import datetime
import json
import os
import platform
import shutil
import statistics
import string
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
STAN_DIR = BENCH / "stan"
TEMPLATES = BENCH / "templates"
RESULTS_JSON = BENCH / "results.json"
RESULTS_MD = BENCH / "results.md"
RESULTS_CSV = BENCH / "results.csv"
NOTES = BENCH / "notes.md"


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


def ok(flag: bool | None) -> str:
    """'met', '**missed**' or a dash for a target that could not be judged."""
    return "-" if flag is None else ("met" if flag else "**missed**")


def at_most(x: float | None, bound: float) -> bool | None:
    return None if x is None else x <= bound


def at_least(x: float | None, bound: float) -> bool | None:
    return None if x is None else x >= bound


def single(x: float | None) -> dict | None:
    """One value as a :func:`summarize` result (None stays None)."""
    return None if x is None else {"median": x, "min": x, "max": x, "n": 1}


def stat_str(runs: list[dict], key: str) -> str:
    """:func:`fmt_range` of ``key`` over the runs that have it; a dash if none."""
    values = [r[key] for r in runs if key in r]
    return fmt_range(summarize(values)) if values else "-"


def records(section: str, item: str, config: str, stats: dict) -> list[dict]:
    """CSV records (one per metric) of one item; metrics without a value are left out."""
    return [
        {"section": section, "item": item, "config": config, "metric": metric, **value}
        for metric, value in stats.items()
        if value is not None
    ]


def measured(section: dict) -> str:
    """When and on what a section was measured: sections are re-measured separately."""
    parts = [f"Measured {section.get('date', '?')}"]
    if section.get("commit"):
        parts.append(f"at commit {section['commit']}")
    if section.get("load_average") is not None:
        parts.append(f"load average at start {section['load_average']}")
    if section.get("load_average_end") is not None:
        parts.append(f"at end {section['load_average_end']}")
    text = ", ".join(parts) + "."
    for update in section.get("updates", []):
        items = ", ".join(update.get("items", []))
        text += (
            f" Re-measured {update.get('date')}: {items} (commit {update.get('commit')}, "
            f"load average at start {update.get('load_average')})."
        )
    return text


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
        "load_average": load_average(),
        "os": platform.platform(),
        "python": platform.python_version(),
        "compiler": compiler,
        "packages": packages,
    }


def load_average() -> list[float]:
    """The 1, 5 and 15 minute load averages, rounded: recorded with every measurement."""
    return [round(x, 2) for x in os.getloadavg()]


def run_worker(arguments: list[str], env: dict[str, str], timeout: float) -> dict:
    """Run ``python -m bench worker-... ARGS`` in a fresh process; return its JSON result.

    The worker prints its result as the last line of stdout; a failure becomes
    ``{"error": ...}`` so that one broken measurement does not stop the run.
    """
    command = [sys.executable, "-m", "bench", *arguments]
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


def commit() -> str:
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


def fill(template: str, **values: object) -> str:
    """bench/templates/<template>.md with its ``$placeholders`` filled, without the blank
    lines around it. A missing value raises KeyError: the prose and its numbers stay in
    step."""
    text = (TEMPLATES / f"{template}.md").read_text()
    return string.Template(text).substitute({k: str(v) for k, v in values.items()}).strip()
