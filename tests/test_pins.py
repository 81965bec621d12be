"""The pins live in pyproject.toml; the lock, environment.yml and the venv must agree."""

from __future__ import annotations

import importlib.metadata
import re
import subprocess
import sys
import tomllib

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from tools.notebooks import ROOT

PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


BENCH_EXTRAS = PYPROJECT["tool"]["course"].get("bench-extras", [])


def pyproject_requirements(bench: bool = False) -> list[Requirement]:
    """The dependencies and the course extras; with ``bench``, only the bench extras."""
    project = PYPROJECT["project"]
    lines = [] if bench else list(project["dependencies"])
    for name, extra in project["optional-dependencies"].items():
        if (name in BENCH_EXTRAS) == bench:
            lines += extra
    return [Requirement(line) for line in lines]


def lock_entries(name: str = "requirements.lock") -> dict[str, tuple[str, Marker | None]]:
    """Name -> (version, marker) for every line of a lock file."""
    entries = {}
    for line in (ROOT / name).read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement = Requirement(line)
        (spec,) = requirement.specifier
        assert spec.operator == "==", f"lock line not pinned exactly: {line}"
        entries[canonicalize_name(requirement.name)] = (spec.version, requirement.marker)
    return entries


def test_every_direct_dependency_is_pinned_exactly():
    for requirement in pyproject_requirements() + pyproject_requirements(bench=True):
        specs = list(requirement.specifier)
        assert len(specs) == 1 and specs[0].operator == "==", (
            f"pyproject.toml: {requirement} is not pinned with =="
        )


def test_lock_holds_the_same_version_of_every_direct_pin():
    lock = lock_entries()
    for requirement in pyproject_requirements():
        name = canonicalize_name(requirement.name)
        assert name in lock, f"requirements.lock lacks {name}: run `make lock`"
        (spec,) = requirement.specifier
        assert lock[name][0] == spec.version, (
            f"{name}: pyproject.toml pins {spec.version}, requirements.lock has "
            f"{lock[name][0]}: run `make lock`"
        )


def test_bench_lock_holds_the_bench_pins_and_agrees_with_the_course_lock():
    """pystan and co. live in requirements-bench.lock only, resolved against the course lock."""
    if not BENCH_EXTRAS:
        pytest.skip("no bench extras")
    course, bench = lock_entries(), lock_entries("requirements-bench.lock")
    for requirement in pyproject_requirements(bench=True):
        name = canonicalize_name(requirement.name)
        (spec,) = requirement.specifier
        assert bench.get(name, (None,))[0] == spec.version, f"{name}: run `make lock`"
        assert name not in course, f"{name} is benchmark-only: it must not be in requirements.lock"
    for name, (version, _) in bench.items():
        if name in course:
            assert course[name][0] == version, f"{name}: the two locks disagree"


def test_environment_yml_is_generated_from_pyproject():
    result = subprocess.run(
        [sys.executable, "-m", "tools.lock", "--check"], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_environment_yml_names_the_same_python_and_pins():
    text = (ROOT / "environment.yml").read_text()
    lock_python = PYPROJECT["tool"]["course"]["lock-python"]
    assert re.search(rf"^\s+- python={re.escape(lock_python)}$", text, re.MULTILINE)
    assert f"{lock_python}.0" in SpecifierSet(PYPROJECT["project"]["requires-python"])
    for requirement in pyproject_requirements():
        assert f"- {requirement}\n" in text, f"environment.yml lacks {requirement}"


def test_lock_was_resolved_for_supported_pythons():
    lock_python = PYPROJECT["tool"]["course"]["lock-python"]
    assert PYPROJECT["project"]["requires-python"] == f">={lock_python}"


@pytest.mark.skipif(sys.prefix == sys.base_prefix, reason="not running in a virtualenv")
def test_installed_packages_match_the_lock():
    """The environment running the tests is the locked one (catches a stale .venv)."""
    mismatched = []
    for name, (version, marker) in lock_entries().items():
        if marker is not None and not marker.evaluate():
            continue
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            mismatched.append(f"{name}: not installed (lock {version})")
            continue
        if installed != version:
            mismatched.append(f"{name}: installed {installed}, lock {version}")
    assert not mismatched, "venv differs from requirements.lock:\n" + "\n".join(mismatched)
