"""Plots the lessons share that ArviZ does not draw the way the course needs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from scipy import stats

from course_utils import validation

__all__ = ["LEGEND_PLACES", "plot_areas", "show"]

#: Where :func:`show` puts a legend: a matplotlib ``loc``, or "outside" (right of the axes).
LEGEND_PLACES = ("best", "upper left", "upper right", "lower left", "lower right", "outside")

#: The dimensions of a scalar parameter's draws in an ArviZ / xarray posterior.
SAMPLE_DIMS = ("chain", "draw")


def _draws_of(
    posterior: Any, var_names: Sequence[str] | None
) -> dict[str, npt.NDArray[np.float64]]:
    """Flat draws per scalar variable from a fit (anything with `.posterior`) or a mapping."""
    source = posterior.posterior if hasattr(posterior, "posterior") else posterior
    if not isinstance(source, Mapping) and not hasattr(source, "data_vars"):
        raise TypeError(
            "posterior must be a fit with .posterior or a mapping name -> draws, got "
            f"{validation.describe(posterior)}."
        )
    if var_names is None:
        names = list(source.keys())
    elif isinstance(var_names, str) or not isinstance(var_names, Sequence):
        raise TypeError(
            f"var_names must be a list of names, got {validation.describe(var_names)}."
        )
    else:
        names = [validation.text("var_names", name) for name in var_names]
    if not names:
        raise ValueError("var_names: no variables to plot.")
    draws = {}
    for name in names:
        if name not in source:
            raise ValueError(f"var_names: {name!r} is not in the posterior.")
        values = source[name]
        other_dims = [dim for dim in getattr(values, "dims", ()) if dim not in SAMPLE_DIMS]
        if other_dims or np.ndim(values) > 2:
            extra = other_dims or f"shape {np.shape(values)}"
            raise ValueError(
                f"posterior[{name!r}] is not a scalar parameter ({extra} besides chain and "
                "draw): plot_areas draws one ridge per scalar; select one element first, "
                f"e.g. posterior[{name!r}].sel(...) or .isel(...)."
            )
        flat = validation.real_array(f"posterior[{name!r}]", values, min_size=2).ravel()
        draws[name] = flat
    return draws


def plot_areas(
    posterior: Any,
    var_names: Sequence[str] | None = None,
    prob: float = 0.89,
    ax: Axes | None = None,
) -> Axes:
    """Densities of scalar parameters, one ridge each, with the central interval shaded.

    The course's version of bayesplot's `mcmc_areas`: a kernel density estimate of each
    variable's draws, its equal-tailed `prob` interval shaded darker, and the median
    marked. Returns the axes; the shaded interval of variable `name` is the patch with
    label ``f"{name} {prob:.0%}"``.

    Raises
    ------
    TypeError
        If ``posterior`` is neither a fit nor a mapping, draws are not numbers, or ``ax``
        is not a matplotlib Axes.
    ValueError
        For an unknown variable, one that is not scalar (a vector such as the schools'
        ``theta``: select an element), fewer than 2 draws, NaN or infinite draws, or a
        ``prob`` outside (0, 1).
    """
    prob = validation.probability("prob", prob)
    if ax is not None:
        validation.instance("ax", ax, Axes, "a matplotlib Axes")
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


def show(ax: Axes, *, legend: str | None = None, legend_size: float = 8, **options: Any) -> None:
    """Finish a plot in one call and show its figure: ``ax.set(**options)``, then a legend.

    The lessons' plotting cells end with it, so that a plot's code fits on a lecture
    slide (Think Bayes' ``decorate``). ``legend`` is ``None`` (no legend), a place in
    :data:`LEGEND_PLACES` ("outside" puts it right of the axes), drawn in ``legend_size``
    points. ``options`` are any properties ``Axes.set`` takes (``xlabel``, ``ylim``, ...).

    >>> fig, ax = plt.subplots()
    >>> _ = ax.plot([0, 1], [0, 1], label="a line")
    >>> show(ax, legend="best", xlabel="x", ylim=(0, 1))
    """
    validation.instance("ax", ax, Axes, "a matplotlib Axes (fig, ax = plt.subplots())")
    if legend is not None:
        validation.choice("legend", legend, LEGEND_PLACES)
        validation.positive("legend_size", legend_size)
    ax.set(**options)
    if legend is not None:
        handles, _ = ax.get_legend_handles_labels()
        if not handles:
            raise ValueError(
                "legend: nothing on the axes has a label; give the plotted lines a "
                "label=... or pass legend=None."
            )
        place: dict[str, Any] = {"loc": legend}
        if legend == "outside":
            place = {"loc": "center left", "bbox_to_anchor": (1, 0.5)}
        ax.legend(fontsize=legend_size, **place)
    plt.show()
