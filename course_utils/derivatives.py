"""Finite-difference derivatives of scalar functions: the gradient and the Hessian.

Used where no analytic derivative is written out: the standard errors and the Newton
polish of :func:`course_utils.glmm.glmer`, and the normal approximation at the posterior
mode in :mod:`course_utils.hierarchical_normal`. Steps are relative to ``|x|`` (at least
``step``), central differences.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from course_utils import validation

__all__ = ["gradient", "hessian"]

ScalarFunction = Callable[[npt.NDArray[np.float64]], float]


def gradient(
    function: ScalarFunction, x: npt.ArrayLike, step: float = 1e-5
) -> npt.NDArray[np.float64]:
    """Central-difference gradient of ``function`` at ``x`` (a 1-d array)."""
    function, x, step = _checked(function, x, step)
    h = step * np.maximum(np.abs(x), 1.0)
    result = np.empty(len(x))
    for i in range(len(x)):
        e = np.zeros(len(x))
        e[i] = h[i]
        result[i] = (function(x + e) - function(x - e)) / (2.0 * h[i])
    return result


def hessian(
    function: ScalarFunction, x: npt.ArrayLike, step: float = 1e-4
) -> npt.NDArray[np.float64]:
    """Central-difference Hessian of ``function`` at ``x`` (a 1-d array)."""
    function, x, step = _checked(function, x, step)
    k = len(x)
    h = step * np.maximum(np.abs(x), 1.0)
    result = np.empty((k, k))
    f0 = function(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        result[i, i] = (function(x + ei) - 2.0 * f0 + function(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            value = (
                function(x + ei + ej)
                - function(x + ei - ej)
                - function(x - ei + ej)
                + function(x - ei - ej)
            ) / (4.0 * h[i] * h[j])
            result[i, j] = result[j, i] = value
    return result


def _checked(
    function: ScalarFunction, x: npt.ArrayLike, step: float
) -> tuple[ScalarFunction, npt.NDArray[np.float64], float]:
    validation.function("function", function)
    return function, validation.real_array("x", x, ndim=1), validation.positive("step", step)
