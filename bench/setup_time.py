"""The *setup* section (``--setup``): ``make setup`` on a fresh clone with a warm pip cache,
in two steps: the venv (``SKIP_WARMUP=1``; its size) and then the warm-up of the compile
caches (tools/warm_caches.py), into empty caches as on a new machine."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, cache_env, fill, load_average, log, records, single


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """`make setup` in a fresh clone (warm pip cache): the venv, then the warm-up into
    empty compile caches; their times and the venv's size."""
    clone = scratch / "clone"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    env = cache_env(scratch / "setup-caches")  # empty: a new machine's first warm-up
    env.pop("PYTHONWARNINGS", None)
    start = time.perf_counter()
    venv = subprocess.run(
        ["make", "setup", "SKIP_WARMUP=1"], cwd=clone, capture_output=True, text=True, env=env
    )
    venv_s = time.perf_counter() - start
    start = time.perf_counter()
    warm = subprocess.run(["make", "setup"], cwd=clone, capture_output=True, text=True, env=env)
    warm_s = time.perf_counter() - start
    size = subprocess.run(["du", "-sm", str(clone / ".venv")], capture_output=True, text=True)
    result = {
        "make_setup_s": venv_s + warm_s,
        "venv_s": venv_s,
        "warm_up_s": warm_s,
        "exit_code": venv.returncode or warm.returncode,
        "warm_up_output": warm.stdout.strip().splitlines()[-5:],
        "venv_mb": float(size.stdout.split()[0]) if size.returncode == 0 else None,
        "commit": subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=clone, capture_output=True, text=True
        ).stdout.strip(),
        "load_average_end": load_average(),
    }
    shutil.rmtree(clone, ignore_errors=True)
    log(f"setup: {result}")
    return result


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/setup.md) and its CSV records."""
    r = section["data"]
    recs = records(
        "setup",
        "make setup",
        "-",
        {
            "wall_s": single(r["make_setup_s"]),
            "venv_s": single(r.get("venv_s")),
            "warm_up_s": single(r.get("warm_up_s")),
            "venv_mb": single(r["venv_mb"]),
        },
    )
    text = fill(
        "setup",
        commit=r["commit"],
        wall=f"{r['make_setup_s']:.0f}",
        steps=(
            f" = {r['venv_s']:.0f} s for the venv + {r['warm_up_s']:.0f} s warming the "
            "compile caches (from empty caches)"
            if "warm_up_s" in r
            else " (the venv only: measured before the warm-up existed)"
        ),
        exit_code=r["exit_code"],
        venv_mb=f"{r['venv_mb']:.0f}",
        date=section.get("date"),
    )
    return text, recs
