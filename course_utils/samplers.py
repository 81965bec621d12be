"""Samplers written for teaching: random-walk Metropolis.

:func:`random_walk_metropolis` is the reference implementation behind the one students
write in lesson 4 and behind the eight-schools sampler of lesson 5.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from course_utils import validation

__all__ = ["MAX_DRAWS", "MetropolisResult", "random_walk_metropolis"]

#: Most draws one call returns (80 MB per coordinate; minutes of Python).
MAX_DRAWS = 10_000_000


@dataclass(frozen=True)
class MetropolisResult:
    """Draws of a random-walk Metropolis chain and its acceptance rate."""

    draws: npt.NDArray[np.float64]  #: shape (n_draws, dimension); the start is not included
    acceptance_rate: float  #: fraction of proposals accepted


def _proposal_factor(proposal: npt.ArrayLike, dimension: int) -> npt.NDArray[np.float64]:
    """Cholesky factor of the proposal covariance from a scale, scales or a covariance."""
    matrix = validation.real_array("proposal", proposal, ndim=(0, 1, 2))
    if matrix.ndim == 0 or matrix.ndim == 1:
        scales = np.broadcast_to(matrix, (dimension,)) if matrix.ndim == 0 else matrix
        if scales.shape != (dimension,):
            raise ValueError(
                f"proposal scales must have length {dimension} (the dimension), "
                f"got {scales.shape[0]}."
            )
        if (scales <= 0).any():
            raise ValueError("proposal scale must be positive.")
        return np.diag(scales)
    if matrix.shape != (dimension, dimension):
        raise ValueError(
            f"proposal covariance must be {dimension} x {dimension}, got {matrix.shape}."
        )
    if not np.allclose(matrix, matrix.T):
        raise ValueError("proposal covariance must be symmetric.")
    try:
        return np.linalg.cholesky(matrix)
    except np.linalg.LinAlgError as err:
        raise ValueError("proposal covariance must be positive definite.") from err


def random_walk_metropolis(
    log_density: Callable[[npt.NDArray[np.float64]], float],
    start: npt.ArrayLike,
    proposal: npt.ArrayLike,
    n_draws: int,
    rng: np.random.Generator,
) -> MetropolisResult:
    """Random-walk Metropolis with a normal proposal centred at the current point.

    Parameters
    ----------
    log_density : callable
        Log of an unnormalized density; takes a 1-d array (the point), returns a float
        (``-inf`` outside the support).
    start : float or array_like
        Starting point, where ``log_density`` must be finite.
    proposal : float, array_like or 2-d array
        Proposal standard deviation (one for all coordinates, or one per coordinate), or
        a proposal covariance matrix.
    n_draws : int
        Number of draws to return (after the start).
    rng : numpy.random.Generator
        Source of randomness.

    Returns
    -------
    MetropolisResult
        ``draws`` of shape (n_draws, dimension) and ``acceptance_rate``.

    Raises
    ------
    TypeError
        If ``log_density`` is not a function or returns something other than a number,
        ``start`` or ``proposal`` hold non-numbers, ``n_draws`` is not an integer or
        ``rng`` not a Generator.
    ValueError
        For an empty start or one where the density is not finite, a non-positive scale,
        a covariance of the wrong shape or not positive definite, ``n_draws`` below 1,
        or a log density that is NaN or ``+inf`` anywhere the chain proposes (the
        chain would reject or stick there without saying so).
    """
    validation.function("log_density", log_density)
    validation.generator("rng", rng)
    n_draws = validation.count("n_draws", n_draws, minimum=1, maximum=MAX_DRAWS)
    current = np.atleast_1d(validation.real_array("start", start, ndim=(0, 1))).copy()
    factor = _proposal_factor(proposal, current.size)
    current_log = _evaluate(log_density, current)
    if not math.isfinite(current_log):
        raise ValueError("start: the log density is not finite there.")
    draws = np.empty((n_draws, current.size))
    steps = rng.standard_normal((n_draws, current.size)) @ factor.T
    log_uniforms = np.log(rng.random(n_draws))
    accepted = 0
    for i in range(n_draws):
        candidate = current + steps[i]
        candidate_log = _evaluate(log_density, candidate)
        if log_uniforms[i] < candidate_log - current_log:
            current, current_log = candidate, candidate_log
            accepted += 1
        draws[i] = current
    return MetropolisResult(draws=draws, acceptance_rate=accepted / n_draws)


def _evaluate(log_density: Callable[[npt.NDArray[np.float64]], Any], point: Any) -> float:
    """``log_density(point)`` as a float; NaN and ``+inf`` are errors (``-inf``, outside
    the support, is not)."""
    value = log_density(point)
    if type(value) is float:  # the common case, fast
        number = value
    elif validation.is_real_number(value) or (
        isinstance(value, np.ndarray) and value.size == 1 and value.dtype.kind in "iuf"
    ):
        number = float(np.asarray(value).reshape(()))
    else:
        raise TypeError(
            f"log_density must return a number, got {validation.describe(value)} at {point}."
        )
    if math.isnan(number) or number == math.inf:
        raise ValueError(f"log_density returned {number} at {point}: it must be finite or -inf.")
    return number
