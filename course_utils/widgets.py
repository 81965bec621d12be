"""Widgets of the lessons: thin ipywidgets wrappers around pure, tested functions.

Every widget calls one pure function (in another module) and redraws one persistent
figure with its result; nothing slow runs in a callback (no MCMC, no fitting). What a
user sees is ``widget.png``, the image last shown, drawn from ``widget.figure``; the
``sliders`` dict and :meth:`update` are there for tests and scripts.
"""

from __future__ import annotations

import io
import math
import warnings
from collections.abc import Sequence
from typing import Any

import ipywidgets as widgets
import numpy as np
import numpy.typing as npt
import pandas as pd
from IPython.display import Image, display
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image as PILImage
from scipy import interpolate

from course_utils import validation
from course_utils.coin import CoinPosterior, PosteriorCurves
from course_utils.exceptions import IntegrationWarning
from course_utils.hierarchical_normal import TAU_PRIORS, TauPriorSweep
from course_utils.model_data import group_estimates
from course_utils.priors import PriorPredictive, prior_predictive
from course_utils.tutoring_posterior import ExactSummary, TutoringPosterior

__all__ = [
    "PosteriorExplorer",
    "PriorPredictiveExplorer",
    "ShrinkageExplorer",
    "TutoringPriorExplorer",
    "nice_upper_limit",
]

# Mantissas of the axis tops a widget may use: ten per decade, so that a curve fills at
# least about three quarters of its axes and the axes stay put while a slider moves.
_NICE_MANTISSAS = (1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)


def nice_upper_limit(value: float, headroom: float = 1.05) -> float:
    """The smallest "round" number (1, 1.25, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of
    ten) at or above ``value * headroom``: the top of a y-axis that changes only now and
    then as a slider moves, so the figure's static parts can be reused between updates.

    >>> nice_upper_limit(2.7), nice_upper_limit(0.0031)
    (3.0, 0.004)
    """
    value = validation.real("value", value, low=0.0)
    headroom = validation.real("headroom", headroom, low=1.0)
    target = value * headroom
    if target == 0:
        return 1.0
    exponent = math.floor(math.log10(target))
    for mantissa in _NICE_MANTISSAS:
        limit = float(f"{mantissa}e{exponent}")  # exact decimal: 0.004, not 0.00400...01
        if limit >= target:
            return limit
    raise AssertionError("unreachable: 10 x 10**exponent exceeds the target")


def _slider_start(name: str, value: Any, slider: widgets.ValueWidget) -> Any:
    """``value`` as the starting value of ``slider``: an error outside the slider's range
    (ipywidgets would clamp it silently)."""
    low, high = slider.min, slider.max
    if isinstance(slider, widgets.FloatLogSlider):
        low, high = slider.base**low, slider.base**high
    if isinstance(slider, widgets.IntSlider):
        number: Any = validation.count(name, value, minimum=low, maximum=high)
    else:
        number = validation.real(
            name, value, low=low, high=high, what=f"within the slider's range [{low:g}, {high:g}]"
        )
    slider.value = number
    return number


def _png(canvas: FigureCanvasAgg) -> bytes:
    """What the canvas last drew, as PNG bytes (fast, light compression)."""
    buffer = io.BytesIO()
    PILImage.fromarray(np.asarray(canvas.buffer_rgba())).save(
        buffer, format="png", compress_level=1
    )
    return buffer.getvalue()


class _FigureWidget:
    """What every widget here shares: sliders that call :meth:`update`, one output area
    showing the figure as a PNG (``png``), and display in a notebook.

    Drawing is most of what a slider move costs (laying out tick labels above all), so a
    widget names its *dynamic* artists (curves, titles, legends): the rest of the figure
    is drawn once and its pixels reused for as long as no axis limit changes (blitting).
    A y-axis whose range follows the curves (a density's height) is dynamic too, drawn
    with the curves; the pixels of each range it has shown are kept, so a move back to a
    range (a drag does that all the time) copies them instead of laying the axis out
    again. Measured on 2026-12-02: without these caches TutoringPriorExplorer takes over
    100 ms a move; simpler caches (whole frames per y-range) miss 100 ms as well.
    """

    sliders: dict[str, widgets.ValueWidget]
    output: widgets.Output
    figure: Figure

    def update(self) -> Any:
        """Recompute for the current slider values and redraw (defined by each widget)."""
        raise NotImplementedError

    def _connect(self, dynamic: list[Artist], dynamic_y: tuple[Axes, ...] = ()) -> None:
        """Make every slider call :meth:`update`; lay out the sliders over the output; set
        up the persistent canvas with ``dynamic`` drawn over the cached static parts.

        The y-axes of ``dynamic_y`` are drawn with the dynamic artists (before them, as in
        a full draw), so changing those axes' y-limits needs no full redraw. Their figure
        layout must not depend on the tick labels (``subplots_adjust``, no tight layout).
        """
        for slider in self.sliders.values():
            slider.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([*self.sliders.values(), self.output])
        self._canvas = FigureCanvasAgg(self.figure)
        for axes in dynamic_y:
            if axes.yaxis.get_ticks_position() != "left":
                raise ValueError("dynamic_y: only y-axes with their ticks on the left")
        self._dynamic_y = tuple(dynamic_y)
        self._dynamic = list(dynamic)
        for artist in [axes.yaxis for axes in self._dynamic_y] + self._dynamic:
            artist.set_animated(True)  # left out of a full draw: drawn by redraw()
        self._static: Any = None  # pixels of the static parts, for _static_limits()
        self._static_limits_drawn: tuple[Any, ...] = ()
        self._y_axis_pixels: dict[tuple[int, tuple[float, float]], Any] = {}
        #: How many redraws drew the static parts anew (an axis limit changed); for the
        #: benchmark.
        self.full_draws = 0

    def _static_limits(self) -> tuple[Any, ...]:
        """The axis limits the static parts depend on (not a dynamic y-axis's)."""
        return tuple(
            (*axes.get_xlim(), *(() if axes in self._dynamic_y else axes.get_ylim()))
            for axes in self.figure.axes
        )

    def redraw(self, from_scratch: bool = False) -> bytes:
        """Draw the figure as it now is, show it in the output and return it as PNG
        bytes (also ``self.png``). ``from_scratch`` forgets every cached pixel first."""
        from_scratch = validation.boolean("from_scratch", from_scratch)
        limits = self._static_limits()
        if from_scratch or self._static is None or limits != self._static_limits_drawn:
            self._canvas.draw()
            self._static = self._canvas.copy_from_bbox(self.figure.bbox)
            self._static_limits_drawn = limits
            self._y_axis_pixels = {}  # drawn over the old static parts: stale
            self.full_draws += 1
        else:
            self._canvas.restore_region(self._static)
        for index, axes in enumerate(self._dynamic_y):
            self._draw_y_axis(index, axes)
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        self.png = _png(self._canvas)
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png, format="png"))
        return self.png

    def _draw_y_axis(self, index: int, axes: Axes) -> None:
        """Draw a dynamic y-axis over the static parts, from the pixels saved for its
        current range, else laid out anew and saved. The pixels saved are the axis's
        labels and outward tick marks, left of the spine, with a 2-pixel margin (the
        curves are drawn after them, as in a full draw, so the margin hides nothing)."""
        key = (index, axes.get_ylim())
        saved = self._y_axis_pixels.get(key)
        if saved is not None:
            self._canvas.restore_region(saved)
            return
        self.figure.draw_artist(axes.yaxis)
        labels = axes.yaxis.get_tightbbox(self._canvas.get_renderer())  # labels, offset
        if labels is None:  # nothing drawn
            return
        marks = Bbox.from_extents(labels.x0, axes.bbox.y0, axes.bbox.x0 + 1, axes.bbox.y1)
        region = Bbox.intersection(Bbox.union([labels, marks]).padded(2), self.figure.bbox)
        if region is not None:
            self._y_axis_pixels[key] = self._canvas.copy_from_bbox(region)

    def _ipython_display_(self) -> None:
        display(self.widget)


class PosteriorExplorer(_FigureWidget):
    """Sliders for heads, tails and the prior's shape (a, b, k) of lesson 3's posterior.

    Left panel: the unnormalized posterior; right panel: the normalized prior and
    posterior with the posterior mean. Display the object in a notebook to use it; the
    ``sliders`` dict, :meth:`update` and ``png`` (the image last shown) are there for
    tests and scripts.
    """

    def __init__(self, heads: int = 2, tails: int = 2) -> None:
        self.sliders = {
            "heads": widgets.IntSlider(min=0, max=30, description="heads"),
            "tails": widgets.IntSlider(min=0, max=30, description="tails"),
            "a": widgets.FloatSlider(value=2.0, min=0.5, max=10, step=0.5, description="prior a"),
            "b": widgets.FloatSlider(value=2.0, min=0.5, max=10, step=0.5, description="prior b"),
            "k": widgets.FloatSlider(value=1.0, min=-5, max=10, step=0.5, description="prior k"),
        }
        _slider_start("heads", heads, self.sliders["heads"])
        _slider_start("tails", tails, self.sliders["tails"])
        self.output = widgets.Output()
        # A figure outside pyplot: a later plt.show() in the notebook must not show it again.
        self.figure = Figure(figsize=(9, 3.2), dpi=80)
        self._left, self._right = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.09, right=0.98, bottom=0.16, top=0.88, wspace=0.3)
        curves = self._curves()
        (self._unnormalized,) = self._left.plot(curves.pi, curves.unnormalized, color="C1")
        self._left.set(xlabel="π", ylabel="prior x likelihood", xlim=(0, 1))
        self._left.set_title("unnormalized posterior")
        (self._prior,) = self._right.plot(
            curves.pi, curves.prior, "--", color="0.5", label="prior"
        )
        (self._posterior,) = self._right.plot(curves.pi, curves.posterior, label="posterior")
        self._mean = self._right.axvline(curves.mean, lw=0.8)
        self._right.set(xlabel="π", ylabel="density", xlim=(0, 1))
        legend = self._right.legend(fontsize=8, loc="upper right")
        curves_drawn = [self._unnormalized, self._prior, self._posterior, self._mean]
        self._connect([*curves_drawn, self._right.title, legend], (self._left, self._right))
        self.update()

    def _curves(self) -> PosteriorCurves:
        values = {name: slider.value for name, slider in self.sliders.items()}
        return CoinPosterior(**values).curves()

    def update(self) -> PosteriorCurves:
        """Recompute the curves for the sliders' values and redraw; return the curves."""
        curves = self._curves()
        self._unnormalized.set_ydata(curves.unnormalized)
        self._prior.set_ydata(curves.prior)
        self._posterior.set_ydata(curves.posterior)
        self._mean.set_xdata([curves.mean, curves.mean])
        self._right.set_title(
            f"normalized: constant {curves.constant:.3g}, mean {curves.mean:.3f}"
        )
        self._left.set_ylim(0, nice_upper_limit(curves.unnormalized.max()))
        self._right.set_ylim(0, nice_upper_limit(max(curves.prior.max(), curves.posterior.max())))
        self.redraw()
        return curves


class PriorPredictiveExplorer(_FigureWidget):
    """A slider for the prior SD of log-odds coefficients (lesson 4's prior predictive).

    Left: the density of the old method's pass probability, expit(intercept); right: a
    histogram of the difference in pass probability between the methods, both under
    Normal(0, prior SD) priors on the intercept and the method effect. The computation is
    :func:`course_utils.priors.prior_predictive`.
    """

    def __init__(self, prior_sd: float = 2.5) -> None:
        self.sliders = {
            "prior_sd": widgets.FloatSlider(min=0.25, max=10, step=0.25, description="prior SD")
        }
        _slider_start("prior_sd", prior_sd, self.sliders["prior_sd"])
        self.output = widgets.Output()
        self.figure = Figure(figsize=(9, 3.2), dpi=80)
        self._left, self._right = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.08, right=0.98, bottom=0.16, top=0.86, wspace=0.25)
        self._bins = np.linspace(-1, 1, 41)
        result = self._compute()
        (self._density,) = self._left.plot(result.p_grid, result.density)
        self._left.set(xlabel="pass probability, old method", ylabel="prior density")
        counts, _ = np.histogram(result.difference, bins=self._bins, density=True)
        self._bars = self._right.stairs(counts, self._bins, fill=True, color="C1")
        self._right.set(xlabel="p(new) - p(old)", ylabel="prior density")
        self._connect(
            [self._density, self._bars, self._left.title, self._right.title],
            (self._left, self._right),
        )
        self.update()

    def _compute(self) -> PriorPredictive:
        return prior_predictive(self.sliders["prior_sd"].value)

    def update(self) -> PriorPredictive:
        """Recompute for the slider's prior SD and redraw; return the prior predictive."""
        result = self._compute()
        self._density.set_ydata(result.density)
        self._left.set_ylim(0, max(3.0, nice_upper_limit(result.density.max())))
        self._left.set_title(f"P(0.05 < p < 0.95) = {result.prob_moderate:.3f}")
        counts, _ = np.histogram(result.difference, bins=self._bins, density=True)
        self._bars.set_data(counts)
        self._right.set_ylim(0, max(3.0, nice_upper_limit(counts.max())))
        self._right.set_title(f"P(|difference| > 0.5) = {result.prob_large_difference:.3f}")
        self.redraw()
        return result


class TutoringPriorExplorer(_FigureWidget):
    """Sliders for the priors of the tutoring model: the SD of the Normal(0, s) priors on
    the coefficients, and the scale of the half-normal prior on the site SD.

    Shows the exact posterior of the method effect and of the site SD (by numerical
    integration, :class:`course_utils.tutoring_posterior.TutoringPosterior`, reweighted:
    a few milliseconds, no MCMC), with P(method effect < 0) in the title; the title says
    "approximate" where the grid is too coarse for the posterior (an
    :class:`~course_utils.exceptions.IntegrationWarning` of the summary).
    The coefficient slider starts at 0.5 or at the smallest prior SD the grid resolves.
    """

    def __init__(
        self, grid: TutoringPosterior, prior_sd: float = 2.5, site_sd_prior_sd: float = 2.5
    ) -> None:
        self.grid = validation.instance("grid", grid, TutoringPosterior)
        self.sliders = {
            "prior_sd": widgets.FloatSlider(
                min=max(0.5, math.ceil(grid.min_prior_sd / 0.25) * 0.25),
                max=grid.max_prior_sd,
                step=0.25,
                description="coefficient prior SD",
                style={"description_width": "initial"},
            ),
            "site_sd_prior_sd": widgets.FloatLogSlider(
                base=10,
                min=-1,
                max=np.log10(grid.max_site_sd_prior_sd),
                step=0.05,
                description="site-SD prior scale",
                style={"description_width": "initial"},
            ),
        }
        _slider_start("prior_sd", prior_sd, self.sliders["prior_sd"])
        _slider_start("site_sd_prior_sd", site_sd_prior_sd, self.sliders["site_sd_prior_sd"])
        self.output = widgets.Output()
        self.figure = Figure(figsize=(9, 3.2), dpi=80)
        self._left, self._right = self.figure.subplots(1, 2)
        self.figure.subplots_adjust(left=0.07, right=0.98, bottom=0.16, top=0.86, wspace=0.25)
        result = self._compute()
        self._method_axis = np.linspace(-9, 5, 300)
        (self._method,) = self._left.plot(self._method_axis, self._method_curve(result))
        self._left.axvline(0, color="0.5", lw=0.8)
        self._left.set(xlabel="method effect (log-odds)", ylabel="posterior density", xlim=(-9, 5))
        sigma_axis = np.linspace(0.005, 10, 400)
        self._sigma_axis = sigma_axis
        (self._sigma,) = self._right.plot(sigma_axis, self._sigma_curve(result), label="posterior")
        (self._sigma_prior,) = self._right.plot(
            sigma_axis, self._prior_curve(), "--", color="0.5", label="prior"
        )
        self._right.set(xlabel=r"site SD $\sigma$", ylabel="density", xlim=(0, 10))
        legend = self._right.legend(fontsize=8)
        curves_drawn = [self._method, self._sigma, self._sigma_prior]
        self._connect(
            [*curves_drawn, self._left.title, self._right.title, legend],
            (self._left, self._right),
        )
        self.update()

    def _compute(self) -> ExactSummary:
        with warnings.catch_warnings():  # shown in the title instead
            warnings.simplefilter("ignore", IntegrationWarning)
            return self.grid.summary(
                self.sliders["prior_sd"].value, self.sliders["site_sd_prior_sd"].value
            )

    def _method_curve(self, result: ExactSummary) -> npt.NDArray[np.float64]:
        """The grid density, smoothly interpolated for drawing."""
        spline = interpolate.CubicSpline(result.method_grid, result.method_density)
        return np.clip(spline(self._method_axis), 0, None)

    def _sigma_curve(self, result: ExactSummary) -> npt.NDArray[np.float64]:
        spline = interpolate.CubicSpline(np.log(result.sigma_grid), result.sigma_density)
        return np.clip(spline(np.log(self._sigma_axis)), 0, None)

    def _prior_curve(self) -> npt.NDArray[np.float64]:
        scale = self.sliders["site_sd_prior_sd"].value
        return np.sqrt(2 / np.pi) / scale * np.exp(-0.5 * (self._sigma_axis / scale) ** 2)

    def update(self) -> ExactSummary:
        """Recompute the exact posterior for the slider's prior scale and redraw."""
        result = self._compute()
        method_curve = self._method_curve(result)
        self._method.set_ydata(method_curve)
        self._left.set_ylim(0, nice_upper_limit(method_curve.max(), headroom=1.1))
        approximate = " (approximate: grid too coarse)" if result.warnings else ""
        self._left.set_title(
            f"P(method < 0) = {result.prob_method_negative:.3f}, mean "
            f"{result.mean['method']:.2f}{approximate}"
        )
        sigma_curve, prior_curve = self._sigma_curve(result), self._prior_curve()
        self._sigma.set_ydata(sigma_curve)
        self._sigma_prior.set_ydata(prior_curve)
        tallest = max(sigma_curve.max(), min(prior_curve.max(), 3.0))
        self._right.set_ylim(0, nice_upper_limit(tallest, headroom=1.1))
        self._right.set_title(f"site SD: posterior mean {result.mean['sigma_site']:.2f}")
        self.redraw()
        return result


class ShrinkageExplorer(_FigureWidget):
    """The eight schools' shrinkage under a prior on tau that you choose (lesson 5).

    A dropdown for the prior on tau (flat, half-Cauchy, half-normal) and a slider for its
    scale; the plot joins each school's separate estimate y_j (left) to its exact
    posterior mean under the hierarchical model (right), with the posterior mean of mu.
    The computation is :func:`course_utils.hierarchical_normal.exact_posterior` for that
    prior, by :class:`course_utils.hierarchical_normal.TauPriorSweep` (a fixed quadrature
    rule set up once, then about a millisecond per prior).
    """

    def __init__(
        self,
        y: npt.ArrayLike,
        sigma: npt.ArrayLike,
        names: Sequence[Any],
        tau_prior: str = "flat",
        tau_scale: float = 5.0,
    ) -> None:
        self.y, self.sigma = group_estimates(y, sigma)
        self.names = validation.labels("names", names, self.y.size)
        self._sweep = TauPriorSweep(self.y, self.sigma, names=self.names)
        self.sliders = {
            "tau_prior": widgets.Dropdown(
                options=list(TAU_PRIORS),
                value=validation.choice("tau_prior", tau_prior, TAU_PRIORS),
                description="tau prior",
            ),
            "tau_scale": widgets.FloatLogSlider(
                base=10, min=0, max=2, step=0.05, description="scale"
            ),
        }
        _slider_start("tau_scale", tau_scale, self.sliders["tau_scale"])
        self.output = widgets.Output()
        self.figure = Figure(figsize=(7, 4), dpi=80)
        self._axes = self.figure.subplots()
        self.figure.subplots_adjust(left=0.1, right=0.88, bottom=0.1, top=0.9)
        table = self._compute()
        self._lines = [
            self._axes.plot([0, 1], [y_j, mean], "o-", color="C0")[0]
            for y_j, mean in zip(self.y, table["mean"], strict=True)
        ]
        for name, y_j in zip(self.names, self.y, strict=True):
            self._axes.text(-0.04, y_j, str(name), va="center", ha="right", fontsize=9)
        self._mu = self._axes.axhline(table.attrs["hyper"].loc["mu", "mean"], color="0.5", lw=0.8)
        self._axes.set(
            xticks=[0, 1],
            xticklabels=["separate estimate $y_j$", "posterior mean $E(\\theta_j \\mid y)$"],
            xlim=(-0.2, 1.1),
            ylim=(min(-5.0, self.y.min() - 2), self.y.max() + 2),
            ylabel="coaching effect",
        )
        self._connect([*self._lines, self._mu, self._axes.title])
        self.update()

    def _compute(self) -> pd.DataFrame:
        prior = self.sliders["tau_prior"].value
        scale = None if prior == "flat" else self.sliders["tau_scale"].value
        return self._sweep.exact_posterior(prior, scale)

    def update(self) -> pd.DataFrame:
        """Recompute the exact posterior for the chosen prior and redraw; return its table."""
        self.sliders["tau_scale"].disabled = self.sliders["tau_prior"].value == "flat"
        table = self._compute()
        for line, y_j, mean in zip(self._lines, self.y, table["mean"], strict=True):
            line.set_ydata([y_j, mean])
        hyper = table.attrs["hyper"]
        self._mu.set_ydata([hyper.loc["mu", "mean"]] * 2)
        self._axes.set_title(
            f"posterior mean of tau {hyper.loc['tau', 'mean']:.2f}, of mu "
            f"{hyper.loc['mu', 'mean']:.2f}",
            fontsize=10,
        )
        self.redraw()
        return table
