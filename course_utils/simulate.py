"""Simulate the tutoring experiment of lesson 1: a mixed logit with one intercept per site.

The design: ``n_sites`` tutoring sites, ``students_per_site`` students in each, every
student randomly assigned to the old (0) or the new (1) method with probability 1/2. The
data-generating process:

    u_s ~ Normal(0, sigma_site)
    logit p_i = beta_0 + beta_method * method_i + u_site(i)
    passed_i ~ Bernoulli(p_i)
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import special

from course_utils import validation

__all__ = ["MAX_STUDENTS", "simulate_tutoring"]

#: Most students (n_sites x students_per_site) one simulated experiment may have.
MAX_STUDENTS = 10_000_000


def simulate_tutoring(
    n_sites: int,
    students_per_site: int,
    beta_0: float,
    beta_method: float,
    sigma_site: float,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Simulate one tutoring experiment.

    Parameters
    ----------
    n_sites, students_per_site : int
        Size of the design (positive integers).
    beta_0 : float
        Log-odds of passing with the old method at an average site.
    beta_method : float
        Effect of the new method on the log-odds scale (0 = no effect).
    sigma_site : float
        Standard deviation of the site intercepts (>= 0).
    rng : numpy.random.Generator or int or None
        Source of randomness, or a seed for ``numpy.random.default_rng``.

    Returns
    -------
    pandas.DataFrame
        Columns ``site_id`` (1..n_sites), ``student_id`` (1..n), ``method`` (0/1) and
        ``passed`` (0/1), all int64, like :func:`course_utils.data.load_tutoring`.
        The true site intercepts are in ``frame.attrs["site_effects"]``.

    Raises
    ------
    TypeError
        If a size is not an integer, a parameter not a number, or ``rng`` neither a
        Generator, a seed nor None.
    ValueError
        If a size is below 1 (or the design above :data:`MAX_STUDENTS` students), a
        parameter is not finite, or ``sigma_site`` is negative.
    """
    n_sites = validation.count("n_sites", n_sites, minimum=1)
    students_per_site = validation.count("students_per_site", students_per_site, minimum=1)
    if n_sites * students_per_site > MAX_STUDENTS:
        raise ValueError(
            f"n_sites x students_per_site must be at most {MAX_STUDENTS:,}, got "
            f"{n_sites} x {students_per_site}."
        )
    beta_0 = validation.real("beta_0", beta_0)
    beta_method = validation.real("beta_method", beta_method)
    sigma_site = validation.real("sigma_site", sigma_site, low=0.0)
    generator = validation.seed_or_generator("rng", rng)
    site = np.repeat(np.arange(1, n_sites + 1), students_per_site)
    method = generator.integers(0, 2, size=site.size)
    site_effects = generator.normal(0.0, sigma_site, size=n_sites)
    probability = special.expit(beta_0 + beta_method * method + site_effects[site - 1])
    passed = (generator.random(site.size) < probability).astype("int64")
    frame = pd.DataFrame(
        {
            "site_id": site.astype("int64"),
            "student_id": np.arange(1, site.size + 1, dtype="int64"),
            "method": method.astype("int64"),
            "passed": passed,
        }
    )
    frame.attrs["site_effects"] = site_effects
    return frame
