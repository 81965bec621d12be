r"""Maximum-likelihood mixed logit with one random intercept per group (R's ``glmer``).

The model, for observation :math:`i` in group :math:`g(i)`:

.. math::

    u_g \sim \mathrm{Normal}(0, \sigma^2), \qquad
    \operatorname{logit} p_i = x_i^\top \beta + u_{g(i)}, \qquad
    y_i \sim \mathrm{Bernoulli}(p_i).

As lme4 does, the random intercept is written :math:`u_g = \theta z_g` with
:math:`z_g \sim N(0, 1)` and :math:`\theta = \sigma \ge 0`, and the marginal likelihood of
each group, :math:`\int \prod_i p(y_i \mid z) \, \phi(z) \, dz`, is approximated

* with ``nagq=1`` by the Laplace approximation at the conditional mode :math:`\hat z_g`;
* with ``nagq=K > 1`` by adaptive Gauss-Hermite quadrature with ``K`` nodes, centred at
  :math:`\hat z_g` and scaled by the curvature there (``K = 1`` is the Laplace case).

The deviance :math:`-2 \log L(\theta, \beta)` is minimized over :math:`\theta` and
:math:`\beta` together, and standard errors come from the Hessian of the deviance with
respect to all parameters, as lme4 computes them by default. That allows for the
uncertainty about the variance, but only locally (to second order at the optimum); the
plug-in alternative, which treats the SD as known, is :attr:`GlmerFit.se_given_sd`.

Public interface: :func:`glmer` fits, :class:`GlmerFit` holds the result, :func:`lrt`
compares two nested fits like R's ``anova(m0, m1)``; :func:`profile_deviance` and
:func:`profile_interval` give the profile likelihood of a fixed effect, and
:func:`bootstrap_lrt` a parametric-bootstrap likelihood-ratio test.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import patsy
from scipy import optimize, special, stats

from course_utils._numerics import hessian as _hessian

__all__ = [
    "BootstrapLRT",
    "BoundaryFitWarning",
    "GlmerFit",
    "bootstrap_lrt",
    "glmer",
    "lrt",
    "profile_deviance",
    "profile_interval",
]

_RANDOM_INTERCEPT = re.compile(r"\+?\s*\(\s*1\s*\|\s*([A-Za-z_][A-Za-z0-9_.]*)\s*\)")
#: lme4's tolerance for calling a fit singular (``isSingular``).
BOUNDARY_TOL = 1e-4


class BoundaryFitWarning(UserWarning):
    """The random-intercept variance was estimated on the boundary (zero)."""


@dataclass(frozen=True)
class _Design:
    y: np.ndarray  # (n,) 0/1 outcomes
    X: np.ndarray  # (n, p) fixed-effects design
    terms: list[str]  # names of the columns of X
    group_index: np.ndarray  # (n,) group of each row, 0..G-1
    group_levels: list  # label of each group
    response: str
    group: str


def _parse(formula: str, data: pd.DataFrame) -> _Design:
    if not isinstance(formula, str) or "~" not in formula:
        raise ValueError(f"formula must be a string like 'y ~ x + (1 | g)', got {formula!r}.")
    if not isinstance(data, pd.DataFrame):
        raise ValueError(f"data must be a pandas DataFrame, got {type(data).__name__}.")
    random_terms = _RANDOM_INTERCEPT.findall(formula)
    if len(random_terms) != 1:
        raise ValueError(
            f"formula {formula!r}: glmer supports exactly one random intercept, written "
            "'(1 | group)'; random slopes and several grouping factors are not supported."
        )
    fixed_formula = _RANDOM_INTERCEPT.sub("", formula).strip()
    if "|" in fixed_formula:
        raise ValueError(f"formula {formula!r}: unsupported random-effects term.")
    lhs, rhs = (part.strip() for part in fixed_formula.split("~", 1))
    if not rhs or rhs.endswith("+"):
        rhs = (rhs.rstrip("+").strip()) or "1"
    group = random_terms[0]
    if lhs not in data.columns:
        raise ValueError(f"formula: response column {lhs!r} is not in data.")
    if group not in data.columns:
        raise ValueError(f"formula: grouping column {group!r} is not in data.")
    try:
        X = patsy.dmatrix(rhs, data, NA_action="raise", return_type="dataframe")
    except patsy.PatsyError as err:
        raise ValueError(f"formula {formula!r}: {err}".splitlines()[0]) from err
    y = data[lhs]
    if y.isna().any():
        raise ValueError(f"data: response {lhs!r} has missing values.")
    if data[group].isna().any():
        raise ValueError(f"data: grouping column {group!r} has missing values.")
    if not pd.api.types.is_numeric_dtype(y) and not pd.api.types.is_bool_dtype(y):
        raise ValueError(f"data: response {lhs!r} must be 0/1, got dtype {y.dtype}.")
    y_values = y.to_numpy(dtype=float)
    if not np.isin(y_values, (0.0, 1.0)).all():
        raise ValueError(f"data: response {lhs!r} must be binary 0/1; found other values.")
    if len(y_values) == 0:
        raise ValueError("data has no rows.")
    design = X.to_numpy(dtype=float)
    if not np.isfinite(design).all():
        raise ValueError("data: fixed-effects columns contain non-finite values.")
    if np.linalg.matrix_rank(design) < design.shape[1]:
        raise ValueError(f"formula {formula!r}: the fixed-effects design is rank deficient.")
    codes, levels = pd.factorize(data[group], sort=True)
    return _Design(
        y=y_values,
        X=design,
        terms=list(X.columns),
        group_index=codes,
        group_levels=list(levels),
        response=lhs,
        group=group,
    )


class _Deviance:
    """-2 log-likelihood of the mixed logit as a function of (theta, beta)."""

    def __init__(self, design: _Design, nagq: int):
        self.d = design
        self.n_groups = len(design.group_levels)
        # Group membership as a dense 0/1 matrix: sums over groups are one small matmul.
        self.members = np.zeros((self.n_groups, len(design.y)))
        self.members[design.group_index, np.arange(len(design.y))] = 1.0
        self.group_sizes = self.members.sum(axis=1)
        self.nodes, self.log_weights = self._rule(nagq)
        self.modes = np.zeros(self.n_groups)  # warm start for the inner Newton iterations

    @staticmethod
    def _rule(nagq: int) -> tuple[np.ndarray, np.ndarray]:
        """Gauss-Hermite nodes for weight exp(-x^2), log weights with exp(x^2) folded in."""
        nodes, weights = np.polynomial.hermite.hermgauss(nagq)
        return nodes, np.log(weights) + nodes**2

    def _group_sum(self, values: np.ndarray) -> np.ndarray:
        return self.members @ values

    def conditional_modes(self, theta: float, offset: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Mode of each group's z and the curvature there (1 + theta^2 sum w).

        The gradient theta * sum(y - mu) - z is strictly decreasing in z and changes sign
        inside [-theta * n_g, theta * n_g], so Newton steps are safeguarded by bisection
        on that bracket: the iteration converges from any start, however large theta.
        """
        y, g = self.d.y, self.d.group_index
        bound = theta * self.group_sizes + 1e-12
        low, high = -bound, bound.copy()
        z = np.clip(self.modes, low, high)
        for _ in range(200):
            mu = special.expit(offset + theta * z[g])
            gradient = theta * (self.members @ (y - mu)) - z
            curvature = 1.0 + theta**2 * (self.members @ (mu * (1.0 - mu)))
            low = np.where(gradient > 0, z, low)
            high = np.where(gradient < 0, z, high)
            newton = z + gradient / curvature
            inside = (newton >= low) & (newton <= high)
            z_next = newton if inside.all() else np.where(inside, newton, 0.5 * (low + high))
            change = np.max(np.abs(z_next - z))
            z = z_next
            if change < 1e-9:
                break
        # Newton converges quadratically near the mode: one more step reaches machine
        # precision, so the deviance is smooth enough for finite-difference derivatives.
        mu = special.expit(offset + theta * z[g])
        curvature = 1.0 + theta**2 * (self.members @ (mu * (1.0 - mu)))
        z = z + (theta * (self.members @ (y - mu)) - z) / curvature
        mu = special.expit(offset + theta * z[g])
        curvature = 1.0 + theta**2 * (self.members @ (mu * (1.0 - mu)))
        self.modes = z
        return z, curvature

    def _log_h(self, theta: float, offset: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(y_g | z_g) - z_g^2 / 2 for every group (z: one value per group)."""
        eta = offset + theta * z[self.d.group_index]
        loglik = self.d.y * eta - np.logaddexp(0.0, eta)
        return self._group_sum(loglik) - 0.5 * z**2

    def __call__(self, params: np.ndarray) -> float:
        theta, beta = abs(float(params[0])), np.asarray(params[1:], dtype=float)
        offset = self.d.X @ beta
        z_hat, curvature = self.conditional_modes(theta, offset)
        scale = 1.0 / np.sqrt(curvature)
        if len(self.nodes) == 1:  # Laplace
            log_groups = self._log_h(theta, offset, z_hat) + np.log(scale)
        else:  # adaptive Gauss-Hermite, nodes z = z_hat + sqrt(2) * scale * x
            terms = np.stack(
                [
                    self._log_h(theta, offset, z_hat + math.sqrt(2.0) * scale * x) + log_w
                    for x, log_w in zip(self.nodes, self.log_weights, strict=True)
                ]
            )
            log_groups = special.logsumexp(terms, axis=0) + np.log(scale)
            log_groups -= 0.5 * math.log(math.pi)
        return -2.0 * float(np.sum(log_groups))


@dataclass(frozen=True)
class GlmerFit:
    """A fitted random-intercept mixed logit.

    Attributes
    ----------
    formula : str
        The model formula, e.g. ``"passed ~ method + (1 | site_id)"``.
    nagq : int
        1 for the Laplace approximation, more for adaptive Gauss-Hermite quadrature.
    loglik, aic, bic, deviance : float
        Log-likelihood at the optimum; ``deviance = -2 * loglik``;
        ``aic = deviance + 2 * npar``; ``bic = deviance + log(n_obs) * npar``.
    npar, n_obs, n_groups : int
        Number of parameters (fixed effects plus the variance), rows, groups.
    fixed : pandas.DataFrame
        Indexed by term (``"Intercept"``, ...) with columns ``estimate``, ``se``, ``z``
        and ``p`` (Wald, two-sided).
    vcov : pandas.DataFrame
        Covariance matrix of the fixed-effects estimates.
    re_variance, re_sd : float
        Estimated variance and standard deviation of the random intercept.
    random_effects : pandas.Series
        Conditional modes of the random intercepts :math:`\\hat u_g`, indexed by group.
    se_given_sd : pandas.Series
        Standard errors of the fixed effects with the random-intercept SD held at its
        estimate (the SD plugged in as if known): from the fixed-effects block of the
        Hessian alone. Never larger than ``fixed["se"]``.
    boundary : bool
        True when the variance is estimated at zero (a singular fit).
    converged : bool
        True when the gradient of the deviance is small at the reported optimum.
    """

    formula: str
    nagq: int
    loglik: float
    npar: int
    n_obs: int
    n_groups: int
    response: str
    group: str
    fixed: pd.DataFrame
    vcov: pd.DataFrame
    re_variance: float
    re_sd: float
    random_effects: pd.Series
    se_given_sd: pd.Series
    boundary: bool
    converged: bool

    @property
    def deviance(self) -> float:
        return -2.0 * self.loglik

    @property
    def aic(self) -> float:
        return self.deviance + 2.0 * self.npar

    @property
    def bic(self) -> float:
        return self.deviance + math.log(self.n_obs) * self.npar

    @property
    def df_resid(self) -> int:
        return self.n_obs - self.npar

    def correlation(self) -> pd.DataFrame:
        """Correlation matrix of the fixed-effects estimates."""
        sd = np.sqrt(np.diag(self.vcov.to_numpy()))
        return self.vcov / np.outer(sd, sd)

    def summary(self) -> str:
        """A text summary laid out like lme4's ``summary()`` of a ``glmer`` fit."""
        method = (
            "Laplace Approximation"
            if self.nagq == 1
            else f"Adaptive Gauss-Hermite Quadrature (nAGQ = {self.nagq})"
        )
        lines = [
            f"Generalized linear mixed model fit by maximum likelihood ({method})",
            " Family: binomial  ( logit )",
            f"Formula: {self.formula}",
            "",
            f"{'AIC':>9} {'BIC':>9} {'logLik':>9} {'deviance':>9} {'df.resid':>9}",
            f"{self.aic:9.1f} {self.bic:9.1f} {self.loglik:9.1f} {self.deviance:9.1f} "
            f"{self.df_resid:9d}",
            "",
            "Random effects:",
            f" {'Groups':<10} {'Name':<12} {'Variance':>9} {'Std.Dev.':>9}",
            f" {self.group:<10} {'(Intercept)':<12} {self.re_variance:9.4f} {self.re_sd:9.4f}",
            f"Number of obs: {self.n_obs}, groups:  {self.group}, {self.n_groups}",
            "",
            "Fixed effects:",
            f"{'':<12} {'Estimate':>9} {'Std. Error':>10} {'z value':>8} {'Pr(>|z|)':>9}",
        ]
        for term, row in self.fixed.iterrows():
            name = "(Intercept)" if term == "Intercept" else str(term)
            lines.append(
                f"{name:<12} {row.estimate:9.4f} {row.se:10.4f} {row.z:8.3f} {_format_p(row.p):>9}"
            )
        if len(self.fixed) > 1:
            corr = self.correlation()
            names = ["(Intr)" if t == "Intercept" else str(t)[:6] for t in corr.index]
            lines += [
                "",
                "Correlation of Fixed Effects:",
                " " * 13 + " ".join(f"{n:>6}" for n in names[:-1]),
            ]
            for i, term in enumerate(corr.index[1:], start=1):
                label = "(Intercept)" if term == "Intercept" else str(term)
                values = " ".join(f"{corr.iloc[i, j]:6.3f}" for j in range(i))
                lines.append(f"{label:<12} {values}")
        if self.boundary:
            lines += ["", "boundary (singular) fit: see help('isSingular')"]
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()


def _format_p(p: float) -> str:
    return "<2e-16" if p < 2e-16 else f"{p:.4g}"


def glmer(formula: str, data: pd.DataFrame, nagq: int = 1) -> GlmerFit:
    """Fit a mixed logit with one random intercept per group by maximum likelihood.

    Parameters
    ----------
    formula : str
        ``"response ~ fixed terms + (1 | group)"``; the fixed part is a patsy formula
        (``1`` for an intercept-only model); exactly one ``(1 | group)`` term.
    data : pandas.DataFrame
        Holds the response (0/1 or booleans), the fixed-effect columns and the group.
    nagq : int, default 1
        1: Laplace approximation. More: adaptive Gauss-Hermite quadrature with that many
        nodes per group (lme4 allows up to 25 for one random intercept; so does this).

    Returns
    -------
    GlmerFit

    Raises
    ------
    ValueError
        For an unsupported formula, an unknown column, missing values, a non-binary
        response, a rank-deficient design, or ``nagq`` outside 1..25.

    Warns
    -----
    BoundaryFitWarning
        When the random-intercept SD is estimated at (or within 1e-4 of) zero.
    """
    if isinstance(nagq, bool) or not isinstance(nagq, (int, np.integer)) or not 1 <= nagq <= 25:
        raise ValueError(f"nagq must be an integer from 1 to 25, got {nagq!r}.")
    design = _parse(formula, data)
    deviance = _Deviance(design, int(nagq))
    estimate, converged = _maximize_likelihood(deviance)
    dev_min = deviance(estimate)
    hessian = _hessian(deviance, estimate)
    boundary = bool(estimate[0] < BOUNDARY_TOL)
    if boundary:
        warnings.warn(
            f"boundary (singular) fit: the variance of the random intercept for "
            f"{design.group!r} is estimated as zero.",
            BoundaryFitWarning,
            stacklevel=2,
        )
    # lme4: covariance of all parameters = inverse of (Hessian of the deviance) / 2.
    try:
        covariance = np.linalg.inv(hessian / 2.0)
    except np.linalg.LinAlgError:
        covariance = np.full_like(hessian, np.nan)
    beta_cov = covariance[1:, 1:]
    if boundary:  # no curvature in theta at zero: condition on theta = 0, as lme4 does
        beta_cov = np.linalg.inv(hessian[1:, 1:] / 2.0)
    beta = estimate[1:]
    se = _standard_errors(beta_cov)
    try:
        se_given_sd = _standard_errors(np.linalg.inv(hessian[1:, 1:] / 2.0))
    except np.linalg.LinAlgError:
        se_given_sd = np.full(len(beta), np.nan)
    z = beta / se
    fixed = pd.DataFrame(
        {"estimate": beta, "se": se, "z": z, "p": 2.0 * stats.norm.sf(np.abs(z))},
        index=pd.Index(design.terms, name="term"),
    )
    theta = float(estimate[0])
    offset = design.X @ beta
    modes, _ = deviance.conditional_modes(theta, offset)
    return GlmerFit(
        formula=formula,
        nagq=int(nagq),
        loglik=-0.5 * dev_min,
        npar=design.X.shape[1] + 1,
        n_obs=len(design.y),
        n_groups=len(design.group_levels),
        response=design.response,
        group=design.group,
        fixed=fixed,
        vcov=pd.DataFrame(beta_cov, index=design.terms, columns=design.terms),
        re_variance=theta**2,
        re_sd=theta,
        random_effects=pd.Series(
            theta * modes, index=pd.Index(design.group_levels, name=design.group)
        ),
        se_given_sd=pd.Series(se_given_sd, index=pd.Index(design.terms, name="term")),
        boundary=boundary,
        converged=converged,
    )


def _maximize_likelihood(deviance: _Deviance) -> tuple[np.ndarray, bool]:
    """The maximum-likelihood (theta, beta) of ``deviance``'s design, theta >= 0, and
    whether the search converged (a small gradient after the Newton polish)."""
    start = _starting_values(deviance.d)
    # The deviance is even in theta, so an unconstrained quasi-Newton search is safe.
    result = optimize.minimize(
        deviance, start, method="BFGS", options={"gtol": 1e-5, "maxiter": 1000}
    )
    estimate, converged = _newton_polish(deviance, result.x)
    estimate[0] = abs(estimate[0])
    if estimate[0] < BOUNDARY_TOL:
        # On the boundary, compare with the exact zero-variance fit and keep the better one.
        at_zero = optimize.minimize(
            lambda beta: deviance(np.concatenate(([0.0], beta))),
            estimate[1:],
            method="BFGS",
            options={"gtol": 1e-8},
        )
        if at_zero.fun <= deviance(estimate):
            estimate = np.concatenate(([0.0], at_zero.x))
    return estimate, converged


def _standard_errors(covariance: np.ndarray) -> np.ndarray:
    """Square roots of the diagonal; NaN where it is not positive.

    A Hessian that is not positive definite (a flat or separated likelihood) leaves no
    usable standard error: NaN rather than the square root of a negative number.
    """
    variances = np.diag(covariance)
    return np.sqrt(np.where(variances > 0, variances, np.nan))


def _gradient(function, x: np.ndarray, step: float = 1e-5) -> np.ndarray:
    """Central-difference gradient (steps relative to |x|, min ``step``)."""
    h = step * np.maximum(np.abs(x), 1.0)
    gradient = np.empty(len(x))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h[i]
        gradient[i] = (function(x + e) - function(x - e)) / (2.0 * h[i])
    return gradient


def _newton_polish(function, x: np.ndarray, steps: int = 3) -> tuple[np.ndarray, bool]:
    """Refine a minimum with Newton steps on finite-difference derivatives.

    Returns the refined point and whether the gradient is small there (converged).
    """
    x = np.asarray(x, dtype=float).copy()
    value = function(x)
    for _ in range(steps):
        gradient = _gradient(function, x)
        if np.max(np.abs(gradient)) < 1e-7:
            return x, True
        try:
            step = np.linalg.solve(_hessian(function, x), gradient)
        except np.linalg.LinAlgError:
            break
        candidate = x - step
        candidate_value = function(candidate)
        if not candidate_value < value:
            break
        x, value = candidate, candidate_value
    return x, bool(np.max(np.abs(_gradient(function, x))) < 1e-5)


def _starting_values(design: _Design) -> np.ndarray:
    """theta = 1 and the fixed effects of the ordinary logistic regression (lightly ridged)."""

    def penalized(beta: np.ndarray) -> float:
        eta = design.X @ beta
        return float(np.sum(np.logaddexp(0.0, eta) - design.y * eta) + 0.5e-2 * beta @ beta)

    beta0 = optimize.minimize(penalized, np.zeros(design.X.shape[1]), method="BFGS").x
    return np.concatenate(([1.0], beta0))


def lrt(m0: GlmerFit, m1: GlmerFit) -> pd.DataFrame:
    """Likelihood-ratio test of nested fits, laid out like R's ``anova(m0, m1)``.

    Parameters
    ----------
    m0, m1 : GlmerFit
        The smaller and the larger model, fitted to the same data with the same ``nagq``.

    Returns
    -------
    pandas.DataFrame
        Rows ``m0`` (the smaller model, whichever argument it was) and ``m1``; columns
        ``npar``, ``aic``, ``bic``, ``loglik``, ``deviance``, ``chisq``, ``df`` and ``p``
        (chi-square upper tail); the last three are NaN in the first row.

    Raises
    ------
    ValueError
        If the fits are not GlmerFit objects, differ in data size, response, group or
        ``nagq``, or have the same number of parameters.
    """
    for name, fit in (("m0", m0), ("m1", m1)):
        if not isinstance(fit, GlmerFit):
            raise ValueError(f"{name} must be a GlmerFit, got {type(fit).__name__}.")
    if (m0.n_obs, m0.response, m0.group, m0.nagq) != (m1.n_obs, m1.response, m1.group, m1.nagq):
        raise ValueError("m0 and m1 must be fitted to the same data, group and nagq.")
    if m0.npar == m1.npar:
        raise ValueError("m0 and m1 have the same number of parameters: not nested.")
    small, large = (m0, m1) if m0.npar < m1.npar else (m1, m0)
    chisq = max(small.deviance - large.deviance, 0.0)
    df = large.npar - small.npar
    rows = [
        [small.npar, small.aic, small.bic, small.loglik, small.deviance, np.nan, np.nan, np.nan],
        [
            *(large.npar, large.aic, large.bic, large.loglik, large.deviance),
            *(chisq, df, stats.chi2.sf(chisq, df)),
        ],
    ]
    columns = ["npar", "aic", "bic", "loglik", "deviance", "chisq", "df", "p"]
    # Rows in order of size, like anova(): "m0" is always the smaller model.
    table = pd.DataFrame(rows, columns=columns, index=["m0", "m1"])
    return table.astype({"npar": "int64"})


def _fixed_term_index(design: _Design, term: str) -> int:
    if term not in design.terms:
        raise ValueError(f"term {term!r} is not a fixed effect; the terms are {design.terms}.")
    return design.terms.index(term)


#: Starting values of the random-intercept SD for the global search of the profile.
_PROFILE_THETA_STARTS = (0.0, 0.5, 1.5, 4.0, 10.0)


def profile_deviance(
    formula: str, data: pd.DataFrame, term: str, values, nagq: int = 1
) -> pd.DataFrame:
    """Profile deviance of one fixed effect: the deviance minimized over everything else.

    For each value ``b`` of the coefficient of ``term``, the deviance is minimized over
    the random-intercept SD and the other fixed effects. The profile over the SD can have
    more than one local minimum (one near zero, one at a large SD), so each value is
    searched from several starting SDs and the best result is kept.

    Parameters
    ----------
    formula, data, nagq
        As for :func:`glmer`.
    term : str
        A fixed-effect name, e.g. ``"method"``.
    values : array_like
        Finite values of the coefficient at which to profile.

    Returns
    -------
    pandas.DataFrame
        Columns ``value``, ``deviance`` (minimized, -2 log-likelihood) and ``re_sd`` (the
        SD at the minimum), one row per value.
    """
    if isinstance(nagq, bool) or not isinstance(nagq, (int, np.integer)) or not 1 <= nagq <= 25:
        raise ValueError(f"nagq must be an integer from 1 to 25, got {nagq!r}.")
    grid = np.atleast_1d(np.asarray(values, dtype=float))
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all():
        raise ValueError("values must be a non-empty 1-d array of finite numbers.")
    design = _parse(formula, data)
    j = _fixed_term_index(design, term)
    deviance = _Deviance(design, int(nagq))
    others = _starting_values(design)[1:]

    def constrained(free: np.ndarray, b: float) -> float:
        beta = np.insert(free[1:], j, b)
        return deviance(np.concatenate(([free[0]], beta)))

    rows = []
    for b in grid:
        best = None
        for theta0 in _PROFILE_THETA_STARTS:
            start = np.concatenate(([theta0], np.delete(others, j)))
            result = optimize.minimize(
                constrained, start, args=(b,), method="BFGS", options={"gtol": 1e-6}
            )
            if best is None or result.fun < best.fun:
                best = result
        rows.append((b, float(best.fun), abs(float(best.x[0]))))
        others = np.insert(best.x[1:], j, b)  # warm start for the next value
    return pd.DataFrame(rows, columns=["value", "deviance", "re_sd"])


def profile_interval(
    formula: str, data: pd.DataFrame, term: str, level: float = 0.95, nagq: int = 1
) -> tuple[float, float]:
    """Profile-likelihood confidence interval for one fixed effect.

    The interval holds the values ``b`` whose profile deviance exceeds the minimum by at
    most the ``level`` quantile of chi-square with 1 df (3.84 for 95%). An end that is
    not reached within 50 standard errors of the estimate is returned as infinite.

    Returns
    -------
    (lower, upper) : tuple of float
    """
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level!r}.")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        fit = glmer(formula, data, nagq=nagq)
    if term not in fit.fixed.index:
        terms = list(fit.fixed.index)
        raise ValueError(f"term {term!r} is not a fixed effect; the terms are {terms}.")
    estimate, se = (float(v) for v in fit.fixed.loc[term, ["estimate", "se"]])
    cutoff = fit.deviance + stats.chi2.ppf(level, 1)

    def excess(b: float) -> float:
        return float(profile_deviance(formula, data, term, [b], nagq)["deviance"].iloc[0]) - cutoff

    ends = []
    for direction in (-1.0, 1.0):
        inner, outer = estimate, estimate + direction * se
        while excess(outer) < 0:
            inner, outer = outer, outer + direction * se
            if abs(outer - estimate) > 50 * se:
                outer = None
                break
        if outer is None:
            ends.append(direction * math.inf)
        else:
            ends.append(optimize.brentq(excess, min(inner, outer), max(inner, outer), xtol=1e-6))
    return ends[0], ends[1]


@dataclass(frozen=True)
class BootstrapLRT:
    """Result of :func:`bootstrap_lrt`."""

    observed: float  #: the LRT statistic on the data
    statistics: np.ndarray  #: the statistic on each data set simulated under the null
    p_value: float  #: (1 + #(statistics >= observed)) / (1 + n_boot)
    chi2_p_value: float  #: the usual p-value from chi-square with df degrees of freedom


def bootstrap_lrt(
    null_formula: str,
    full_formula: str,
    data: pd.DataFrame,
    n_boot: int,
    rng: np.random.Generator | int | None = None,
    nagq: int = 1,
) -> BootstrapLRT:
    """Parametric-bootstrap likelihood-ratio test of a null model against a larger one.

    Simulates ``n_boot`` data sets from the fitted null model (new random intercepts
    drawn from its estimated SD each time), refits both models to each, and compares the
    observed LRT statistic with the simulated ones instead of with chi-square.

    Raises
    ------
    ValueError
        If ``n_boot`` is not a positive integer, or the formulas are not nested fits of
        the same data (as in :func:`lrt`).
    """
    if isinstance(n_boot, bool) or not isinstance(n_boot, (int, np.integer)) or n_boot < 1:
        raise ValueError(f"n_boot must be a positive integer, got {n_boot!r}.")
    generator = rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        m0 = glmer(null_formula, data, nagq=nagq)
        m1 = glmer(full_formula, data, nagq=nagq)
        table = lrt(m0, m1)
        observed, df = float(table.loc["m1", "chisq"]), int(table.loc["m1", "df"])
    null_design, full_design = _parse(null_formula, data), _parse(full_formula, data)
    offset = null_design.X @ m0.fixed["estimate"].to_numpy()
    statistics = np.empty(n_boot)
    for k in range(n_boot):
        u = generator.normal(0.0, m0.re_sd, size=len(null_design.group_levels))
        p = special.expit(offset + u[null_design.group_index])
        y = (generator.random(len(p)) < p).astype(float)
        # The deviances of glmer's fits, without the standard errors glmer also computes.
        minimum = []
        for fitted in (null_design, full_design):
            deviance = _Deviance(replace(fitted, y=y), int(nagq))
            estimate, _ = _maximize_likelihood(deviance)
            minimum.append(deviance(estimate))
        statistics[k] = max(minimum[0] - minimum[1], 0.0)
    p_value = (1 + int(np.sum(statistics >= observed - 1e-9))) / (1 + n_boot)
    return BootstrapLRT(observed, statistics, p_value, float(stats.chi2.sf(observed, df)))
