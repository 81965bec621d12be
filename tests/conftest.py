"""Shared test setup: the repository's root and the lecture's tutoring data.

``tools`` is a package at the repository's root, importable as ``from tools import ...``
(pytest's ``pythonpath`` setting in pyproject.toml puts the root first, as ``python -m``
does). Tests marked ``slow`` (MCMC, whole studies; minutes) can be left out with
``-m "not slow"``.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from course_utils.data import load_tutoring
from tools.notebooks import ROOT as REPOSITORY_ROOT


@pytest.fixture(scope="session")
def root() -> Path:
    """The top folder of the repository."""
    return REPOSITORY_ROOT


@pytest.fixture(scope="session")
def tutoring() -> pd.DataFrame:
    """The lecture's tutoring data (24 students, 6 sites). Shared by every test: copy it
    (``tutoring.copy()``, ``tutoring.assign(...)``) before changing anything."""
    return load_tutoring()
