r"""The hierarchical normal model of lesson 5 (the eight schools), by hand and exactly.

The model (Bayesian Data Analysis, 3rd ed., section 5.5), with :math:`\sigma_j` known:

.. math::

    y_j \sim \mathrm{Normal}(\theta_j, \sigma_j), \qquad
    \theta_j \sim \mathrm{Normal}(\mu, \tau), \qquad p(\mu, \tau) \propto 1 .

Given :math:`(\mu, \tau)` the :math:`\theta_j` are independent normals
(:func:`conditional_theta`), and integrating them out gives
:math:`y_j \sim \mathrm{Normal}(\mu, \sqrt{\sigma_j^2 + \tau^2})`, so the marginal
posterior of :math:`(\lambda_1, \lambda_2) = (\mu, \log\tau)` is
(:func:`log_marginal_posterior`, with the Jacobian :math:`\tau` of the change of variables)

.. math::

    \log p(\lambda \mid y) = \sum_j \left[ -\tfrac12 \log(e^{2\lambda_2} + \sigma_j^2)
    - \frac{(\lambda_1 - y_j)^2}{2(\sigma_j^2 + e^{2\lambda_2})} \right] + \lambda_2
    + \text{const}.

:func:`exact_posterior` integrates :math:`\mu` out analytically (it is normal given
:math:`\tau`) and :math:`\tau` by adaptive quadrature, with no sampling; every Monte Carlo
number of the lesson is shown next to it.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import integrate, optimize, stats

from course_utils import validation
from course_utils.derivatives import hessian
from course_utils.exceptions import IntegrationWarning
from course_utils.model_data import group_estimates

FloatArray = npt.NDArray[np.float64]

__all__ = [
    "SWEEP_MIN_RELATIVE_SCALE",
    "TAU_PRIORS",
    "TauPriorSweep",
    "conditional_theta",
    "draw_theta",
    "exact_posterior",
    "log_marginal_posterior",
    "posterior_mode",
    "prob_exceeds",
    "prob_greater",
    "shrinkage",
    "tau_posterior",
]

#: Priors on tau that :func:`exact_posterior` knows (besides flat, each takes a scale).
TAU_PRIORS = ("flat", "half-cauchy", "half-normal")


def _positive(name: str, value: npt.ArrayLike) -> FloatArray:
    return validation.real_array(name, value, low=0.0, low_open=True, what="positive and finite")


def log_marginal_posterior(
    lam1: npt.ArrayLike, lam2: npt.ArrayLike, y: npt.ArrayLike, sigma: npt.ArrayLike
) -> FloatArray:
    r"""log p(lambda_1 = mu, lambda_2 = log tau | y), flat prior on (mu, tau), with the
    Jacobian; up to a constant. Vectorized: ``lam1`` and ``lam2`` broadcast together."""
    y, sigma = group_estimates(y, sigma)
    lam1, lam2 = validation.real_array("lam1", lam1), validation.real_array("lam2", lam2)
    try:
        lam1, lam2 = np.broadcast_arrays(lam1, lam2)
    except ValueError as err:
        raise ValueError(
            f"lam1 and lam2 must broadcast together, got shapes {lam1.shape} and {lam2.shape}."
        ) from err
    variance = np.exp(2 * lam2)[..., None] + sigma**2
    terms = -0.5 * np.log(variance) - (lam1[..., None] - y) ** 2 / (2 * variance)
    return terms.sum(axis=-1) + lam2


def posterior_mode(y: npt.ArrayLike, sigma: npt.ArrayLike) -> tuple[FloatArray, FloatArray]:
    """Mode of log p(lambda | y) and the inverse negative Hessian there.

    Returns
    -------
    (mode, cov) : (array of 2, 2 x 2 array)
        ``mode = (mu, log tau)`` at the maximum; ``cov``, the covariance of the normal
        approximation.
    """
    y, sigma = group_estimates(y, sigma)

    def negative(lam: FloatArray) -> float:
        return -float(log_marginal_posterior(lam[0], lam[1], y, sigma))

    start = np.array([np.average(y, weights=sigma**-2), np.log(np.std(y) + 1.0)])
    result = optimize.minimize(negative, start, method="BFGS", options={"gtol": 1e-10})
    mode = result.x
    curvature = hessian(negative, mode)
    if not np.all(np.linalg.eigvalsh(curvature) > 0):
        raise ValueError("the log marginal posterior has no interior maximum for these data.")
    return mode, np.linalg.inv(curvature)


def shrinkage(tau: npt.ArrayLike, sigma: npt.ArrayLike) -> FloatArray:
    r"""Shrinkage factors :math:`B_j = \tau^{-2} / (\tau^{-2} + \sigma_j^{-2})`.

    ``tau`` is a number or an array of draws; the result has a last axis over groups."""
    tau = _positive("tau", tau)
    sigma = _positive("sigma", sigma)
    return sigma**2 / (sigma**2 + tau[..., None] ** 2)


def conditional_theta(
    mu: npt.ArrayLike, tau: npt.ArrayLike, y: npt.ArrayLike, sigma: npt.ArrayLike
) -> tuple[FloatArray, FloatArray]:
    r"""Mean and variance of :math:`\theta_j \mid \mu, \tau, y` (normal).

    :math:`\hat\theta_j = (y_j/\sigma_j^2 + \mu/\tau^2)/(1/\sigma_j^2 + 1/\tau^2)`,
    :math:`V_j = 1/(1/\sigma_j^2 + 1/\tau^2)`. ``mu`` and ``tau`` broadcast together (one
    value per draw); the results have an extra last axis over groups.
    """
    y, sigma = group_estimates(y, sigma)
    mu = validation.real_array("mu", mu)
    tau = _positive("tau", tau)
    try:
        mu, tau = np.broadcast_arrays(mu, tau)
    except ValueError as err:
        raise ValueError(
            f"mu and tau must broadcast together, got shapes {mu.shape} and {tau.shape}."
        ) from err
    precision = 1 / sigma**2 + 1 / tau[..., None] ** 2
    theta_hat = (y / sigma**2 + mu[..., None] / tau[..., None] ** 2) / precision
    return theta_hat, 1 / precision


def draw_theta(
    mu: npt.ArrayLike,
    tau: npt.ArrayLike,
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    rng: np.random.Generator,
) -> FloatArray:
    """One draw of the vector theta for each (mu, tau) draw: shape (..., groups)."""
    validation.generator("rng", rng)
    theta_hat, variance = conditional_theta(mu, tau, y, sigma)
    return theta_hat + np.sqrt(variance) * rng.standard_normal(theta_hat.shape)


def _log_tau_prior(tau: FloatArray, prior: str, scale: float | None) -> FloatArray:
    if prior == "flat" or scale is None:
        return 0.0 * tau
    if prior == "half-cauchy":
        return -np.log1p((tau / scale) ** 2)
    return -0.5 * (tau / scale) ** 2  # half-normal


def _check_prior(prior: str, scale: Any) -> float | None:
    validation.choice("tau_prior", prior, TAU_PRIORS)
    if prior == "flat":
        if scale is not None:
            validation.positive("tau_scale", scale)  # a flat prior ignores a valid scale
        return None
    if scale is None:
        raise TypeError(f"tau_scale must be a number for a {prior} prior, got None.")
    return validation.positive("tau_scale", scale)


class _TauGivenY:
    """Everything that is analytic given tau: p(tau | y) up to a constant, mu | tau, y."""

    def __init__(self, y: FloatArray, sigma: FloatArray, prior: str, scale: float | None):
        self.y, self.sigma, self.prior, self.scale = y, sigma, prior, scale
        self._last_mu: tuple[float, Any] | None = None  # (tau, result) of the last scalar call
        # log p(tau | y) near its maximum, so that the integrand is O(1) there
        grid = np.exp(np.linspace(-8, 8, 801)) * np.max(sigma)
        self.log_peak = float(np.max(self.log_density(grid)))

    def mu_given_tau(self, tau: Any) -> Any:
        """Mean and variance of mu | tau, y (normal); vectorized over tau.

        The quadrature asks for it three times at each scalar tau (density, theta's
        moments, mu's moments): the last scalar answer is kept."""
        scalar = np.ndim(tau) == 0
        if scalar and self._last_mu is not None and self._last_mu[0] == tau:
            return self._last_mu[1]
        weights = 1 / (self.sigma**2 + np.asarray(tau, dtype=float)[..., None] ** 2)
        total = weights.sum(axis=-1)
        result = (weights * self.y).sum(axis=-1) / total, 1 / total
        if scalar:
            self._last_mu = (float(tau), result)
        return result

    def log_density(self, tau: Any) -> Any:
        """log p(tau | y) + const: mu integrated out (BDA eq. 5.21) times the prior."""
        tau = np.asarray(tau, dtype=float)
        mu_hat, v_mu = self.mu_given_tau(tau)
        variance = self.sigma**2 + tau[..., None] ** 2
        return (
            0.5 * np.log(v_mu)
            - 0.5 * np.log(variance).sum(axis=-1)
            - ((self.y - mu_hat[..., None]) ** 2 / (2 * variance)).sum(axis=-1)
            + _log_tau_prior(tau, self.prior, self.scale)
        )

    def density(self, tau: Any) -> Any:
        return np.exp(self.log_density(tau) - self.log_peak)

    def theta_moments(self, tau: Any) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Mean and variance of theta_j | tau, y (normal), and the shrinkage B_j; groups
        on the last axis, vectorized over tau."""
        mu_hat, v_mu = self.mu_given_tau(tau)
        mu_hat, v_mu = np.asarray(mu_hat)[..., None], np.asarray(v_mu)[..., None]
        b = self.sigma**2 / (self.sigma**2 + np.asarray(tau, dtype=float)[..., None] ** 2)
        mean = (1 - b) * self.y + b * mu_hat
        variance = (1 - b) * self.sigma**2 + b**2 * v_mu  # V_j = (1 - B_j) sigma_j^2
        return mean, variance, b

    def moments(self, tau: Any) -> FloatArray:
        """Given tau: E(theta_j), E(theta_j^2), B_j (one per group), then E(mu), E(mu^2),
        tau and tau^2, on the last axis (the layout :func:`_summary_table` reads)."""
        mean, variance, b = self.theta_moments(tau)
        mu_hat, v_mu = self.mu_given_tau(tau)
        tau = np.asarray(tau, dtype=float)
        hyper = np.stack([mu_hat, v_mu + mu_hat**2, tau, tau**2], axis=-1)
        return np.concatenate([mean, variance + mean**2, b, hyper], axis=-1)


_BREAKS = np.array([0.0, 0.5, 1, 2, 4, 8, 16])  # times max(sigma): where p(tau | y) bends


def _integrate(
    function: Callable[[float], Any], posterior: _TauGivenY
) -> tuple[float, FloatArray, list[str]]:
    """The integral over tau in [0, inf) of p(tau | y) (unnormalized), the posterior
    expectation of the vector-valued ``function(tau)``, and the messages of the
    :class:`~course_utils.exceptions.IntegrationWarning` s issued (a piece of the adaptive
    quadrature that did not reach its tolerance)."""
    breaks = np.max(posterior.sigma) * _BREAKS

    def integrand(tau: float) -> FloatArray:
        density = posterior.density(tau)
        return np.append(density, density * np.asarray(function(tau), dtype=float))

    total: Any = 0.0
    messages = []
    for low, high in zip(breaks, [*breaks[1:], np.inf], strict=True):
        value, error, info = integrate.quad_vec(
            integrand, low, high, epsabs=1e-13, epsrel=1e-12, full_output=True
        )
        if not info.success:
            messages.append(
                f"the integral over tau in [{low:.3g}, {high:.3g}] did not reach its "
                f"tolerance (estimated error {np.max(error):.2g}): the result may be less "
                "accurate than 1e-9."
            )
        total = total + value
    for message in messages:
        warnings.warn(message, IntegrationWarning, stacklevel=3)
    return float(total[0]), total[1:] / total[0], messages


def _posterior(
    y: npt.ArrayLike, sigma: npt.ArrayLike, tau_prior: str, tau_scale: Any, min_groups: int
) -> _TauGivenY:
    y, sigma = group_estimates(y, sigma)
    scale = _check_prior(tau_prior, tau_scale)
    if tau_prior == "flat" and y.size < min_groups:
        raise ValueError(
            f"with a flat prior on tau this needs at least {min_groups} groups (p(tau | y) "
            f"decays like tau^-(J-1) for J groups), got {y.size}."
        )
    return _TauGivenY(y, sigma, tau_prior, scale)


def tau_posterior(
    tau: npt.ArrayLike,
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    tau_prior: str = "flat",
    tau_scale: float | None = None,
) -> FloatArray:
    """The normalized marginal posterior density p(tau | y) at ``tau`` (>= 0)."""
    posterior = _posterior(y, sigma, tau_prior, tau_scale, min_groups=3)
    tau = validation.real_array("tau", tau, min_size=0, low=0.0, what="non-negative")
    constant, _, _ = _integrate(lambda t: [], posterior)
    return posterior.density(tau) / constant


def exact_posterior(
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    tau_prior: str = "flat",
    tau_scale: float | None = None,
    names: Sequence[Any] | None = None,
) -> pd.DataFrame:
    """Posterior summaries by numerical integration, no sampling.

    Parameters
    ----------
    y, sigma : array_like
        Estimates and their (known) standard errors, one per group.
    tau_prior : {"flat", "half-cauchy", "half-normal"}
        Prior on tau (mu always has a flat prior); the last two need ``tau_scale``.
    names : sequence, optional
        Row labels (default: 0, 1, ...).

    Returns
    -------
    pandas.DataFrame
        One row per group: ``mean`` and ``sd`` of theta_j, and ``shrinkage``, the
        posterior mean of B_j. ``.attrs["hyper"]`` is a DataFrame with rows ``mu`` and
        ``tau`` and columns ``mean`` and ``sd``; ``.attrs["warnings"]`` the messages of the
        warnings issued (empty when all is well).

    Raises
    ------
    TypeError, ValueError
        For bad data (see :func:`course_utils.model_data.group_estimates`; at least 5
        groups with a flat prior), an unknown ``tau_prior``, a missing or non-positive
        ``tau_scale``, or ``names`` that are not one distinct label per group.

    Warns
    -----
    IntegrationWarning
        If the adaptive quadrature does not reach its tolerance.
    """
    posterior = _posterior(y, sigma, tau_prior, tau_scale, min_groups=5)
    labels = _names(names, posterior.y.size)
    _, values, messages = _integrate(posterior.moments, posterior)
    table = _summary_table(values, labels)
    table.attrs["warnings"] = tuple(messages)
    return table


def _names(names: Sequence[Any] | None, n: int) -> list[Any]:
    return list(range(n)) if names is None else validation.labels("names", names, n)


def _summary_table(values: FloatArray, names: list[Any]) -> pd.DataFrame:
    """exact_posterior's table from the posterior expectations of theta_j, theta_j^2, B_j
    (n each), then mu, mu^2, tau and tau^2."""
    n = len(names)
    mean, second, b = values[:n], values[n : 2 * n], values[2 * n : 3 * n]
    mu_mean, mu_second, tau_mean, tau_second = values[3 * n :]
    index = pd.Index(names, name="group")
    table = pd.DataFrame(
        {"mean": mean, "sd": np.sqrt(second - mean**2), "shrinkage": b}, index=index
    )
    table.attrs["hyper"] = pd.DataFrame(
        {
            "mean": [mu_mean, tau_mean],
            "sd": [math.sqrt(mu_second - mu_mean**2), math.sqrt(tau_second - tau_mean**2)],
        },
        index=["mu", "tau"],
    )
    return table


# The fixed rule of TauPriorSweep: Gauss-Legendre on [0, a] and on the doubling panels
# [a 2^k, a 2^(k+1)] up to 1e8 max(sigma), a = 1e-6 max(sigma). Every integrand here is
# smooth in tau and varies on the scale of tau itself, so each panel is resolved.
_SWEEP_NODES_PER_PANEL = 20
_SWEEP_FIRST, _SWEEP_LAST = 1e-6, 1e8
#: Smallest tau_scale / max(sigma) the fixed rule resolves (a prior narrower than that
#: puts its mass inside the first panel).
SWEEP_MIN_RELATIVE_SCALE = 1e-4


def _tau_rule(unit: float) -> tuple[FloatArray, FloatArray]:
    """Nodes and weights of the fixed composite rule over tau in [0, 1e8 unit]."""
    doublings = math.ceil(math.log2(_SWEEP_LAST / _SWEEP_FIRST))
    ends = _SWEEP_FIRST * unit * 2.0 ** np.arange(doublings + 1)
    lows, highs = np.concatenate([[0.0], ends[:-1]]), ends
    x, w = np.polynomial.legendre.leggauss(_SWEEP_NODES_PER_PANEL)
    half = (highs - lows)[:, None] / 2
    nodes = (lows + highs)[:, None] / 2 + half * x
    return nodes.ravel(), (half * w).ravel()


class TauPriorSweep:
    """:func:`exact_posterior` for many priors on tau, fast enough for a slider.

    Everything that does not depend on the prior (p(y | tau) with mu integrated out, and
    the moments of theta and mu given tau) is computed once at the nodes of a fixed
    composite Gauss-Legendre rule in tau; each prior is then a reweighting of those nodes
    (well under a millisecond instead of the adaptive rule's 20-100 ms). The tests check it
    against :func:`exact_posterior` to 1e-9.
    """

    def __init__(
        self, y: npt.ArrayLike, sigma: npt.ArrayLike, names: Sequence[Any] | None = None
    ) -> None:
        likelihood = _posterior(y, sigma, "flat", None, min_groups=5)
        self.groups = likelihood.y.size
        self.names = _names(names, self.groups)
        self._unit = float(np.max(likelihood.sigma))
        self._tau, self._weights = _tau_rule(self._unit)
        self._log_likelihood = likelihood.log_density(self._tau)  # flat prior: likelihood
        self._moments = likelihood.moments(self._tau)

    def exact_posterior(
        self, tau_prior: str = "flat", tau_scale: float | None = None
    ) -> pd.DataFrame:
        """The table of :func:`exact_posterior` for this prior on tau."""
        scale = _check_prior(tau_prior, tau_scale)
        if scale is not None and scale < SWEEP_MIN_RELATIVE_SCALE * self._unit:
            raise ValueError(
                f"tau_scale must be at least {SWEEP_MIN_RELATIVE_SCALE} max(sigma) = "
                f"{SWEEP_MIN_RELATIVE_SCALE * self._unit:.3g} for the fixed rule, got "
                f"{scale}; use exact_posterior (adaptive) for narrower priors."
            )
        log_weights = self._log_likelihood + _log_tau_prior(self._tau, tau_prior, scale)
        weights = self._weights * np.exp(log_weights - log_weights.max())
        values = weights @ self._moments / weights.sum()
        table = _summary_table(values, self.names)
        table.attrs["warnings"] = ()  # a fixed rule: nothing to warn about
        return table


def _check_index(name: str, value: Any, n: int) -> int:
    return validation.count(name, value, minimum=0, maximum=n - 1)


def prob_exceeds(
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    j: int,
    c: float,
    tau_prior: str = "flat",
    tau_scale: float | None = None,
) -> float:
    """Exact P(theta_j > c | y), j a 0-based index."""
    posterior = _posterior(y, sigma, tau_prior, tau_scale, min_groups=3)
    j = _check_index("j", j, posterior.y.size)
    c = validation.real("c", c)

    def conditional(tau: float) -> FloatArray:
        mean, variance, _ = posterior.theta_moments(tau)
        return np.array([stats.norm.sf(c, mean[j], math.sqrt(variance[j]))])

    return float(_integrate(conditional, posterior)[1][0])


def prob_greater(
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    j: int,
    k: int,
    tau_prior: str = "flat",
    tau_scale: float | None = None,
) -> float:
    """Exact P(theta_j > theta_k | y), 0-based indices.

    Given tau, theta_j - theta_k is normal: mean (1-B_j) y_j - (1-B_k) y_k
    + (B_j - B_k) mu_hat, variance V_j + V_k + (B_j - B_k)^2 V_mu (they share mu).
    """
    posterior = _posterior(y, sigma, tau_prior, tau_scale, min_groups=3)
    y, sigma = posterior.y, posterior.sigma
    j, k = _check_index("j", j, y.size), _check_index("k", k, y.size)
    if j == k:
        raise ValueError("j and k must be different groups.")

    def conditional(tau: float) -> FloatArray:
        mu_hat, v_mu = posterior.mu_given_tau(tau)
        _, _, b = posterior.theta_moments(tau)
        mean = (1 - b[j]) * y[j] - (1 - b[k]) * y[k] + (b[j] - b[k]) * mu_hat
        variance = (1 - b[j]) * sigma[j] ** 2 + (1 - b[k]) * sigma[k] ** 2
        variance += (b[j] - b[k]) ** 2 * v_mu
        return np.array([stats.norm.sf(0.0, mean, math.sqrt(variance))])

    return float(_integrate(conditional, posterior)[1][0])
