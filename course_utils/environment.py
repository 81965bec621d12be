"""Check that a student's environment can run the course (used by lesson 00).

:func:`environment_report` returns one row per check with a status and a detail; every
row must say ``ok`` before the lessons can be trusted to run as written.
"""

from __future__ import annotations

import functools
import hashlib
import importlib.metadata
import json
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import pandas as pd
from packaging.requirements import Requirement

__all__ = [
    "KEY_PACKAGES",
    "METADATA_KEY",
    "code_generation",
    "environment_report",
    "pinned_versions",
    "stored_code_generation",
]

#: The packages whose versions the report lists, in the order shown.
KEY_PACKAGES: tuple[str, ...] = (
    "pymc",
    "pytensor",
    "nutpie",
    "arviz",
    "bambi",
    "statsmodels",
    "numpy",
    "scipy",
    "pandas",
    "matplotlib",
    "ipywidgets",
    "jupyterlab",
    "nbgrader",
)

MIN_PYTHON = (3, 12)


def pinned_versions() -> dict[str, str]:
    """The exact versions pinned in the course's pyproject.toml, from installed metadata."""
    pins = {}
    for line in importlib.metadata.requires("course-utils") or []:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == "==":
                pins[requirement.name.lower()] = spec.version
    return pins


def _installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _check_python() -> tuple[bool, str]:
    version = ".".join(str(part) for part in sys.version_info[:3])
    wanted = ".".join(str(part) for part in MIN_PYTHON)
    return sys.version_info[:2] >= MIN_PYTHON, f"{version} (needs >= {wanted})"


def _check_package(name: str, pins: dict[str, str]) -> tuple[bool, str]:
    installed = _installed(name)
    pinned = pins.get(name)
    if installed is None:
        return False, f"not installed (course pins {pinned}); run `make lab` again"
    if pinned is not None and installed != pinned:
        return False, f"{installed}, but the course pins {pinned}; run `make lab` again"
    return True, installed


def _check_compiler() -> tuple[bool, str]:
    import pytensor

    compiler = pytensor.config.cxx  # type: ignore[attr-defined]
    if compiler and shutil.which(compiler):
        return True, "found"
    return False, "no C++ compiler: install g++ (Debian/Ubuntu: apt-get install g++)"


def _check_widgets() -> tuple[bool, str]:
    try:
        import ipywidgets
    except ImportError:
        return False, "ipywidgets is not installed"
    frontend = _installed("jupyterlab_widgets")
    if frontend is None:
        return False, "JupyterLab's widget extension (jupyterlab_widgets) is missing"
    ipywidgets.IntSlider()  # builds a widget model, as a lesson does
    return True, f"ipywidgets {ipywidgets.__version__}, lab extension {frontend}"


def _check_data() -> tuple[bool, str]:
    from course_utils.data import DataFileError, validate_all

    try:
        files = validate_all()
    except DataFileError as err:
        return False, str(err)
    return True, f"{len(files)} files valid"


def code_generation() -> dict[str, str]:
    """What the machine code of the course's samplers depends on, on this machine.

    NUTS draws (nutpie, through Numba and LLVM) depend on the CPU the code is compiled
    for: its name and instruction-set features (FMA, vector width) decide the order and
    rounding of floating-point operations. ``NUMBA_CPU_NAME`` / ``NUMBA_CPU_FEATURES``
    override them, as Numba does.

    Returns
    -------
    dict
        ``cpu`` (LLVM's name for the target CPU, e.g. ``znver4`` or ``generic``),
        ``features`` (a short hash of its feature string) and ``numba`` (its version).
    """
    import numba
    from llvmlite import binding
    from numba.core import config

    cpu = config.CPU_NAME or binding.get_host_cpu_name()  # type: ignore[attr-defined]
    features = config.CPU_FEATURES  # type: ignore[attr-defined]
    if features is None:
        features = binding.get_host_cpu_features().flatten()
    digest = hashlib.sha256(features.encode()).hexdigest()[:12]
    return {"cpu": cpu, "features": digest, "numba": numba.__version__}


#: Where ``make solutions`` stores each solution's code generation (notebook metadata).
METADATA_KEY = "course"


def stored_code_generation(solutions: Path | None = None) -> list[dict[str, str]]:
    """The code generations that executed the stored solution outputs (usually one).

    Reads ``metadata.course.executed_on`` of every notebook under ``solutions/`` of the
    course's repository (found next to this package); an empty list when there is none.
    """
    folder = solutions or Path(__file__).resolve().parent.parent / "solutions"
    found = []
    for path in sorted(folder.glob("*/*.ipynb")):
        try:
            metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
        except (OSError, ValueError):
            continue
        executed_on = metadata.get(METADATA_KEY, {}).get("executed_on")
        if executed_on and executed_on not in found:
            found.append(executed_on)
    return found


def _check_draws() -> tuple[bool, str]:
    here = code_generation()
    stored = stored_code_generation()
    if not stored:
        return True, f"this CPU: {here['cpu']}; no stored solution outputs found to compare"
    if stored == [here]:
        return True, f"same CPU ({here['cpu']}) as the stored outputs: MCMC draws match them"
    others = ", ".join(sorted({entry["cpu"] for entry in stored}))
    return True, (
        f"this CPU ({here['cpu']}) is not the one that stored the outputs ({others}): numbers "
        "from MCMC draws will differ in their last digits; the checks allow for it"
    )


def environment_report() -> pd.DataFrame:
    """Check Python, key package versions, the C compiler, widgets and the data files.

    Returns
    -------
    pandas.DataFrame
        Columns ``check``, ``status`` (``"ok"`` or ``"PROBLEM"``) and ``detail``; one row
        for Python, one per package in :data:`KEY_PACKAGES`, and one each for the C++
        compiler pytensor uses, ipywidgets, the data files, and whether this machine's
        MCMC draws match the stored outputs (informative: always ``ok``).
    """
    pins = pinned_versions()
    checks: list[tuple[str, Callable[[], tuple[bool, str]]]] = [("Python", _check_python)]
    checks += [(name, functools.partial(_check_package, name, pins)) for name in KEY_PACKAGES]
    checks += [
        ("C++ compiler for pytensor", _check_compiler),
        ("widgets", _check_widgets),
        ("data files", _check_data),
        ("MCMC draws", _check_draws),
    ]
    rows = []
    for label, check in checks:
        ok, detail = check()
        rows.append((label, "ok" if ok else "PROBLEM", detail))
    return pd.DataFrame(rows, columns=["check", "status", "detail"])
