r"""The exact posterior of the tutoring mixed logit, by numerical integration.

The reference answer for lesson 4's sampler, and the engine of its prior widget. With
the site effects integrated out, the posterior of the Bayesian mixed logit
(:func:`course_utils.models.tutoring_mixed_logit`) is three-dimensional:

.. math::

    p(\beta_0, \beta_1, \sigma \mid y) \propto
    p(\beta_0)\, p(\beta_1)\, p(\sigma) \prod_s \int \prod_{i \in s}
    p(y_i \mid \beta_0 + \beta_1 x_i + \sigma z)\, \phi(z)\, dz .

Each site's integral is done by adaptive Gauss-Hermite quadrature (centred at the
mode of its integrand, scaled by the curvature there: the same rule as ``glmer``'s
``nagq``) for small :math:`\sigma`, and by Gauss-Legendre panels placed at the logistic
transitions for large :math:`\sigma`, where the integrand turns into a step that
Gauss-Hermite rules resolve badly; both are accurate to about 1e-6 (tested against
``scipy.integrate.quad``). They are vectorized over a product grid of
:math:`(\beta_0, \beta_1, \log\sigma)`;
the outer three-dimensional integral is a midpoint rule on that grid. The posterior in
:math:`\log\sigma` is smooth and vanishes at both ends, so the midpoint rule converges
fast (the tests check the convergence).

:class:`TutoringPosterior` computes the likelihood on the grid once (about a second);
:meth:`TutoringPosterior.summary` then reweights it by any normal / half-normal prior in
a few milliseconds, which is what lets a widget answer at once.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
from scipy import interpolate, special

from course_utils import result_cache, validation
from course_utils.exceptions import IntegrationWarning
from course_utils.model_data import tutoring_arrays

__all__ = ["AGQ_MAX_SIGMA", "ExactSummary", "TutoringPosterior"]

FloatArray = npt.NDArray[np.floating[Any]]

_LOG_SQRT_2PI = 0.5 * np.log(2 * np.pi)


@dataclass(frozen=True)
class ExactSummary:
    """Posterior summaries of the tutoring mixed logit, from numerical integration."""

    mean: pd.Series  #: posterior means of intercept, method, sigma_site
    sd: pd.Series  #: posterior SDs of the same
    prob_method_negative: float  #: P(method effect < 0 | y)
    site_effects: pd.Series  #: posterior mean of each site effect u_s (log-odds)
    method_grid: FloatArray  #: grid of method-effect values
    method_density: FloatArray  #: its marginal posterior density on that grid
    sigma_grid: FloatArray  #: grid of site-SD values
    sigma_density: FloatArray  #: marginal posterior density of the site SD there
    #: posterior mean of E_u[p(pass | new)] - E_u[p(pass | old)] for a new site, u ~ N(0, sigma):
    #: the method's effect on the pass probability, averaged over sites
    population_difference: float
    #: the messages of the :class:`~course_utils.exceptions.IntegrationWarning` s issued
    #: (a posterior too narrow for the grid, or mass at its edge); empty when all is well
    warnings: tuple[str, ...] = ()


def _site_counts(data: pd.DataFrame) -> tuple[FloatArray, list[Any]]:
    """(n_sites, 4) array of [students, passed] under method 0 then method 1."""
    site_index, method, passed, sites = tutoring_arrays(data)
    counts = np.zeros((len(sites), 4))
    for m in (0, 1):
        rows = method == m
        counts[:, 2 * m] = np.bincount(site_index[rows], minlength=len(sites))
        counts[:, 2 * m + 1] = np.bincount(
            site_index[rows], weights=passed[rows], minlength=len(sites)
        )
    return counts, sites


#: Largest n_beta ** 2 * n_log_sigma (the lesson's grid has 96 ** 2 * 48 = 442,368).
MAX_GRID_CELLS = 2_000_000
#: Widest cell of the fixed-effect axes, in posterior (or prior) SDs, that the midpoint
#: rule integrates accurately: a normal density on cells of 1.5 SDs is summed to 3e-4.
MAX_CELLS_PER_SD = 1.5
#: Smallest half-normal scale of the site SD that :meth:`summary` accepts: the site-SD
#: axis starts at exp(-14), 1e-4 of it lower than this scale.
MIN_SITE_SD_PRIOR_SD = 1e4 * math.exp(-14.0)
#: Largest share of the posterior allowed in the outermost cells of an axis before
#: :meth:`TutoringPosterior.summary` warns that the grid may cut the posterior off.
EDGE_MASS_LIMIT = 1e-4

#: Up to this site SD the site integrals use adaptive Gauss-Hermite quadrature (error
#: below 1e-6 there); above it, where the integrand becomes a half-normal-like step,
#: composite Gauss-Legendre panels placed at the logistic transitions.
AGQ_MAX_SIGMA = 1.5
_LEGENDRE_NODES, _LEGENDRE_WEIGHTS = np.polynomial.legendre.leggauss(6)
_Z_LIMIT = 9.0  # phi(9) ~ 1e-18: nothing of the integral lies beyond
_UNIFORM_BREAKS = np.linspace(-_Z_LIMIT, _Z_LIMIT, 7)
_TRANSITION_BREAKS = np.array([-24.0, -8.0, -3.0, 0.0, 3.0, 8.0, 24.0])


def _log_h(z: FloatArray, a0: FloatArray, a1: FloatArray, counts: FloatArray) -> FloatArray:
    """log p(y_s | z) - z^2 / 2 for one site, given its linear predictors a0 (old method)
    and a1 (new method) at z: binomial kernels, without the binomial coefficients."""
    n0, k0, n1, k1 = counts
    return k0 * a0 - n0 * np.logaddexp(0, a0) + k1 * a1 - n1 * np.logaddexp(0, a1) - 0.5 * z**2


def _log_sum_and_weights(terms: FloatArray) -> tuple[FloatArray, FloatArray]:
    """log(sum(exp(terms))) over the last axis, and the normalized weights
    exp(terms) / sum(exp(terms)), from one pass of exponentials (what
    ``scipy.special.logsumexp`` followed by another ``exp`` computes twice). Every row
    has a finite term (quadrature terms are finite)."""
    largest = terms.max(axis=-1, keepdims=True)
    weights = np.exp(terms - largest)
    total = weights.sum(axis=-1, keepdims=True)
    weights /= total
    return (np.log(total) + largest)[..., 0], weights


def _site_integral_panels(
    b0: FloatArray, b1: FloatArray, sigma: FloatArray, counts: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """log of int p(y_s | b0, b1, sigma z) phi(z) dz, and E(sigma z | ...), by panels.

    The integrand is phi(z) times logistic factors that switch at z = -eta / sigma over
    a width of 1 / sigma. Panels: uniform ones of width 3 for phi, plus breaks at
    -eta / sigma + k / sigma for k in (0, +-3, +-8, +-24) for each linear predictor;
    6 Gauss-Legendre nodes in each. Accurate to about 1e-6 for every sigma.
    """
    pieces = [np.broadcast_to(_UNIFORM_BREAKS, (*b0.shape, len(_UNIFORM_BREAKS)))]
    for eta in (b0, b0 + b1):
        centre = -eta / sigma
        pieces.append(
            np.clip(centre[..., None] + _TRANSITION_BREAKS / sigma[..., None], -_Z_LIMIT, _Z_LIMIT)
        )
    breaks = np.sort(np.concatenate(pieces, axis=-1), axis=-1)
    half_width = 0.5 * np.diff(breaks, axis=-1)
    middle = 0.5 * (breaks[..., 1:] + breaks[..., :-1])
    z = (middle[..., None] + half_width[..., None] * _LEGENDRE_NODES).reshape(*b0.shape, -1)
    with np.errstate(divide="ignore"):  # empty panels (clipped breaks) get weight 0
        log_weights = (np.log(half_width)[..., None] + np.log(_LEGENDRE_WEIGHTS)).reshape(z.shape)
    a0, a1 = b0[..., None] + sigma[..., None] * z, (b0 + b1)[..., None] + sigma[..., None] * z
    terms = log_weights + _log_h(z, a0, a1, counts) - _LOG_SQRT_2PI
    log_integral, weights = _log_sum_and_weights(terms)
    return log_integral, sigma * np.sum(weights * z, axis=-1)


@result_cache.cached_init
class TutoringPosterior:
    """The tutoring model's likelihood on a grid, and posteriors for any prior scales.

    Parameters
    ----------
    data : pandas.DataFrame
        ``site_id``, ``method`` and ``passed`` columns, as for
        :func:`course_utils.models.tutoring_mixed_logit`.
    n_beta : int
        Grid points per fixed-effect axis.
    n_log_sigma : int
        Grid points on the log site-SD axis.
    nagq : int
        Gauss-Hermite nodes per site integral (where the site SD is at most
        :data:`AGQ_MAX_SIGMA`). The default 15 is within 5e-7 of 25 nodes in the
        log-likelihood everywhere on the grid (posterior summaries within 2e-8), in 60 %
        of the time.
    max_prior_sd : float
        Largest prior SD of the fixed effects that :meth:`summary` accepts; the
        fixed-effect axes span plus or minus 7 times it.
    max_site_sd_prior_sd : float
        Largest half-normal scale of the site SD that :meth:`summary` accepts; the
        site-SD axis spans exp(-14) to 7 times it.
    """

    def __init__(
        self,
        data: pd.DataFrame,
        n_beta: int = 64,
        n_log_sigma: int = 48,
        nagq: int = 15,
        max_prior_sd: float = 2.5,
        max_site_sd_prior_sd: float = 10.0,
    ) -> None:
        n_beta = validation.count("n_beta", n_beta, minimum=8)
        n_log_sigma = validation.count("n_log_sigma", n_log_sigma, minimum=8)
        nagq = validation.count("nagq", nagq, minimum=1, maximum=25)
        if n_beta**2 * n_log_sigma > MAX_GRID_CELLS:
            raise ValueError(
                f"n_beta ** 2 * n_log_sigma must be at most {MAX_GRID_CELLS:,} (memory and "
                f"time grow with it), got {n_beta}**2 * {n_log_sigma} = "
                f"{n_beta**2 * n_log_sigma:,}."
            )
        max_prior_sd = validation.positive("max_prior_sd", max_prior_sd)
        max_site_sd_prior_sd = validation.positive("max_site_sd_prior_sd", max_site_sd_prior_sd)
        self.counts, self.sites = _site_counts(data)
        self.max_prior_sd = float(max_prior_sd)
        self.max_site_sd_prior_sd = float(max_site_sd_prior_sd)
        half_width = 7.0 * self.max_prior_sd
        beta_step = 2 * half_width / n_beta
        #: Smallest prior SD of the fixed effects that :meth:`summary` accepts: the grid's
        #: cells must be at most 1.5 prior SDs wide (midpoint rule on a normal: 3e-4).
        self.min_prior_sd = beta_step / MAX_CELLS_PER_SD
        self.beta = -half_width + beta_step * (np.arange(n_beta) + 0.5)
        low, high = -14.0, np.log(7.0 * self.max_site_sd_prior_sd)
        log_sigma_step = (high - low) / n_log_sigma
        self.log_sigma = low + log_sigma_step * (np.arange(n_log_sigma) + 0.5)
        self.sigma = np.exp(self.log_sigma)
        nodes, weights = np.polynomial.hermite.hermgauss(nagq)
        self._nodes, self._log_weights = nodes, np.log(weights) + nodes**2
        shape = (n_beta, n_beta, n_log_sigma)
        self.log_likelihood = np.zeros(shape)  # axes: intercept, method, log sigma
        self.site_effect_means = np.zeros((len(self.sites), *shape))  # E(u_s | b0, b1, sigma, y)
        b0, b1, sigma = np.meshgrid(self.beta, self.beta, self.sigma, indexing="ij")
        self._small = self.sigma <= AGQ_MAX_SIGMA  # slices done by AGQ; the rest by panels
        for s, site_counts in enumerate(self.counts):
            log_lik, self.site_effect_means[s] = self._integral(b0, b1, sigma, site_counts)
            self.log_likelihood += log_lik
        # The pass probabilities of a new, average site: E_u expit(b0 + u) (a "site" with
        # one pass under the old method) and E_u expit(b0 + b1 + u), u ~ N(0, sigma).
        # Each depends on one linear predictor only: compute it on 2-d grids and index.
        one_pass = np.array([1.0, 1.0, 0.0, 0.0])

        def pass_probability(linear_predictor: FloatArray) -> FloatArray:
            a, s = np.meshgrid(linear_predictor, self.sigma, indexing="ij")
            return np.exp(self._integral(a, np.zeros_like(a), s, one_pass)[0])

        n = len(self.beta)
        sums = 2 * self.beta[0] + beta_step * np.arange(2 * n - 1)  # every b0 + b1 value
        i, j = np.meshgrid(np.arange(n), np.arange(n), indexing="ij")
        old_method = pass_probability(self.beta)[i]
        self.population_difference = pass_probability(sums)[i + j] - old_method

    def _integral(
        self, b0: FloatArray, b1: FloatArray, sigma: FloatArray, counts: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """One site's log integral and E(u | ...), by AGQ or by panels as sigma requires."""
        log_lik, u_mean = np.empty(b0.shape), np.empty(b0.shape)
        for method, where in (
            (self._site_integral_agq, self._small),
            (_site_integral_panels, ~self._small),
        ):
            if where.any():
                log_lik[..., where], u_mean[..., where] = method(
                    b0[..., where], b1[..., where], sigma[..., where], counts
                )
        return log_lik, u_mean

    def _site_integral_agq(
        self, b0: FloatArray, b1: FloatArray, sigma: FloatArray, counts: FloatArray
    ) -> tuple[FloatArray, FloatArray]:
        """log of int p(y_s | b0, b1, sigma z) phi(z) dz, and E(sigma z | ...), by AGQ."""
        n0, k0, n1, k1 = counts

        def gradient_and_curvature(z: FloatArray) -> tuple[FloatArray, FloatArray]:
            p0, p1 = special.expit(b0 + sigma * z), special.expit(b0 + b1 + sigma * z)
            gradient = sigma * (k0 - n0 * p0 + k1 - n1 * p1) - z
            curvature = 1 + sigma**2 * (n0 * p0 * (1 - p0) + n1 * p1 * (1 - p1))
            return gradient, curvature

        # The mode of the strictly concave log integrand: its gradient is decreasing and
        # changes sign inside [-sigma (n0 + n1), sigma (n0 + n1)]. Newton alone can cycle
        # where the logistic saturates, so bisect first, down to a bracket of 0.01, then
        # polish with Newton steps kept inside the bracket.
        low, high = -sigma * (n0 + n1) - 1e-9, sigma * (n0 + n1) + 1e-9
        for _ in range(int(np.ceil(np.log2(np.max(high - low) / 0.01)))):
            middle = 0.5 * (low + high)
            gradient, _ = gradient_and_curvature(middle)
            low, high = np.where(gradient > 0, middle, low), np.where(gradient > 0, high, middle)
        z = 0.5 * (low + high)
        for _ in range(30):
            gradient, curvature = gradient_and_curvature(z)
            low, high = np.where(gradient > 0, z, low), np.where(gradient < 0, z, high)
            newton = z + gradient / curvature
            step = np.where((newton >= low) & (newton <= high), newton, 0.5 * (low + high))
            converged = np.max(np.abs(step - z) / (1 + np.abs(z))) < 1e-10
            z = step
            if converged:
                break
        else:
            raise RuntimeError("the conditional modes did not converge; please report this.")
        p0, p1 = special.expit(b0 + sigma * z), special.expit(b0 + b1 + sigma * z)
        scale = 1 / np.sqrt(1 + sigma**2 * (n0 * p0 * (1 - p0) + n1 * p1 * (1 - p1)))
        points = z[..., None] + np.sqrt(2) * scale[..., None] * self._nodes
        scaled = sigma[..., None] * points
        a0, a1 = b0[..., None] + scaled, (b0 + b1)[..., None] + scaled
        terms = self._log_weights + _log_h(points, a0, a1, counts)
        log_sum, weights = _log_sum_and_weights(terms)
        log_integral = log_sum + np.log(np.sqrt(2) * scale) - _LOG_SQRT_2PI
        u_mean = sigma * np.sum(weights * points, axis=-1)
        return log_integral, u_mean

    def summary(
        self, prior_sd: float = 2.5, site_sd_prior_sd: float | None = None
    ) -> ExactSummary:
        """Posterior summaries under Normal(0, prior_sd) fixed effects and a
        HalfNormal(site_sd_prior_sd) site SD (default: ``prior_sd``).

        Raises
        ------
        TypeError
            If a prior scale is not a number.
        ValueError
            If a prior scale is not positive, exceeds what the grid was built for
            (``max_prior_sd``, ``max_site_sd_prior_sd``) or is narrower than its cells
            resolve (``min_prior_sd``, :data:`MIN_SITE_SD_PRIOR_SD`).

        Warns
        -----
        IntegrationWarning
            When the posterior (not the prior) is narrower than the grid resolves, or puts
            more than :data:`EDGE_MASS_LIMIT` of its mass in the outermost cells; the
            messages are also in the result's ``warnings``.
        """
        prior_sd = validation.positive("prior_sd", prior_sd)
        site_sd_prior_sd = validation.positive(
            "site_sd_prior_sd", prior_sd if site_sd_prior_sd is None else site_sd_prior_sd
        )
        for name, value, smallest, largest, knob in (
            ("prior_sd", prior_sd, self.min_prior_sd, self.max_prior_sd, "n_beta"),
            (
                "site_sd_prior_sd",
                site_sd_prior_sd,
                MIN_SITE_SD_PRIOR_SD,
                self.max_site_sd_prior_sd,
                "n_log_sigma",
            ),
        ):
            if value > largest:
                raise ValueError(
                    f"{name} = {value} is beyond this grid's range (at most {largest}); "
                    f"build a TutoringPosterior with a larger max_{name}."
                )
            if value < smallest:
                raise ValueError(
                    f"{name} = {value} is narrower than this grid resolves (at least "
                    f"{smallest:.3g}); build a TutoringPosterior with a smaller max_{name} "
                    f"or a larger {knob}."
                )
        log_prior_beta = -0.5 * (self.beta / prior_sd) ** 2
        # half-normal density in sigma, times the Jacobian d sigma / d log sigma = sigma
        log_prior_sigma = -0.5 * (self.sigma / site_sd_prior_sd) ** 2 + self.log_sigma
        log_post = (
            self.log_likelihood
            + log_prior_beta[:, None, None]
            + log_prior_beta[None, :, None]
            + log_prior_sigma[None, None, :]
        )
        weights = np.exp(log_post - log_post.max())
        weights /= weights.sum()
        b0_marginal = weights.sum(axis=(1, 2))
        b1_marginal = weights.sum(axis=(0, 2))
        sigma_marginal = weights.sum(axis=(0, 1))
        names = ["intercept", "method", "sigma_site"]
        values = [self.beta, self.beta, self.sigma]
        marginals = [b0_marginal, b1_marginal, sigma_marginal]
        means = [float(np.sum(v * m)) for v, m in zip(values, marginals, strict=True)]
        sds = [
            float(np.sqrt(np.sum((v - mu) ** 2 * m)))
            for v, m, mu in zip(values, marginals, means, strict=True)
        ]
        site_effects = np.tensordot(self.site_effect_means, weights, axes=3)
        beta_step = self.beta[1] - self.beta[0]
        log_sigma_step = self.log_sigma[1] - self.log_sigma[0]
        messages = self._accuracy_warnings(
            [b0_marginal, b1_marginal, sigma_marginal], sds[:2], beta_step, log_sigma_step
        )
        for message in messages:
            warnings.warn(message, IntegrationWarning, stacklevel=2)
        return ExactSummary(
            mean=pd.Series(means, index=names),
            sd=pd.Series(sds, index=names),
            # the CDF at 0 from a cubic spline of the density: O(h^4), where summing the
            # cells left of 0 would be O(h^2)
            prob_method_negative=float(
                interpolate.CubicSpline(self.beta, b1_marginal / beta_step).integrate(
                    self.beta[0] - beta_step / 2, 0.0
                )
            ),
            site_effects=pd.Series(site_effects, index=pd.Index(self.sites, name="site")),
            method_grid=self.beta,
            method_density=b1_marginal / beta_step,
            sigma_grid=self.sigma,
            sigma_density=sigma_marginal / (log_sigma_step * self.sigma),
            population_difference=float(np.sum(weights * self.population_difference)),
            warnings=tuple(messages),
        )

    def _accuracy_warnings(
        self,
        marginals: list[FloatArray],
        beta_sds: list[float],
        beta_step: float,
        log_sigma_step: float,
    ) -> list[str]:
        """What makes a summary on this grid less accurate than documented: a posterior
        narrower than the cells resolve, or mass in the outermost cells."""
        messages = []
        for name, sd in zip(["intercept", "method"], beta_sds, strict=True):
            if sd * MAX_CELLS_PER_SD < beta_step:
                messages.append(
                    f"the posterior of {name} (SD {sd:.3g}) is narrower than this grid "
                    f"resolves (cells of {beta_step:.3g}): build a TutoringPosterior with a "
                    "larger n_beta or a smaller max_prior_sd."
                )
        log_sigma_mean = float(np.sum(self.log_sigma * marginals[2]))
        log_sigma_sd = math.sqrt(
            float(np.sum((self.log_sigma - log_sigma_mean) ** 2 * marginals[2]))
        )
        if log_sigma_sd * MAX_CELLS_PER_SD < log_sigma_step:
            messages.append(
                f"the posterior of log sigma_site (SD {log_sigma_sd:.3g}) is narrower than "
                f"this grid resolves (cells of {log_sigma_step:.3g}): build a "
                "TutoringPosterior with a larger n_log_sigma."
            )
        for name, marginal in zip(["intercept", "method", "sigma_site"], marginals, strict=True):
            edge = float(marginal[0] + marginal[-1])
            if edge > EDGE_MASS_LIMIT:
                messages.append(
                    f"the posterior of {name} puts {edge:.2g} of its mass in the outermost "
                    "cells of the grid, which may cut it off: build a TutoringPosterior with a "
                    "larger max_prior_sd (or max_site_sd_prior_sd)."
                )
        return messages
