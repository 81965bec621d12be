r"""The unnormalizable posterior of lesson 3: Bernoulli data with a non-conjugate prior.

The prior family has density proportional to

.. math::

    \pi^{a-1} (1-\pi)^{b-1} e^{-k \pi^2}, \qquad 0 \le \pi \le 1,

with :math:`a = b = 2, k = 1` the lecture's prior :math:`\pi(1-\pi)e^{-\pi^2}`. After
``heads`` successes and ``tails`` failures the posterior is proportional to
:math:`\pi^{h+a-1} (1-\pi)^{t+b-1} e^{-k\pi^2}`, whose normalizing constant has no closed
form. The functions here compute it by quadrature and on a grid, summarize the posterior,
and measure what a grid costs as the dimension grows.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import integrate, optimize, special

__all__ = [
    "PosteriorCurves",
    "credible_interval",
    "grid_cost",
    "log_kernel",
    "normalizing_constant",
    "posterior_curves",
    "posterior_mean",
]


def _check_data(heads: float, tails: float) -> None:
    for name, value in (("heads", heads), ("tails", tails)):
        if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
            raise ValueError(f"{name} must be a number, got {value!r}.")
        if not math.isfinite(value) or value < 0:
            raise ValueError(f"{name} must be a non-negative finite count, got {value!r}.")


def _check_prior(a: float, b: float, k: float) -> None:
    for name, value in (("a", a), ("b", b)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"prior shape {name} must be positive and finite, got {value!r}.")
    if not math.isfinite(k):
        raise ValueError(f"prior k must be finite, got {k!r}.")


def log_kernel(
    pi, heads: float = 0, tails: float = 0, a: float = 2.0, b: float = 2.0, k: float = 1.0
) -> np.ndarray:
    """Log of the unnormalized posterior (the prior when heads = tails = 0) at ``pi``.

    Returns ``-inf`` outside [0, 1] and where a factor is zero.

    Raises
    ------
    ValueError
        For negative or non-finite counts, non-positive shapes or a non-finite ``k``.
    """
    _check_data(heads, tails)
    _check_prior(a, b, k)
    pi = np.asarray(pi, dtype=float)
    if np.isnan(pi).any():
        raise ValueError("pi contains NaN.")
    inside = (pi >= 0) & (pi <= 1)
    p = np.clip(pi, 0.0, 1.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        value = special.xlogy(heads + a - 1, p) + special.xlog1py(tails + b - 1, -p) - k * p**2
    return np.where(inside, value, -np.inf)


def _integral(lower: float, upper: float, heads, tails, a, b, k) -> float:
    """Adaptive quadrature of the unnormalized posterior from ``lower`` to ``upper``."""
    value, _ = integrate.quad(
        lambda p: math.exp(float(log_kernel(p, heads, tails, a, b, k))),
        lower,
        upper,
        epsabs=0.0,
        epsrel=1e-12,
        limit=200,
    )
    return float(value)


def normalizing_constant(
    heads: float = 0,
    tails: float = 0,
    a: float = 2.0,
    b: float = 2.0,
    k: float = 1.0,
    method: str = "quad",
    n_grid: int = 1000,
) -> float:
    """The integral of the unnormalized posterior over [0, 1].

    Parameters
    ----------
    method : {"quad", "grid"}
        ``"quad"``: scipy's adaptive quadrature (accurate to about 1e-12 relative).
        ``"grid"``: the midpoint rule on ``n_grid`` equal cells.
    """
    if method == "quad":
        return _integral(0.0, 1.0, heads, tails, a, b, k)
    if method == "grid":
        if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 1:
            raise ValueError(f"n_grid must be a positive integer, got {n_grid!r}.")
        midpoints = (np.arange(n_grid) + 0.5) / n_grid
        return float(np.exp(log_kernel(midpoints, heads, tails, a, b, k)).sum() / n_grid)
    raise ValueError(f"method must be 'quad' or 'grid', got {method!r}.")


def posterior_mean(
    heads: float = 0, tails: float = 0, a: float = 2.0, b: float = 2.0, k: float = 1.0
) -> float:
    """Posterior mean of pi, by quadrature: Z(heads + 1) / Z(heads) with one more head."""
    return normalizing_constant(heads + 1, tails, a, b, k) / normalizing_constant(
        heads, tails, a, b, k
    )


def credible_interval(
    heads: float = 0,
    tails: float = 0,
    a: float = 2.0,
    b: float = 2.0,
    k: float = 1.0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Equal-tailed posterior credible interval for pi, by quadrature and root finding."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}.")
    total = normalizing_constant(heads, tails, a, b, k)

    def cdf(x: float) -> float:
        return _integral(0.0, x, heads, tails, a, b, k) / total

    tail = (1 - level) / 2
    low = optimize.brentq(lambda x: cdf(x) - tail, 0.0, 1.0, xtol=1e-12)
    high = optimize.brentq(lambda x: cdf(x) - (1 - tail), 0.0, 1.0, xtol=1e-12)
    return low, high


@dataclass(frozen=True)
class PosteriorCurves:
    """What the lesson-3 widget draws: prior and posterior on a grid over [0, 1]."""

    pi: np.ndarray  #: grid midpoints
    prior: np.ndarray  #: normalized prior density
    unnormalized: np.ndarray  #: unnormalized posterior (prior kernel x likelihood)
    posterior: np.ndarray  #: normalized posterior density
    constant: float  #: normalizing constant of the posterior (grid)
    mean: float  #: posterior mean (grid)


def posterior_curves(
    heads: float,
    tails: float,
    a: float = 2.0,
    b: float = 2.0,
    k: float = 1.0,
    n_grid: int = 400,
) -> PosteriorCurves:
    """Prior, unnormalized and normalized posterior on a midpoint grid of ``n_grid`` cells.

    A pure function (no plotting, no state): the widget of lesson 3 only draws its result.
    """
    if isinstance(n_grid, bool) or not isinstance(n_grid, (int, np.integer)) or n_grid < 2:
        raise ValueError(f"n_grid must be an integer >= 2, got {n_grid!r}.")
    pi = (np.arange(n_grid) + 0.5) / n_grid
    prior_kernel = np.exp(log_kernel(pi, 0, 0, a, b, k))
    unnormalized = np.exp(log_kernel(pi, heads, tails, a, b, k))
    constant = float(unnormalized.sum() / n_grid)
    posterior = unnormalized / constant
    return PosteriorCurves(
        pi=pi,
        prior=prior_kernel / (prior_kernel.sum() / n_grid),
        unnormalized=unnormalized,
        posterior=posterior,
        constant=constant,
        mean=float(np.sum(pi * posterior) / n_grid),
    )


def grid_cost(dimensions, points_per_axis: int = 12, heads: int = 2, tails: int = 2):
    """Normalize a ``d``-dimensional posterior on a grid and measure cost and error.

    The target is the product of ``d`` independent copies of the lesson's posterior, so
    its exact normalizing constant is the one-dimensional constant to the power ``d``.
    Each grid point is evaluated as a ``d``-vector, as a grid over a general posterior
    must be (the product structure is not exploited).

    Returns
    -------
    pandas.DataFrame
        Columns ``dimension``, ``evaluations`` (points_per_axis ** d), ``seconds`` (wall
        time of the evaluation and sum) and ``relative_error`` of the grid constant.
    """
    exact_1d = normalizing_constant(heads, tails)
    axis = (np.arange(points_per_axis) + 0.5) / points_per_axis
    rows = []
    for d in dimensions:
        if isinstance(d, bool) or not isinstance(d, (int, np.integer)) or d < 1:
            raise ValueError(f"dimensions must be positive integers, got {d!r}.")
        n_points = points_per_axis**d
        start = time.perf_counter()
        total = 0.0
        chunk = 1_000_000
        for first in range(0, n_points, chunk):
            index = np.arange(first, min(first + chunk, n_points))
            coordinates = np.stack(np.unravel_index(index, (points_per_axis,) * d), axis=1)
            points = axis[coordinates]  # shape (chunk, d): one d-vector per grid point
            total += np.exp(log_kernel(points, heads, tails).sum(axis=1)).sum()
        estimate = total / points_per_axis**d
        seconds = time.perf_counter() - start
        rows.append((d, n_points, seconds, abs(estimate / exact_1d**d - 1)))
    return pd.DataFrame(rows, columns=["dimension", "evaluations", "seconds", "relative_error"])
