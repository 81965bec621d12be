r"""Lesson 3's coin: Bernoulli data with a non-conjugate prior, a posterior without a closed form.

The prior family has density proportional to

.. math::

    \pi^{a-1} (1-\pi)^{b-1} e^{-k \pi^2}, \qquad 0 \le \pi \le 1,

with :math:`a = b = 2, k = 1` the lecture's prior :math:`\pi(1-\pi)e^{-\pi^2}`. After
``heads`` successes and ``tails`` failures the posterior is proportional to
:math:`\pi^{h+a-1} (1-\pi)^{t+b-1} e^{-k\pi^2}`, whose normalizing constant has no closed
form. A :class:`CoinPosterior` carries the data and the prior (checked once) and computes
the constant by quadrature or on a grid, the mean, a credible interval and the curves the
lesson's widget draws; :func:`grid_cost` measures what a grid costs as the dimension grows.

>>> CoinPosterior(heads=2, tails=2).mean()  # doctest: +ELLIPSIS
0.4734...
"""

from __future__ import annotations

import dataclasses
import math
import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import integrate, optimize, special

from course_utils import validation

__all__ = [
    "MAX_GRID_CELLS",
    "MAX_GRID_EVALUATIONS",
    "CoinPosterior",
    "PosteriorCurves",
    "grid_cost",
]

#: The most points :func:`grid_cost` evaluates by default (about 10 s here): 12 points
#: per axis in 6 dimensions is 3e6, in 12 dimensions 9e12 (years).
MAX_GRID_EVALUATIONS = 20_000_000
#: Most cells of a one-dimensional grid (n_grid): 80 MB of values.
MAX_GRID_CELLS = 10_000_000


@dataclass(frozen=True)
class PosteriorCurves:
    """What the lesson-3 widget draws: prior and posterior on a grid over [0, 1]."""

    pi: npt.NDArray[np.float64]  #: grid midpoints
    prior: npt.NDArray[np.float64]  #: normalized prior density
    unnormalized: npt.NDArray[np.float64]  #: unnormalized posterior (prior kernel x likelihood)
    posterior: npt.NDArray[np.float64]  #: normalized posterior density
    constant: float  #: normalizing constant of the posterior (grid)
    mean: float  #: posterior mean (grid)


@dataclass(frozen=True)
class CoinPosterior:
    """The posterior of a coin's probability of heads ``pi`` after ``heads`` and ``tails``,
    under the prior with shapes ``a``, ``b`` and tilt ``k`` (the lecture's by default).

    ``CoinPosterior()`` (no data) is the prior itself.

    Raises
    ------
    TypeError
        If an argument is not a number.
    ValueError
        For negative or non-finite counts, non-positive or non-finite shapes, or a
        non-finite ``k``.
    """

    heads: float = 0
    tails: float = 0
    a: float = 2.0
    b: float = 2.0
    k: float = 1.0

    def __post_init__(self) -> None:
        for name in ("heads", "tails"):
            value = validation.real(
                name, getattr(self, name), low=0.0, what="a non-negative finite count"
            )
            object.__setattr__(self, name, value)
        for name in ("a", "b"):
            value = validation.positive(f"prior shape {name}", getattr(self, name))
            object.__setattr__(self, name, value)
        object.__setattr__(self, "k", validation.real("prior k", self.k))

    @property
    def prior(self) -> CoinPosterior:
        """The same prior without data."""
        return dataclasses.replace(self, heads=0.0, tails=0.0)

    def log_kernel(self, pi: npt.ArrayLike) -> npt.NDArray[np.float64]:
        """Log of the unnormalized posterior (prior kernel times likelihood) at ``pi``;
        ``-inf`` outside [0, 1] and where a factor is zero."""
        values = validation.real_array("pi", pi, min_size=0, finite=False)
        inside = (values >= 0) & (values <= 1)
        p = np.clip(values, 0.0, 1.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            kernel = (
                special.xlogy(self.heads + self.a - 1, p)
                + special.xlog1py(self.tails + self.b - 1, -p)
                - self.k * p**2
            )
        return np.where(inside, kernel, -np.inf)

    def _integral(self, lower: float, upper: float) -> float:
        """Adaptive quadrature of the unnormalized posterior from ``lower`` to ``upper``."""
        value, _ = integrate.quad(
            lambda p: math.exp(float(self.log_kernel(p))),
            lower,
            upper,
            epsabs=0.0,
            epsrel=1e-12,
            limit=200,
        )
        return float(value)

    def normalizing_constant(self, method: str = "quad", n_grid: int = 1000) -> float:
        """The integral of the unnormalized posterior over [0, 1].

        Parameters
        ----------
        method : {"quad", "grid"}
            ``"quad"``: scipy's adaptive quadrature (accurate to about 1e-12 relative).
            ``"grid"``: the midpoint rule on ``n_grid`` equal cells.
        """
        validation.choice("method", method, ("quad", "grid"))
        n_grid = validation.count("n_grid", n_grid, minimum=1, maximum=MAX_GRID_CELLS)
        if method == "quad":
            return self._integral(0.0, 1.0)
        midpoints = (np.arange(n_grid) + 0.5) / n_grid
        return float(np.exp(self.log_kernel(midpoints)).sum() / n_grid)

    def mean(self) -> float:
        """Posterior mean of pi, by quadrature: Z(heads + 1) / Z(heads), one more head."""
        one_more_head = dataclasses.replace(self, heads=self.heads + 1)
        return one_more_head.normalizing_constant() / self.normalizing_constant()

    def credible_interval(self, level: float = 0.95) -> tuple[float, float]:
        """Equal-tailed credible interval for pi, by quadrature and root finding."""
        level = validation.probability("level", level)
        total = self.normalizing_constant()

        def cdf(x: float) -> float:
            return self._integral(0.0, x) / total

        tail = (1 - level) / 2
        low = optimize.brentq(lambda x: cdf(x) - tail, 0.0, 1.0, xtol=1e-12)
        high = optimize.brentq(lambda x: cdf(x) - (1 - tail), 0.0, 1.0, xtol=1e-12)
        return float(low), float(high)

    def curves(self, n_grid: int = 400) -> PosteriorCurves:
        """Prior, unnormalized and normalized posterior on a midpoint grid of ``n_grid``
        cells: what lesson 3's widget draws (it only draws them)."""
        n_grid = validation.count("n_grid", n_grid, minimum=2, maximum=MAX_GRID_CELLS)
        pi = (np.arange(n_grid) + 0.5) / n_grid
        prior_kernel = np.exp(self.prior.log_kernel(pi))
        unnormalized = np.exp(self.log_kernel(pi))
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


def grid_cost(
    dimensions: Iterable[int],
    points_per_axis: int = 12,
    posterior: CoinPosterior | None = None,
    max_evaluations: int = MAX_GRID_EVALUATIONS,
) -> pd.DataFrame:
    """Normalize a ``d``-dimensional posterior on a grid and measure cost and error.

    The target is the product of ``d`` independent copies of ``posterior`` (default: the
    lecture's, 2 heads and 2 tails), so its exact normalizing constant is the
    one-dimensional constant to the power ``d``. Each grid point is evaluated as a
    ``d``-vector, as a grid over a general posterior must be (the product structure is
    not exploited).

    Returns
    -------
    pandas.DataFrame
        Columns ``dimension``, ``evaluations`` (points_per_axis ** d), ``seconds`` (wall
        time of the evaluation and sum) and ``relative_error`` of the grid constant.

    Raises
    ------
    ValueError
        If a grid needs more than ``max_evaluations`` points (checked before any is
        evaluated: 12 dimensions of 12 points would run for years), or for an empty
        ``dimensions``, a dimension below 1 or fewer than 1 point per axis.
    """
    if posterior is None:
        posterior = CoinPosterior(2, 2)
    validation.instance("posterior", posterior, CoinPosterior)
    points_per_axis = validation.count("points_per_axis", points_per_axis, minimum=1)
    max_evaluations = validation.count("max_evaluations", max_evaluations, minimum=1)
    if isinstance(dimensions, str) or not isinstance(dimensions, Iterable):
        raise TypeError(
            f"dimensions must be a list of integers, got {validation.describe(dimensions)}."
        )
    dims = [validation.count("dimensions", d, minimum=1) for d in dimensions]
    if not dims:
        raise ValueError("dimensions must name at least one dimension, got none.")
    for d in dims:
        if points_per_axis**d > max_evaluations:
            raise ValueError(
                f"a grid of points_per_axis = {points_per_axis} in {d} dimensions (dimensions) "
                f"has {float(points_per_axis) ** d:.2g} points, more than max_evaluations = "
                f"{max_evaluations:.2g}: that is the curse of dimensionality (extrapolate "
                "from the smaller grids instead)."
            )
    exact_1d = posterior.normalizing_constant()
    axis = (np.arange(points_per_axis) + 0.5) / points_per_axis
    rows = []
    for d in dims:
        n_points = points_per_axis**d
        start = time.perf_counter()
        total = 0.0
        chunk = 1_000_000
        for first in range(0, n_points, chunk):
            index = np.arange(first, min(first + chunk, n_points))
            coordinates = np.stack(np.unravel_index(index, (points_per_axis,) * d), axis=1)
            points = axis[coordinates]  # shape (chunk, d): one d-vector per grid point
            total += np.exp(posterior.log_kernel(points).sum(axis=1)).sum()
        estimate = total / points_per_axis**d
        seconds = time.perf_counter() - start
        rows.append((d, n_points, seconds, abs(estimate / exact_1d**d - 1)))
    return pd.DataFrame(rows, columns=["dimension", "evaluations", "seconds", "relative_error"])
