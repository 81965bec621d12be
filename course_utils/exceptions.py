"""Warnings of the course's model fits and exact posteriors, as statsmodels has them.

A fit or an integral whose numbers should not be read at face value warns with one of
these classes (all :class:`ModelWarning`, a ``UserWarning``), and keeps the message in the
result it returns (``GlmerFit.warnings``, ``ExactSummary.warnings``), where the result's
summary shows it. Silence them all with
``warnings.simplefilter("ignore", course_utils.exceptions.ModelWarning)``.
"""

from __future__ import annotations

__all__ = [
    "BoundaryFitWarning",
    "ConvergenceWarning",
    "HessianInversionWarning",
    "IntegrationWarning",
    "ModelWarning",
    "PerfectSeparationWarning",
]


class ModelWarning(UserWarning):
    """Base class of the warnings below."""


class ConvergenceWarning(ModelWarning):
    """The optimizer stopped before the gradient was small: the estimates are not an
    optimum."""


class HessianInversionWarning(ModelWarning):
    """The Hessian at the estimates is not positive definite: no standard errors."""


class PerfectSeparationWarning(ModelWarning):
    """Some fixed effects predict the response exactly: their maximum-likelihood
    estimates are infinite and the numbers reported are where the optimizer stopped."""


class BoundaryFitWarning(ModelWarning):
    """The random-intercept variance was estimated on the boundary (zero): a singular fit."""


class IntegrationWarning(ModelWarning):
    """A numerical integral (grid or quadrature) may be less accurate than documented."""
