r"""What a normal prior on the log-odds scale says about probabilities.

If :math:`x \sim \mathrm{Normal}(0, s)` is a log-odds, :math:`p = \operatorname{logit}^{-1}(x)`
has the logit-normal density

.. math::

    f(p) = \frac{1}{s\, p (1 - p)}\, \phi\!\left(\frac{\operatorname{logit} p}{s}\right),

which is peaked at 1/2 for small :math:`s` and piles up at 0 and 1 for large :math:`s`
(a diffuse prior on the log-odds is not a diffuse prior on the probability).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy import special, stats

from course_utils import validation

__all__ = [
    "PriorPredictive",
    "logit_normal_density",
    "prior_predictive",
    "prob_between",
]


def logit_normal_density(p: npt.ArrayLike, prior_sd: float) -> npt.NDArray[np.float64]:
    """Density of ``p = expit(x)`` for ``x ~ Normal(0, prior_sd)``, at ``p`` in (0, 1)."""
    prior_sd = validation.positive("prior_sd", prior_sd)
    p = validation.real_array(
        "p",
        p,
        min_size=0,
        low=0.0,
        high=1.0,
        low_open=True,
        high_open=True,
        what="strictly between 0 and 1",
    )
    return stats.norm.pdf(special.logit(p) / prior_sd) / (prior_sd * p * (1 - p))


def prob_between(prior_sd: float, low: float, high: float) -> float:
    """P(low < expit(x) < high) for ``x ~ Normal(0, prior_sd)``: exact, via the normal CDF."""
    prior_sd = validation.positive("prior_sd", prior_sd)
    low = validation.real("low", low, low=0.0, high=1.0)
    high = validation.real("high", high, low=0.0, high=1.0)
    if not low < high:
        raise ValueError(f"need 0 <= low < high <= 1, got low={low}, high={high}.")
    upper = stats.norm.cdf(special.logit(high) / prior_sd)
    lower = stats.norm.cdf(special.logit(low) / prior_sd)
    return float(upper - lower)


@dataclass(frozen=True)
class PriorPredictive:
    """Prior predictive of the tutoring model's pass probabilities, for one prior SD."""

    prior_sd: float
    p_grid: npt.NDArray[np.float64]  #: probabilities at which the density is given
    density: npt.NDArray[np.float64]  #: density of the old method's pass probability
    difference: npt.NDArray[np.float64]  #: draws of p(new) - p(old) = expit(b0 + b1) - expit(b0)
    prob_moderate: float  #: P(0.05 < p(old) < 0.95), exact
    prob_large_difference: float  #: share of draws with |p(new) - p(old)| > 0.5


def prior_predictive(
    prior_sd: float, n_draws: int = 20_000, seed: int | np.random.Generator = 0
) -> PriorPredictive:
    """Prior predictive of pass probabilities when intercept and method effect are both
    ``Normal(0, prior_sd)`` on the log-odds scale (the site effect set to 0).

    The density of the old method's pass probability is exact; the difference between
    the methods comes from ``n_draws`` prior draws with a fixed ``seed`` (so that moving
    a slider back gives back the same picture; a Generator is advanced instead).
    """
    prior_sd = validation.positive("prior_sd", prior_sd)
    n_draws = validation.count("n_draws", n_draws, minimum=1, maximum=10_000_000)
    rng = validation.seed_or_generator("seed", seed)
    p_grid = np.linspace(0.0025, 0.9975, 400)
    draws = rng.standard_normal((2, n_draws)) * prior_sd
    difference = special.expit(draws[0] + draws[1]) - special.expit(draws[0])
    return PriorPredictive(
        prior_sd=prior_sd,
        p_grid=p_grid,
        density=logit_normal_density(p_grid, prior_sd),
        difference=difference,
        prob_moderate=prob_between(prior_sd, 0.05, 0.95),
        prob_large_difference=float(np.mean(np.abs(difference) > 0.5)),
    )
