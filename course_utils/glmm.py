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

A fit whose numbers should not be read at face value warns as statsmodels' fits do
(:mod:`course_utils.exceptions`): :class:`PerfectSeparationWarning` when fixed effects
predict the response exactly (their estimates are infinite), :class:`BoundaryFitWarning`
for a zero variance, :class:`HessianInversionWarning` when there are no standard errors,
:class:`ConvergenceWarning` when the optimizer stopped short. The messages are kept in
:attr:`GlmerFit.warnings` and printed at the end of :meth:`GlmerFit.summary`.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd
import patsy
from scipy import optimize, special, stats

from course_utils import result_cache, validation
from course_utils.derivatives import gradient, hessian
from course_utils.exceptions import (
    BoundaryFitWarning,
    ConvergenceWarning,
    HessianInversionWarning,
    ModelWarning,
    PerfectSeparationWarning,
)

__all__ = [
    "BOUNDARY_TOL",
    "MAX_BOOTSTRAP",
    "PROFILE_MAX_SE",
    "BootstrapLRT",
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

#: Most simulated data sets of :func:`bootstrap_lrt` (each is two fits, ~10 ms).
MAX_BOOTSTRAP = 100_000

#: Most steps of one standard error that :func:`profile_interval` takes from the estimate
#: looking for each end of the interval (an end not reached is infinite).
PROFILE_MAX_SE = 50

FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class _Design:
    y: FloatArray  # (n,) 0/1 outcomes
    X: FloatArray  # (n, p) fixed-effects design
    terms: list[str]  # names of the columns of X
    group_index: npt.NDArray[np.intp]  # (n,) group of each row, 0..G-1
    group_levels: list[Any]  # label of each group
    response: str
    group: str


def _parse(formula: str, data: pd.DataFrame, name: str = "formula") -> _Design:
    validation.text(name, formula)
    if "~" not in formula:
        raise ValueError(f"{name} must be a string like 'y ~ x + (1 | g)', got {formula!r}.")
    validation.data_frame("data", data)
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
        group_index=codes.astype(np.intp),
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
    def _rule(nagq: int) -> tuple[FloatArray, FloatArray]:
        """Gauss-Hermite nodes for weight exp(-x^2), log weights with exp(x^2) folded in."""
        nodes, weights = np.polynomial.hermite.hermgauss(nagq)
        return nodes, np.log(weights) + nodes**2

    def _group_sum(self, values: FloatArray) -> FloatArray:
        return self.members @ values

    def conditional_modes(self, theta: float, offset: FloatArray) -> tuple[FloatArray, FloatArray]:
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

    def _log_h(self, theta: float, offset: FloatArray, z: FloatArray) -> FloatArray:
        """log p(y_g | z_g) - z_g^2 / 2 for every group (z: one value per group)."""
        eta = offset + theta * z[self.d.group_index]
        loglik = self.d.y * eta - np.logaddexp(0.0, eta)
        return self._group_sum(loglik) - 0.5 * z**2

    def __call__(self, params: FloatArray) -> float:
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
        True when the gradient of the deviance is small at the reported optimum (never
        under perfect separation, where no finite optimum exists).
    endog : numpy.ndarray
        The 0/1 response the model was fitted to, one value per row.
    exog : pandas.DataFrame
        The fixed-effects design (model matrix), one row per observation.
    groups : numpy.ndarray
        The group label of each row.
    warnings : tuple of str
        The messages of the warnings the fit issued (see the module's docstring), also
        printed at the end of :meth:`summary`; empty for a clean fit.
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
    endog: FloatArray
    exog: pd.DataFrame
    groups: npt.NDArray[Any]
    warnings: tuple[str, ...] = ()

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
        sd = _standard_errors(self.vcov.to_numpy())  # NaN where a variance is not positive
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
        if self.warnings:
            lines += ["", "Warnings:"]
            lines += [f"[{i}] {message}" for i, message in enumerate(self.warnings, start=1)]
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
    TypeError
        If ``formula`` is not a string, ``data`` not a DataFrame or ``nagq`` not an
        integer.
    ValueError
        For an unsupported formula, an unknown column, missing values, a non-binary
        response, a rank-deficient design, or ``nagq`` outside 1..25.

    Warns
    -----
    PerfectSeparationWarning
        When fixed effects predict the response exactly (all passed, or a predictor that
        splits passes from fails): the maximum-likelihood estimates are infinite, the
        numbers reported are where the optimizer stopped, and ``converged`` is False.
    BoundaryFitWarning
        When the random-intercept SD is estimated at (or within 1e-4 of) zero.
    HessianInversionWarning
        When the Hessian is not positive definite: some standard errors are NaN.
    ConvergenceWarning
        When the optimizer stopped before the gradient was small.
    """
    nagq = validation.count("nagq", nagq, minimum=1, maximum=25)
    design = _parse(formula, data)
    separated = _separated_terms(design)
    deviance = _Deviance(design, nagq)
    estimate, converged = _maximize_likelihood(deviance)
    dev_min = deviance(estimate)
    curvature = hessian(deviance, estimate)
    boundary = bool(estimate[0] < BOUNDARY_TOL)
    # lme4: covariance of all parameters = inverse of (Hessian of the deviance) / 2.
    try:
        covariance = np.linalg.inv(curvature / 2.0)
    except np.linalg.LinAlgError:
        covariance = np.full_like(curvature, np.nan)
    beta_cov = covariance[1:, 1:]
    if boundary:  # no curvature in theta at zero: condition on theta = 0, as lme4 does
        beta_cov = _inverse_or_nan(curvature[1:, 1:] / 2.0)
    beta = estimate[1:]
    se = _standard_errors(beta_cov)
    se_given_sd = _standard_errors(_inverse_or_nan(curvature[1:, 1:] / 2.0))
    z = beta / se
    fixed = pd.DataFrame(
        {"estimate": beta, "se": se, "z": z, "p": 2.0 * stats.norm.sf(np.abs(z))},
        index=pd.Index(design.terms, name="term"),
    )
    theta = float(estimate[0])
    offset = design.X @ beta
    modes, _ = deviance.conditional_modes(theta, offset)
    messages = []
    if separated:
        converged = False
        messages.append(
            "perfect separation: a combination of the fixed effects ("
            + ", ".join(repr(term) for term in separated)
            + ") predicts the response exactly for some rows, so maximum-likelihood "
            "estimates do not exist (they are infinite); the estimates shown are where the "
            "optimizer stopped and their standard errors mean nothing."
        )
    if boundary:
        messages.append(
            "boundary (singular) fit: the variance of the random intercept for "
            f"{design.group!r} is estimated as zero."
        )
    missing_se = [term for term, value in zip(design.terms, se, strict=True) if np.isnan(value)]
    if missing_se and not separated:
        messages.append(
            "the Hessian of the deviance is not positive definite at the estimates: no "
            "standard error (NaN) for " + ", ".join(repr(term) for term in missing_se) + "."
        )
    if not converged and not separated:
        worst = float(np.max(np.abs(gradient(deviance, estimate))))
        messages.append(
            f"the optimizer did not converge: the deviance's gradient is {worst:.2g} at the "
            "estimates (should be below 1e-5)."
        )
    for message, category in zip(messages, _categories(messages), strict=True):
        warnings.warn(message, category, stacklevel=2)
    return GlmerFit(
        formula=formula,
        nagq=nagq,
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
        endog=design.y,
        exog=pd.DataFrame(design.X, columns=design.terms),
        groups=np.asarray(design.group_levels, dtype=object)[design.group_index],
        warnings=tuple(messages),
    )


def _categories(messages: list[str]) -> list[type[ModelWarning]]:
    """The warning class of each of glmer's messages, from how it starts."""
    starts = {
        "perfect separation": PerfectSeparationWarning,
        "boundary (singular)": BoundaryFitWarning,
        "the Hessian": HessianInversionWarning,
        "the optimizer": ConvergenceWarning,
    }
    return [
        next(category for start, category in starts.items() if message.startswith(start))
        for message in messages
    ]


def _inverse_or_nan(matrix: FloatArray) -> FloatArray:
    try:
        return np.linalg.inv(matrix)
    except np.linalg.LinAlgError:
        return np.full_like(matrix, np.nan)


def _separated_terms(design: _Design) -> list[str]:
    """The fixed-effects terms along which the data are (quasi-)completely separated.

    Separation means a direction d of the coefficients with x_i . d >= 0 for every row
    with y = 1, <= 0 for every row with y = 0, and not 0 for all rows: moving the
    coefficients along d never lowers the likelihood of any row and raises some, so the
    maximum is at infinity (whatever the random intercepts do). Found by a linear
    program (as R's safeBinaryRegression does): maximize sum_i s_i x_i . d subject to
    s_i x_i . d >= 0 and |d_j| <= 1, with s_i = 2 y_i - 1 and columns scaled to [-1, 1].
    """
    scale = np.max(np.abs(design.X), axis=0)
    scale[scale == 0] = 1.0
    signed = (2.0 * design.y - 1.0)[:, None] * (design.X / scale)
    result = optimize.linprog(
        -signed.sum(axis=0),
        A_ub=-signed,
        b_ub=np.zeros(len(signed)),
        bounds=[(-1.0, 1.0)] * signed.shape[1],
        method="highs",
    )
    if result.status != 0 or -result.fun < 1e-7:
        return []
    return [term for term, d in zip(design.terms, result.x, strict=True) if abs(d) > 1e-7]


def _maximize_likelihood(deviance: _Deviance) -> tuple[FloatArray, bool]:
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


def _standard_errors(covariance: FloatArray) -> FloatArray:
    """Square roots of the diagonal; NaN where it is not positive.

    A Hessian that is not positive definite (a flat or separated likelihood) leaves no
    usable standard error: NaN rather than the square root of a negative number.
    """
    variances = np.diag(covariance)
    return np.sqrt(np.where(variances > 0, variances, np.nan))


def _newton_polish(
    function: Callable[[FloatArray], float], x: FloatArray, steps: int = 3
) -> tuple[FloatArray, bool]:
    """Refine a minimum with Newton steps on finite-difference derivatives.

    Returns the refined point and whether it is an optimum: the gradient is below 1e-5,
    or the deviance a Newton step would still gain is below 1e-8 (converged).
    """
    x = np.asarray(x, dtype=float).copy()
    value = function(x)
    for _ in range(steps):
        slope = gradient(function, x)
        if np.max(np.abs(slope)) < 1e-7:
            return x, True
        try:
            step = np.linalg.solve(hessian(function, x), slope)
        except np.linalg.LinAlgError:
            break
        candidate = x - step
        candidate_value = function(candidate)
        if not candidate_value < value:
            break
        x, value = candidate, candidate_value
    slope = gradient(function, x)
    if np.max(np.abs(slope)) < 1e-5:
        return x, True
    # On large data the deviance is large and so are its gradients: judge the gradient by
    # the decrease it promises (the Newton decrement, as lme4 scales its gradient check).
    try:
        decrement = float(slope @ np.linalg.solve(hessian(function, x), slope))
    except np.linalg.LinAlgError:
        return x, False
    return x, 0.0 <= decrement < 1e-8


def _starting_values(design: _Design) -> FloatArray:
    """theta = 1 and the fixed effects of the ordinary logistic regression (lightly ridged)."""

    def penalized(beta: FloatArray) -> float:
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
    TypeError
        If either fit is not a GlmerFit.
    ValueError
        If the fits are not of the same data (response values and groups, row by row)
        with the same ``nagq``, or are not nested (the same number of parameters, or the
        smaller model's fixed effects outside the span of the larger's).
    """
    small, large = _nested_pair(m0, m1)
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


def _nested_pair(m0: GlmerFit, m1: GlmerFit) -> tuple[GlmerFit, GlmerFit]:
    """(smaller, larger) of two fits, after checking that they are nested fits of the
    same data."""
    for name, fit in (("m0", m0), ("m1", m1)):
        validation.instance(name, fit, GlmerFit, "a GlmerFit (from glmer)")
    same_data = (
        (m0.n_obs, m0.response, m0.group, m0.nagq) == (m1.n_obs, m1.response, m1.group, m1.nagq)
        and np.array_equal(m0.endog, m1.endog)
        and np.array_equal(m0.groups, m1.groups)
    )
    if not same_data:
        raise ValueError(
            "m0 and m1 must be fitted to the same data (the same response and groups, row by "
            f"row) with the same nagq; got {m0.n_obs} rows of {m0.response!r} by "
            f"{m0.group!r} (nagq {m0.nagq}) and {m1.n_obs} rows of {m1.response!r} by "
            f"{m1.group!r} (nagq {m1.nagq})"
            + (", with different values" if m0.n_obs == m1.n_obs else "")
            + "."
        )
    if m0.npar == m1.npar:
        raise ValueError("m0 and m1 have the same number of parameters: not nested.")
    small, large = (m0, m1) if m0.npar < m1.npar else (m1, m0)
    both = np.hstack([large.exog.to_numpy(), small.exog.to_numpy()])
    if np.linalg.matrix_rank(both) > np.linalg.matrix_rank(large.exog.to_numpy()):
        raise ValueError(
            f"m0 and m1 are not nested: the fixed effects of {small.formula!r} are not "
            f"within those of {large.formula!r}."
        )
    return small, large


def _fixed_term_index(design: _Design, term: str) -> int:
    validation.text("term", term)
    if term not in design.terms:
        raise ValueError(f"term {term!r} is not a fixed effect; the terms are {design.terms}.")
    return design.terms.index(term)


#: Starting values of the random-intercept SD for the global search of the profile.
_PROFILE_THETA_STARTS = (0.0, 0.5, 1.5, 4.0, 10.0)


@result_cache.cached()
def profile_deviance(
    formula: str, data: pd.DataFrame, term: str, values: npt.ArrayLike, nagq: int = 1
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
    nagq = validation.count("nagq", nagq, minimum=1, maximum=25)
    grid = np.atleast_1d(validation.real_array("values", values, ndim=(0, 1)))
    design = _parse(formula, data)
    j = _fixed_term_index(design, term)
    deviance = _Deviance(design, nagq)
    others = _starting_values(design)[1:]

    def constrained(free: FloatArray, b: float) -> float:
        beta = np.insert(free[1:], j, b)
        return deviance(np.concatenate(([free[0]], beta)))

    rows = []
    for b in grid:
        best: Any = None
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


@result_cache.cached()
def profile_interval(
    formula: str, data: pd.DataFrame, term: str, level: float = 0.95, nagq: int = 1
) -> tuple[float, float]:
    """Profile-likelihood confidence interval for one fixed effect.

    The interval holds the values ``b`` whose profile deviance exceeds the minimum by at
    most the ``level`` quantile of chi-square with 1 df (3.84 for 95%). Each end is
    searched in steps of one standard error; an end not reached within
    :data:`PROFILE_MAX_SE` standard errors of the estimate is returned as infinite.

    Returns
    -------
    (lower, upper) : tuple of float

    Raises
    ------
    TypeError, ValueError
        As :func:`glmer`, for a ``term`` that is not a fixed effect, a ``level`` outside
        (0, 1), or a fit without a finite, positive standard error for ``term`` (then
        :func:`profile_deviance` on a grid of your choice shows the profile).
    """
    level = validation.probability("level", level)
    validation.text("term", term)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        fit = glmer(formula, data, nagq=nagq)
    if term not in fit.fixed.index:
        terms = list(fit.fixed.index)
        raise ValueError(f"term {term!r} is not a fixed effect; the terms are {terms}.")
    estimate, se = (float(v) for v in fit.fixed.loc[term, ["estimate", "se"]])
    if not (math.isfinite(se) and se > 0):
        raise ValueError(
            f"the fit has no finite, positive standard error for {term!r} (got {se}), which "
            "sets the search steps; use profile_deviance on a grid of values instead."
        )
    cutoff = fit.deviance + stats.chi2.ppf(level, 1)

    def excess(b: float) -> float:
        return float(profile_deviance(formula, data, term, [b], nagq)["deviance"].iloc[0]) - cutoff

    ends = []
    for direction in (-1.0, 1.0):
        inner = estimate
        for steps in range(1, PROFILE_MAX_SE + 1):
            outer = estimate + direction * steps * se
            if excess(outer) >= 0:
                low, high = sorted((inner, outer))
                ends.append(float(optimize.brentq(excess, low, high, xtol=1e-6)))
                break
            inner = outer
        else:
            ends.append(direction * math.inf)
    return ends[0], ends[1]


@dataclass(frozen=True)
class BootstrapLRT:
    """Result of :func:`bootstrap_lrt`."""

    observed: float  #: the LRT statistic on the data
    statistics: FloatArray  #: the statistic on each data set simulated under the null
    p_value: float  #: (1 + #(statistics >= observed)) / (1 + n_boot)
    chi2_p_value: float  #: the usual p-value from chi-square with df degrees of freedom


@result_cache.cached(seeded_by="rng")
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
    observed LRT statistic with the simulated ones instead of with chi-square. The
    smaller model is the null, whichever formula is given first (as :func:`lrt` orders
    its fits).

    Raises
    ------
    TypeError
        If a formula is not a string, ``data`` not a DataFrame, ``n_boot`` or ``nagq``
        not an integer, or ``rng`` neither a Generator, a seed nor None.
    ValueError
        If ``n_boot`` is not positive, or the formulas are not nested fits of the same
        data (as in :func:`lrt`).
    """
    n_boot = validation.count("n_boot", n_boot, minimum=1, maximum=MAX_BOOTSTRAP)
    generator = validation.seed_or_generator("rng", rng)
    for name, formula in (("null_formula", null_formula), ("full_formula", full_formula)):
        _parse(formula, data, name)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", BoundaryFitWarning)
        fits = glmer(null_formula, data, nagq=nagq), glmer(full_formula, data, nagq=nagq)
    m0, m1 = _nested_pair(*fits)
    observed = max(m0.deviance - m1.deviance, 0.0)
    df = m1.npar - m0.npar
    null_design, full_design = _parse(m0.formula, data), _parse(m1.formula, data)
    offset = null_design.X @ m0.fixed["estimate"].to_numpy()
    statistics = np.empty(n_boot)
    for k in range(n_boot):
        u = generator.normal(0.0, m0.re_sd, size=len(null_design.group_levels))
        p = special.expit(offset + u[null_design.group_index])
        y = (generator.random(len(p)) < p).astype(float)
        # The deviances of glmer's fits, without the standard errors glmer also computes.
        minimum = []
        for fitted in (null_design, full_design):
            deviance = _Deviance(replace(fitted, y=y), m0.nagq)
            estimate, _ = _maximize_likelihood(deviance)
            minimum.append(deviance(estimate))
        statistics[k] = max(minimum[0] - minimum[1], 0.0)
    p_value = (1 + int(np.sum(statistics >= observed - 1e-9))) / (1 + n_boot)
    return BootstrapLRT(observed, statistics, p_value, float(stats.chi2.sf(observed, df)))
