"""Simulation study of lesson 2: do the Wald and likelihood-ratio tests keep their level?

Many experiments are simulated from the tutoring design with **no** effect of the method
(``beta_method = 0``); the mixed logit is fitted to each (Laplace) and both tests are run
at level ``alpha``. A test that keeps its nominal level rejects in about ``alpha`` of the
experiments.

Details that affect the rates, on purpose:

* a simulated design in which every student got the same method has no effect to test;
  it is redrawn (with 4 students a site and 6 sites the chance is about 1 in 8 million),
  at most :data:`MAX_REDRAWS` times;
* a test whose p-value is undefined (a NaN standard error: the Hessian was not positive
  definite, which happens when a site or a method is separated) counts as not rejecting,
  as an analyst reading "p = NaN" would; their number is reported in ``undefined``;
* fits are kept whatever their convergence flag, as a routine analysis would keep them.

The study takes about two and a half minutes, so lesson 2 loads the cached result from
``data/null_rejection_study.csv`` (:func:`load_null_rejection_study`), and a test
recomputes it with the recorded settings.

Rebuild the cache with ``python -m course_utils.studies``.
"""

from __future__ import annotations

import warnings
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from course_utils import validation
from course_utils.data import DataFileError, data_dir
from course_utils.exceptions import ModelWarning
from course_utils.glmm import glmer, lrt
from course_utils.simulate import MAX_STUDENTS, simulate_tutoring

__all__ = [
    "FULL",
    "MAX_REDRAWS",
    "MAX_SIMS",
    "NULL",
    "STUDY_FILE",
    "StudySettings",
    "load_null_rejection_study",
    "main",
    "null_rejection_study",
]

STUDY_FILE = "null_rejection_study.csv"
FULL = "passed ~ method + (1 | site_id)"
NULL = "passed ~ 1 + (1 | site_id)"
#: Most designs drawn for one experiment before giving up on one that uses both methods
#: (with 2 students the chance of 1000 one-method designs in a row is 2^-1000).
MAX_REDRAWS = 1000
#: Most simulated experiments per number of sites (each is two fits, ~20 ms).
MAX_SIMS = 1_000_000


@dataclass(frozen=True)
class StudySettings:
    """The settings of the cached study (the defaults of :func:`null_rejection_study`)."""

    n_sites: tuple[int, ...] = (6, 12, 24, 48)
    students_per_site: int = 4
    n_sims: int = 1000
    beta_0: float = 0.0
    sigma_site: float = 1.5
    alpha: float = 0.05
    seed: int = 20_261_123

    def __post_init__(self) -> None:
        if isinstance(self.n_sites, str) or not isinstance(self.n_sites, tuple | list):
            raise TypeError(
                f"n_sites must be a tuple of integers, got {validation.describe(self.n_sites)}."
            )
        if not self.n_sites:
            raise ValueError("n_sites must name at least one number of sites, got none.")
        sites = tuple(validation.count("n_sites", n, minimum=1) for n in self.n_sites)
        object.__setattr__(self, "n_sites", sites)
        students = validation.count(
            "students_per_site", self.students_per_site, minimum=1, maximum=MAX_STUDENTS
        )
        if max(sites) * students > MAX_STUDENTS:
            raise ValueError(
                f"n_sites x students_per_site must be at most {MAX_STUDENTS:,}, got "
                f"{max(sites)} x {students}."
            )
        if min(sites) * students < 2:
            raise ValueError(
                f"a design of {min(sites)} site(s) x {students} student(s) has fewer than 2 "
                "students, so it cannot compare the two methods."
            )
        validation.count("n_sims", self.n_sims, minimum=1, maximum=MAX_SIMS)
        validation.real("beta_0", self.beta_0)
        validation.real("sigma_site", self.sigma_site, low=0.0)
        validation.probability("alpha", self.alpha)
        validation.count("seed", self.seed, minimum=0)


def _one_experiment(
    n_sites: int, settings: StudySettings, rng: np.random.Generator
) -> tuple[float, float]:
    """Simulate one null experiment; return the (Wald, LRT) p-values (NaN if undefined)."""
    for _ in range(MAX_REDRAWS):
        frame = simulate_tutoring(
            n_sites, settings.students_per_site, settings.beta_0, 0.0, settings.sigma_site, rng
        )
        if frame["method"].nunique() == 2:  # a design with one method only has no effect to test
            break
    else:
        raise RuntimeError(
            f"{MAX_REDRAWS} simulated designs of {n_sites} sites x "
            f"{settings.students_per_site} students in a row used one method only."
        )
    with warnings.catch_warnings():
        # fits are kept whatever their warnings (separation, zero variance, ...): see above
        warnings.simplefilter("ignore", ModelWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        full, null = glmer(FULL, frame), glmer(NULL, frame)
    return float(full.fixed.loc["method", "p"]), float(lrt(null, full).loc["m1", "p"])


def null_rejection_study(settings: StudySettings | None = None) -> pd.DataFrame:
    """Rejection rates of the Wald and likelihood-ratio tests under a true null effect.

    Parameters
    ----------
    settings : StudySettings, optional
        Design, number of simulated experiments per number of sites, true intercept and
        site SD, test level and seed. The default is the cached study.

    Returns
    -------
    pandas.DataFrame
        One row per number of sites and test (``"Wald"``, ``"LRT"``) with columns
        ``n_sites``, ``test``, ``rejections`` (p < alpha), ``undefined`` (p is NaN, counted
        as not rejecting), ``n_sims``, ``rate`` and ``mcse`` (the Monte Carlo standard
        error of the rate, sqrt(rate (1 - rate) / n_sims)).
    """
    settings = StudySettings() if settings is None else settings
    validation.instance("settings", settings, StudySettings)
    streams = np.random.SeedSequence(settings.seed).spawn(len(settings.n_sites))
    rows = []
    for n_sites, stream in zip(settings.n_sites, streams, strict=True):
        rng = np.random.default_rng(stream)
        p_values = np.array(
            [_one_experiment(n_sites, settings, rng) for _ in range(settings.n_sims)]
        )
        for column, test in enumerate(("Wald", "LRT")):
            p = p_values[:, column]
            rejections = int(np.sum(p < settings.alpha))  # NaN compares False
            rows.append((n_sites, test, rejections, int(np.isnan(p).sum()), settings.n_sims))
    columns = ["n_sites", "test", "rejections", "undefined", "n_sims"]
    table = pd.DataFrame(rows, columns=columns)
    table["rate"] = table["rejections"] / table["n_sims"]
    table["mcse"] = np.sqrt(table["rate"] * (1 - table["rate"]) / table["n_sims"])
    return table


def load_null_rejection_study() -> pd.DataFrame:
    """The cached result of :func:`null_rejection_study` with the default settings.

    Raises
    ------
    DataFileError
        If the file is missing or does not hold one row per number of sites and test.
    """
    path = data_dir() / STUDY_FILE
    if not path.is_file():
        raise DataFileError(
            f"{path}: cached study is missing; rebuild it with `python -m course_utils.studies`."
        )
    table = pd.read_csv(path)
    expected = ["n_sites", "test", "rejections", "undefined", "n_sims", "rate", "mcse"]
    settings = StudySettings()
    if list(table.columns) != expected or len(table) != 2 * len(settings.n_sites):
        raise DataFileError(f"{path}: expected columns {expected} and 8 rows; rebuild it.")
    if (table["n_sims"] != settings.n_sims).any():
        raise DataFileError(f"{path}: made with other settings than {asdict(settings)}.")
    return table


def main() -> None:
    """Recompute the study with the default settings and write the cache."""
    table = null_rejection_study()
    path = data_dir() / STUDY_FILE
    table.to_csv(path, index=False, lineterminator="\n", float_format="%.6g")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
