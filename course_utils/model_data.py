"""The data of each course model, checked and turned into the arrays a model computes with.

One place for the preparation that several modules share: the PyMC models
(:mod:`course_utils.models`), the exact posteriors (:mod:`course_utils.tutoring_posterior`,
:mod:`course_utils.hierarchical_normal`) and the benchmark all read their data through
these functions, so they agree on what valid data are. This module needs only numpy and
pandas (no PyMC).
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt
import pandas as pd

from course_utils import validation
from course_utils.data import CHANNEL_LEVELS, PROMO_LEVELS

__all__ = [
    "ESTIMATE_LIMIT",
    "SEASON_PASS_COLUMNS",
    "TUTORING_COLUMNS",
    "GroupEstimates",
    "SeasonPassArrays",
    "TutoringArrays",
    "group_estimates",
    "season_pass_arrays",
    "tutoring_arrays",
]

#: Columns the tutoring models need in their data frame.
TUTORING_COLUMNS = ("site_id", "method", "passed")
#: Columns of the season-pass binomial table (``load_season_pass(grouped=True)``).
SEASON_PASS_COLUMNS = ("promo", "channel", "bought", "n")
#: Largest |y| and sigma (and smallest sigma is its inverse) that the normal hierarchical
#: model accepts: its formulas square them, and 1e300 squared overflows. The model is
#: scale-equivariant, so rescaled data (other units) give the same answer.
ESTIMATE_LIMIT = 1e50


class TutoringArrays(NamedTuple):
    """The tutoring data as arrays, one entry per student."""

    site_index: npt.NDArray[np.int64]  #: 0-based site of each student
    method: npt.NDArray[np.int64]  #: 0 (old) or 1 (new)
    passed: npt.NDArray[np.int64]  #: 0 or 1
    sites: list[Any]  #: the site labels, sorted; ``sites[site_index[i]]`` is row i's


def tutoring_arrays(data: pd.DataFrame) -> TutoringArrays:
    """Check a tutoring data frame (columns :data:`TUTORING_COLUMNS`, one row per student)
    and return its arrays.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame.
    ValueError
        If it has no rows, lacks a column, has missing values, or ``method`` or
        ``passed`` is not 0/1.
    """
    validation.data_frame("data", data, TUTORING_COLUMNS)
    arrays = {}
    for column in ("method", "passed"):
        values = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
        if not np.isin(values, (0.0, 1.0)).all():
            raise ValueError(f"data: column {column!r} must be binary 0/1.")
        arrays[column] = values.astype(np.int64)
    site_index, sites = pd.factorize(data["site_id"], sort=True)
    return TutoringArrays(
        site_index.astype(np.int64), arrays["method"], arrays["passed"], sites.tolist()
    )


class SeasonPassArrays(NamedTuple):
    """The season-pass binomial table as arrays, one entry per row."""

    bundle: npt.NDArray[np.int64]  #: 1 for the Bundle promotion, 0 for NoBundle
    channel_index: npt.NDArray[np.int64]  #: index into ``CHANNEL_LEVELS``
    bought: npt.NDArray[np.int64]  #: passes bought
    n: npt.NDArray[np.int64]  #: customer contacts


def season_pass_arrays(grouped: pd.DataFrame) -> SeasonPassArrays:
    """Check the binomial table of season passes (columns :data:`SEASON_PASS_COLUMNS`)
    and return its arrays.

    Raises
    ------
    TypeError
        If ``grouped`` is not a DataFrame.
    ValueError
        If it has no rows, lacks a column, has missing values, an unknown promotion or
        channel, ``n`` that are not positive whole numbers or ``bought`` outside 0..n.
    """
    validation.data_frame("grouped", grouped, SEASON_PASS_COLUMNS)
    promo = grouped["promo"].astype(str)
    channel = grouped["channel"].astype(str)
    if not promo.isin(PROMO_LEVELS).all():
        raise ValueError(f"grouped: promo must be one of {PROMO_LEVELS}.")
    if not channel.isin(CHANNEL_LEVELS).all():
        raise ValueError(f"grouped: channel must be one of {CHANNEL_LEVELS}.")
    bought = pd.to_numeric(grouped["bought"], errors="coerce").to_numpy(dtype=float)
    n = pd.to_numeric(grouped["n"], errors="coerce").to_numpy(dtype=float)
    if not (np.isfinite(n).all() and (n >= 1).all() and (n == np.round(n)).all()):
        raise ValueError("grouped: n must be positive whole numbers.")
    if not (np.isfinite(bought).all() and (bought == np.round(bought)).all()):
        raise ValueError("grouped: bought must be whole numbers.")
    if (bought < 0).any() or (bought > n).any():
        raise ValueError("grouped: bought must lie between 0 and n.")
    bundle = (promo == PROMO_LEVELS[1]).to_numpy(dtype=np.int64)
    channel_index = channel.map({c: i for i, c in enumerate(CHANNEL_LEVELS)}).to_numpy()
    return SeasonPassArrays(
        bundle, channel_index.astype(np.int64), bought.astype(np.int64), n.astype(np.int64)
    )


class GroupEstimates(NamedTuple):
    """Estimates and their known standard errors, one per group (the eight schools)."""

    y: npt.NDArray[np.float64]
    sigma: npt.NDArray[np.float64]


def group_estimates(y: npt.ArrayLike, sigma: npt.ArrayLike, min_groups: int = 2) -> GroupEstimates:
    """Check estimates ``y`` and standard errors ``sigma`` (1-d, same length, at least
    ``min_groups``; finite; sigma positive; magnitudes within :data:`ESTIMATE_LIMIT`).

    Raises
    ------
    TypeError
        If either holds something other than numbers.
    ValueError
        For another shape or length, too few groups, NaN or infinite values, a
        non-positive sigma, or values too large or small to square.
    """
    min_groups = validation.count("min_groups", min_groups, minimum=1)
    y_array = validation.real_array("y", y, ndim=1)
    sigma_array = validation.real_array(
        "sigma", sigma, ndim=1, low=0.0, low_open=True, what="positive and finite"
    )
    if y_array.shape != sigma_array.shape:
        raise ValueError(
            f"y and sigma must have the same length, got {y_array.size} and {sigma_array.size}."
        )
    if y_array.size < min_groups:
        raise ValueError(f"need at least {min_groups} groups, got {y_array.size}.")
    limit = ESTIMATE_LIMIT
    if np.abs(y_array).max() > limit or sigma_array.max() > limit or sigma_array.min() < 1 / limit:
        raise ValueError(
            f"y and sigma must lie within {limit:g} in magnitude (sigma above {1 / limit:g}); "
            f"got |y| up to {np.abs(y_array).max():.3g} and sigma from {sigma_array.min():.3g} "
            f"to {sigma_array.max():.3g}: rescale the data (other units give the same answer)."
        )
    return GroupEstimates(y_array, sigma_array)
