"""The *setup* section (``--setup``): ``make setup`` on a fresh clone with a warm pip cache,
and the size of the venv it makes."""

from __future__ import annotations

import argparse
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import ROOT, fill, log, records, single


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
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


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/setup.md) and its CSV records."""
    r = section["data"]
    recs = records(
        "setup",
        "make setup",
        "-",
        {"wall_s": single(r["make_setup_s"]), "venv_mb": single(r["venv_mb"])},
    )
    text = fill(
        "setup",
        commit=r["commit"],
        wall=f"{r['make_setup_s']:.0f}",
        exit_code=r["exit_code"],
        venv_mb=f"{r['venv_mb']:.0f}",
        date=section.get("date"),
    )
    return text, recs
