"""Finite-difference derivatives against derivatives worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from course_utils.derivatives import gradient, hessian


def function(x):
    """f(x, y) = exp(x) sin(y) + x^2 y^3."""
    return float(np.exp(x[0]) * np.sin(x[1]) + x[0] ** 2 * x[1] ** 3)


@pytest.mark.parametrize("point", [[0.3, -1.2], [2.0, 0.5], [-40.0, 3.0]])
def test_gradient_and_hessian_match_the_analytic_ones(point):
    x, y = point
    exact_gradient = [
        np.exp(x) * np.sin(y) + 2 * x * y**3,
        np.exp(x) * np.cos(y) + 3 * x**2 * y**2,
    ]
    exact_hessian = [
        [np.exp(x) * np.sin(y) + 2 * y**3, np.exp(x) * np.cos(y) + 6 * x * y**2],
        [np.exp(x) * np.cos(y) + 6 * x * y**2, -np.exp(x) * np.sin(y) + 6 * x**2 * y],
    ]
    scale = max(1.0, abs(x), abs(y)) ** 3
    np.testing.assert_allclose(gradient(function, point), exact_gradient, atol=1e-6 * scale)
    np.testing.assert_allclose(hessian(function, point), exact_hessian, atol=1e-4 * scale)


def test_bad_arguments():
    with pytest.raises(TypeError, match="function"):
        gradient("f", [1.0])
    with pytest.raises(ValueError, match="x must be 1-d"):
        hessian(function, [[1.0, 2.0]])
    with pytest.raises(ValueError, match="step"):
        gradient(function, [1.0, 2.0], step=0.0)
