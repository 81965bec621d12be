"""Numerical helpers shared by the course's modules (not part of the lessons' interface)."""

from __future__ import annotations

import numpy as np

__all__ = ["hessian"]


def hessian(function, x: np.ndarray, step: float = 1e-4) -> np.ndarray:
    """Central-difference Hessian of a scalar function (steps relative to |x|, min 1e-4)."""
    k = len(x)
    h = step * np.maximum(np.abs(x), 1.0)
    hessian = np.empty((k, k))
    f0 = function(x)
    for i in range(k):
        ei = np.zeros(k)
        ei[i] = h[i]
        hessian[i, i] = (function(x + ei) - 2.0 * f0 + function(x - ei)) / h[i] ** 2
        for j in range(i):
            ej = np.zeros(k)
            ej[j] = h[j]
            value = (
                function(x + ei + ej)
                - function(x + ei - ej)
                - function(x - ei + ej)
                + function(x - ei - ej)
            ) / (4.0 * h[i] * h[j])
            hessian[i, j] = hessian[j, i] = value
    return hessian
