"""Samplers written for teaching: random-walk Metropolis.

:func:`random_walk_metropolis` is the reference implementation behind the one students
write in lesson 4 and behind the eight-schools sampler of lesson 5.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = ["MetropolisResult", "random_walk_metropolis"]


@dataclass(frozen=True)
class MetropolisResult:
    """Draws of a random-walk Metropolis chain and its acceptance rate."""

    draws: np.ndarray  #: shape (n_draws, dimension); the start is not included
    acceptance_rate: float  #: fraction of proposals accepted


def _proposal_factor(proposal, dimension: int) -> np.ndarray:
    """Cholesky factor of the proposal covariance from a scale, scales or a covariance."""
    matrix = np.asarray(proposal, dtype=float)
    if not np.isfinite(matrix).all():
        raise ValueError("proposal must be finite.")
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
    log_density: Callable[[np.ndarray], float],
    start,
    proposal,
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
    ValueError
        For a start where the density is not finite, a non-positive scale, a covariance
        of the wrong shape or not positive definite, a bad ``n_draws`` or ``rng``.
    """
    if not isinstance(rng, np.random.Generator):
        raise ValueError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}.")
    if isinstance(n_draws, bool) or not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
        raise ValueError(f"n_draws must be a positive integer, got {n_draws!r}.")
    current = np.atleast_1d(np.asarray(start, dtype=float)).copy()
    if current.ndim != 1:
        raise ValueError(f"start must be a number or a 1-d array, got shape {current.shape}.")
    factor = _proposal_factor(proposal, current.size)
    current_log = float(log_density(current))
    if not np.isfinite(current_log):
        raise ValueError("start: the log density is not finite there.")
    draws = np.empty((n_draws, current.size))
    steps = rng.standard_normal((n_draws, current.size)) @ factor.T
    log_uniforms = np.log(rng.random(n_draws))
    accepted = 0
    for i in range(n_draws):
        candidate = current + steps[i]
        candidate_log = float(log_density(candidate))
        if log_uniforms[i] < candidate_log - current_log:
            current, current_log = candidate, candidate_log
            accepted += 1
        draws[i] = current
    return MetropolisResult(draws=draws, acceptance_rate=accepted / n_draws)
