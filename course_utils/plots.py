"""Plots the lessons share that ArviZ does not draw the way the course needs."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from scipy import stats


def _draws_of(posterior, var_names: list[str] | None) -> dict[str, np.ndarray]:
    """Flat draws per variable from a fit (anything with `.posterior`) or a mapping."""
    source = posterior.posterior if hasattr(posterior, "posterior") else posterior
    if not isinstance(source, Mapping) and not hasattr(source, "data_vars"):
        raise ValueError("posterior: expected a fit with .posterior or a mapping name -> draws")
    names = list(var_names) if var_names is not None else list(source.keys())
    if not names:
        raise ValueError("var_names: no variables to plot")
    draws = {}
    for name in names:
        if name not in source:
            raise ValueError(f"var_names: {name!r} is not in the posterior")
        values = np.asarray(source[name], dtype=float).ravel()
        if values.size < 2:
            raise ValueError(f"posterior[{name!r}]: needs at least 2 draws")
        if not np.all(np.isfinite(values)):
            raise ValueError(f"posterior[{name!r}]: contains NaN or infinite draws")
        draws[name] = values
    return draws


def plot_areas(
    posterior,
    var_names: list[str] | None = None,
    prob: float = 0.89,
    ax: Axes | None = None,
) -> Axes:
    """Densities of scalar parameters, one ridge each, with the central interval shaded.

    The course's version of bayesplot's `mcmc_areas`: a kernel density estimate of each
    variable's draws, its equal-tailed `prob` interval shaded darker, and the median
    marked. Returns the axes; the shaded interval of variable `name` is the patch with
    label ``f"{name} {prob:.0%}"``.
    """
    if not 0 < prob < 1:
        raise ValueError(f"prob: must be strictly between 0 and 1, got {prob}")
    draws = _draws_of(posterior, var_names)
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.9 + 0.8 * len(draws)))
    tail = (1 - prob) / 2
    for row, (name, values) in enumerate(reversed(draws.items())):
        low, median, high = np.quantile(values, [tail, 0.5, 1 - tail])
        grid = np.linspace(values.min(), values.max(), 400)
        density = stats.gaussian_kde(values)(grid)
        height = 0.85 * density / density.max()
        inside = (grid >= low) & (grid <= high)
        band = np.concatenate([[low], grid[inside], [high]])
        band_height = np.interp(band, grid, height)
        ax.fill_between(grid, row, row + height, color="C0", alpha=0.2, linewidth=0)
        ax.fill_between(
            band,
            row,
            row + band_height,
            color="C0",
            alpha=0.55,
            linewidth=0,
            label=f"{name} {prob:.0%}",
        )
        ax.plot(grid, row + height, color="C0", linewidth=1.2)
        ax.vlines(median, row, row + np.interp(median, grid, height), color="C0", linewidth=1.5)
    ax.set_yticks(range(len(draws)), list(reversed(draws)))
    ax.set_ylim(-0.1, len(draws))
    ax.axvline(0, color="grey", linewidth=0.8, linestyle=":")
    ax.set_title(f"posterior densities, {prob:.0%} intervals shaded, median marked")
    ax.spines[["top", "right", "left"]].set_visible(False)
    return ax
