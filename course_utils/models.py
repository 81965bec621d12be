r"""Reference builders for every PyMC model the course fits.

Each builder returns a fresh :class:`pymc.Model`; the lessons write the same models out
cell by cell, and the tests check that both have the same log density, so later cells
and the tests never depend on a student's answer.

* :func:`beta_binomial`: lesson 4's first PyMC program, the lecture's Stan model
  ``p ~ beta(1, 1); r ~ binomial(n, p)``.
* :func:`tutoring_mixed_logit`: lesson 4's Bayesian version of the mixed logit of
  lessons 1 and 2, non-centred.
* :func:`eight_schools`: lesson 5's hierarchical normal model, centred or non-centred,
  with BDA's flat prior on (mu, tau).
* :func:`season_pass_baseline`, :func:`season_pass_interaction` and
  :func:`season_pass_multilevel`: lesson 6's binomial regressions on the 6-row table of
  season-pass sales.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import pymc as pm
import pytensor

from course_utils import nutpie_callbacks, validation
from course_utils.data import CHANNEL_LEVELS
from course_utils.model_data import group_estimates, season_pass_arrays, tutoring_arrays

# The lessons fit with nutpie (PyMC's default sampler when installed) after importing this
# module: its C callbacks, compiled again on every fit, are swapped for loop versions that
# compile 3-4 s faster on a kernel's first fit and sample the same draws (see nutpie_callbacks).
nutpie_callbacks.install()


def _c_backend_without_blas() -> None:
    """Tell PyTensor's C backend that there is no BLAS library, unless the user named one.

    PyTensor compiles the course's models with Numba, whose matrix products call the
    OpenBLAS that SciPy bundles. The only C code the course builds is PyMC's initial-point
    function (compiled in FAST_COMPILE mode; for the multilevel model it multiplies the 2 x 2
    Cholesky factor, about 2 ms a call, once per chain). When that C code is compiled,
    PyTensor searches for a system BLAS to link, finds none in a pip install and warns that
    "operations that might benefit from BLAS will be severely degraded": none of the course's
    do. Saying so here ends the search and the warning; a ``blas__ldflags`` set in
    ``PYTENSOR_FLAGS`` or ``~/.pytensorrc`` is kept.
    """
    try:
        pytensor.config.fetch_val_for_key("blas__ldflags")  # type: ignore[attr-defined]
    except KeyError:
        pytensor.config.blas__ldflags = ""  # type: ignore[attr-defined]


_c_backend_without_blas()

__all__ = [
    "beta_binomial",
    "eight_schools",
    "season_pass_baseline",
    "season_pass_interaction",
    "season_pass_multilevel",
    "tutoring_mixed_logit",
]


def beta_binomial(n: int, r: int) -> pm.Model:
    r"""The beta-binomial model: :math:`p \sim \mathrm{Beta}(1, 1)`, :math:`r \sim
    \mathrm{Binomial}(n, p)`.

    Parameters
    ----------
    n : int
        Number of trials (at least 1).
    r : int
        Number of successes, ``0 <= r <= n``.

    Returns
    -------
    pymc.Model
        One free variable, ``p``; the observed variable is ``r``. The exact posterior is
        :math:`\mathrm{Beta}(1 + r, 1 + n - r)`.
    """
    n = validation.count("n", n, minimum=1)
    r = validation.count("r", r)
    if r > n:
        raise ValueError(f"r must be at most n = {n}, got {r}.")
    with pm.Model() as model:
        p = pm.Beta("p", alpha=1.0, beta=1.0)
        pm.Binomial("r", n=n, p=p, observed=r)
    return model


def tutoring_mixed_logit(
    data: pd.DataFrame, prior_sd: float = 2.5, site_sd_prior_sd: float | None = None
) -> pm.Model:
    r"""The Bayesian mixed logit of the tutoring experiment, non-centred.

    .. math::

        \beta_0, \beta_\text{method} \sim \mathrm{Normal}(0, s), \quad
        \sigma_\text{site} \sim \mathrm{HalfNormal}(s_\sigma), \quad
        z_s \sim \mathrm{Normal}(0, 1), \quad u_s = \sigma_\text{site} z_s,

        \operatorname{logit} p_i = \beta_0 + \beta_\text{method}\,\text{method}_i
        + u_{\text{site}(i)}, \qquad \text{passed}_i \sim \mathrm{Bernoulli}(p_i).

    Parameters
    ----------
    data : pandas.DataFrame
        Columns ``site_id``, ``method`` (0/1) and ``passed`` (0/1), one row per student.
    prior_sd : float
        :math:`s`, the prior SD of the intercept and the method effect (log-odds).
    site_sd_prior_sd : float, optional
        :math:`s_\sigma`, the scale of the half-normal prior on the site SD; defaults to
        ``prior_sd``.

    Returns
    -------
    pymc.Model
        Free variables ``intercept``, ``method``, ``sigma_site`` and ``z`` (dimension
        ``site``); deterministic ``u = sigma_site * z`` (dimension ``site``, the site
        effects on the log-odds scale); observed ``passed``.
    """
    prior_sd = validation.positive("prior_sd", prior_sd)
    site_sd_prior_sd = validation.positive(
        "site_sd_prior_sd", prior_sd if site_sd_prior_sd is None else site_sd_prior_sd
    )
    site_index, method, passed, sites = tutoring_arrays(data)
    with pm.Model(coords={"site": sites, "student": list(range(len(passed)))}) as model:
        intercept = pm.Normal("intercept", mu=0.0, sigma=prior_sd)
        method_effect = pm.Normal("method", mu=0.0, sigma=prior_sd)
        sigma_site = pm.HalfNormal("sigma_site", sigma=site_sd_prior_sd)
        z = pm.Normal("z", mu=0.0, sigma=1.0, dims="site")
        u = pm.Deterministic("u", sigma_site * z, dims="site")
        logit_p = intercept + method_effect * method + u[site_index]
        pm.Bernoulli("passed", logit_p=logit_p, observed=passed, dims="student")
    return model


def eight_schools(
    y: npt.ArrayLike,
    sigma: npt.ArrayLike,
    centered: bool = False,
    names: Sequence[Any] | None = None,
) -> pm.Model:
    r"""The eight-schools model with the flat prior of Bayesian Data Analysis.

    .. math::

        p(\mu, \tau) \propto 1 \ (\tau > 0), \qquad
        \theta_j \sim \mathrm{Normal}(\mu, \tau), \qquad
        y_j \sim \mathrm{Normal}(\theta_j, \sigma_j).

    Parameters
    ----------
    y, sigma : array_like
        Estimated effects and their known standard errors, one per school.
    centered : bool
        ``True`` samples ``theta`` directly (the funnel; divergences); ``False`` (the
        default) samples ``eta ~ Normal(0, 1)`` and sets ``theta = mu + tau * eta``.
    names : sequence, optional
        Labels of the schools (coordinate ``school``); default A, B, C, ...

    Returns
    -------
    pymc.Model
        Free variables ``mu``, ``tau`` and ``theta`` (centred) or ``eta`` (non-centred,
        with ``theta`` deterministic); all over the coordinate ``school``.
    """
    y, sigma = group_estimates(y, sigma)
    centered = validation.boolean("centered", centered)
    if names is None:
        names = [chr(ord("A") + j) if j < 26 else f"school {j + 1}" for j in range(y.size)]
    names = validation.labels("names", names, y.size)
    with pm.Model(coords={"school": names}) as model:
        mu = pm.Flat("mu")
        tau = pm.HalfFlat("tau")
        if centered:
            theta = pm.Normal("theta", mu=mu, sigma=tau, dims="school")
        else:
            eta = pm.Normal("eta", mu=0.0, sigma=1.0, dims="school")
            theta = pm.Deterministic("theta", mu + tau * eta, dims="school")
        pm.Normal("y", mu=theta, sigma=sigma, observed=y, dims="school")
    return model


def season_pass_baseline(grouped: pd.DataFrame) -> pm.Model:
    r"""``bought | trials(n) ~ 1 + promo`` with Normal(0, 1) priors.

    .. math::

        \operatorname{logit} p_i = \alpha + \beta\, \text{bundle}_i, \qquad
        \alpha, \beta \sim \mathrm{Normal}(0, 1), \qquad
        \text{bought}_i \sim \mathrm{Binomial}(n_i, p_i).

    The prior is on :math:`\alpha`, the log-odds of buying without the bundle (the
    predictor is not centred, unlike brms's default intercept prior).
    Free variables: ``intercept`` and ``promo``.
    """
    bundle, _, bought, n = season_pass_arrays(grouped)
    with pm.Model(coords={"row": list(range(len(n)))}) as model:
        intercept = pm.Normal("intercept", mu=0.0, sigma=1.0)
        promo = pm.Normal("promo", mu=0.0, sigma=1.0)
        pm.Binomial("bought", n=n, logit_p=intercept + promo * bundle, observed=bought, dims="row")
    return model


def season_pass_interaction(grouped: pd.DataFrame) -> pm.Model:
    r"""``bought | trials(n) ~ promo * channel`` with Normal(0, 1) priors on all six
    coefficients (Mail and NoBundle are the baselines).

    Free variables: ``intercept``, ``promo``, ``channel`` and ``promo_channel`` (the
    last two over the coordinate ``channel_effect`` = Park, Email).
    """
    bundle, channel_index, bought, n = season_pass_arrays(grouped)
    others = list(CHANNEL_LEVELS[1:])
    dummies = np.stack([(channel_index == k).astype(float) for k in (1, 2)], axis=1)
    coords = {"row": list(range(len(n))), "channel_effect": others}
    with pm.Model(coords=coords) as model:
        intercept = pm.Normal("intercept", mu=0.0, sigma=1.0)
        promo = pm.Normal("promo", mu=0.0, sigma=1.0)
        channel = pm.Normal("channel", mu=0.0, sigma=1.0, dims="channel_effect")
        promo_channel = pm.Normal("promo_channel", mu=0.0, sigma=1.0, dims="channel_effect")
        logit_p = (
            intercept
            + promo * bundle
            + pm.math.dot(dummies, channel)
            + bundle * pm.math.dot(dummies, promo_channel)
        )
        pm.Binomial("bought", n=n, logit_p=logit_p, observed=bought, dims="row")
    return model


def season_pass_multilevel(grouped: pd.DataFrame) -> pm.Model:
    r"""``bought | trials(n) ~ 0 + (1 + promo | channel)``: a varying intercept and a
    varying bundle effect per channel, correlated, non-centred.

    .. math::

        \begin{pmatrix} a_c \\ b_c \end{pmatrix} \sim
        \mathrm{Normal}\!\left(0, \operatorname{diag}(s)\, R\, \operatorname{diag}(s)\right),
        \quad s_k \sim \mathrm{HalfNormal}(1), \quad R \sim \mathrm{LKJ}(1),

        \operatorname{logit} p_i = a_{c(i)} + b_{c(i)}\, \text{bundle}_i .

    Written non-centred: ``(a, b) = L z`` with ``z`` standard normal and ``L`` the Cholesky
    factor of the covariance, which for two effects is
    ``[[s_a, 0], [s_b rho, s_b sqrt(1 - rho^2)]]``. LKJ(1) on a 2 x 2 correlation matrix
    is the uniform distribution of its one correlation ``rho`` on (-1, 1), so the model
    samples ``rho ~ Uniform(-1, 1)`` and builds ``L`` by hand: the same prior as PyMC's
    ``LKJCholeskyCov(n=2, eta=1, sd_dist=HalfNormal(1))`` (the same posterior, tested), in a
    graph that Numba compiles about 5 times faster and evaluates about twice as fast.

    Free variables ``sd`` (the two group SDs, coordinate ``effect``), ``correlation`` and
    ``z``; deterministic ``a_channel`` and ``b_channel`` (coordinate ``channel``: Mail,
    Park, Email).
    """
    bundle, channel_index, bought, n = season_pass_arrays(grouped)
    coords = {
        "row": list(range(len(n))),
        "channel": list(CHANNEL_LEVELS),
        "effect": ["intercept", "promo"],
    }
    with pm.Model(coords=coords) as model:
        sd = pm.HalfNormal("sd", sigma=1.0, dims="effect")
        rho = pm.Uniform("correlation", lower=-1.0, upper=1.0)
        z = pm.Normal("z", mu=0.0, sigma=1.0, dims=("effect", "channel"))
        # (a, b) = L z, L the Cholesky factor of diag(sd) R diag(sd)
        a_channel = pm.Deterministic("a_channel", sd[0] * z[0], dims="channel")
        b_channel = pm.Deterministic(
            "b_channel", sd[1] * (rho * z[0] + pm.math.sqrt(1.0 - rho**2) * z[1]), dims="channel"
        )
        logit_p = a_channel[channel_index] + b_channel[channel_index] * bundle
        pm.Binomial("bought", n=n, logit_p=logit_p, observed=bought, dims="row")
    return model
