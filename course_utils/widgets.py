"""Widgets of the lessons: thin ipywidgets wrappers around pure, tested functions.

Every widget calls one pure function (in another module) and redraws one persistent
figure with its result; nothing slow runs in a callback (no MCMC, no fitting).
"""

from __future__ import annotations

import io
import math

import ipywidgets as widgets
import numpy as np
from IPython.display import Image, display
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.transforms import Bbox
from PIL import Image as PILImage
from scipy import interpolate

from course_utils import eight_schools
from course_utils.exact import ExactSummary, TutoringPosterior
from course_utils.posterior import PosteriorCurves, posterior_curves
from course_utils.priors import PriorPredictive, prior_predictive

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
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"value must be finite and non-negative, got {value!r}")
    if headroom < 1:
        raise ValueError(f"headroom must be at least 1, got {headroom!r}")
    target = value * headroom
    if target == 0:
        return 1.0
    exponent = math.floor(math.log10(target))
    for mantissa in _NICE_MANTISSAS:
        limit = float(f"{mantissa}e{exponent}")  # exact decimal: 0.004, not 0.00400...01
        if limit >= target:
            return limit
    raise AssertionError("unreachable: 10 x 10**exponent exceeds the target")


def _png(canvas: FigureCanvasAgg) -> bytes:
    """What the canvas last drew, as PNG bytes (fast, light compression)."""
    buffer = io.BytesIO()
    PILImage.fromarray(np.asarray(canvas.buffer_rgba())).save(
        buffer, format="png", compress_level=1
    )
    return buffer.getvalue()


class _FigureWidget:
    """What every widget here shares: sliders that call :meth:`update`, one output area
    showing the figure as a PNG, and display in a notebook.

    Drawing is what a slider move costs (laying out tick labels takes most of it), so each
    widget names its *dynamic* artists (curves, titles, legends drawn over them): the rest
    of the figure is drawn once and reused (blitting) for as long as no axis limit changes.
    A y-axis whose range follows the curves (a density's height) is drawn apart from the
    rest: a new range costs one axis, not the whole figure, and the pixels of each range
    drawn are kept, so moving back to a range (as a slider drag does all the time) costs a
    copy instead of laying out its tick labels again.
    """

    sliders: dict
    output: widgets.Output
    figure: Figure

    def update(self):
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
            artist.set_animated(True)  # left out of a full draw: drawn by _render
        self._background = None
        self._background_limits = None
        self._y_axis_pixels: dict[tuple, object] = {}  # (axes index, ylim) -> saved region
        self.full_draws = 0  # how many updates redrew the static parts (for tests)
        self.y_axis_draws = 0  # how many times a dynamic y-axis was laid out and drawn

    def _limits(self) -> tuple:
        """The axis limits the cached static parts depend on (not a dynamic y-axis's)."""
        return tuple(
            (*axes.get_xlim(), *(() if axes in self._dynamic_y else axes.get_ylim()))
            for axes in self.figure.axes
        )

    def _render(self) -> None:
        """Draw the figure (static parts only when the axes moved), keep it as PNG bytes
        (``self.png``) and show them in the output."""
        limits = self._limits()
        if self._background is None or limits != self._background_limits:
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            self._background_limits = limits
            self._y_axis_pixels = {}  # drawn over the old background: stale
            self.full_draws += 1
        else:
            self._canvas.restore_region(self._background)
        self._render_y_axes()
        for artist in self._dynamic:
            self.figure.draw_artist(artist)
        self.png = _png(self._canvas)
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png, format="png"))

    def _render_y_axes(self) -> None:
        """Draw the dynamic y-axes over the restored background (before the curves, as in
        a full draw): from the saved pixels of their current range, else laid out anew
        and saved. The pixels saved are the axis's labels and outward tick marks, left of
        the spine, with a 2-pixel margin: the curves are drawn after them, as in a full
        draw, so a margin reaching into the axes hides nothing."""
        renderer = self._canvas.get_renderer()
        for index, axes in enumerate(self._dynamic_y):
            key = (index, axes.get_ylim())
            saved = self._y_axis_pixels.get(key)
            if saved is not None:
                self._canvas.restore_region(saved)
                continue
            self.figure.draw_artist(axes.yaxis)
            self.y_axis_draws += 1
            labels = axes.yaxis.get_tightbbox(renderer)  # tick labels, offset, axis label
            if labels is None:  # nothing drawn
                continue
            # and the tick marks, between the labels and the spine
            marks = Bbox.from_extents(labels.x0, axes.bbox.y0, axes.bbox.x0 + 1, axes.bbox.y1)
            extent = Bbox.union([labels, marks]).padded(2)
            region = Bbox.intersection(extent, self.figure.bbox)
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
            "heads": widgets.IntSlider(value=heads, min=0, max=30, description="heads"),
            "tails": widgets.IntSlider(value=tails, min=0, max=30, description="tails"),
            "a": widgets.FloatSlider(value=2.0, min=0.5, max=10, step=0.5, description="prior a"),
            "b": widgets.FloatSlider(value=2.0, min=0.5, max=10, step=0.5, description="prior b"),
            "k": widgets.FloatSlider(value=1.0, min=-5, max=10, step=0.5, description="prior k"),
        }
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
        return posterior_curves(**values)

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
        self._render()
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
            "prior_sd": widgets.FloatSlider(
                value=prior_sd, min=0.25, max=10, step=0.25, description="prior SD"
            )
        }
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
        self._render()
        return result


class TutoringPriorExplorer(_FigureWidget):
    """Sliders for the priors of the tutoring model: the SD of the Normal(0, s) priors on
    the coefficients, and the scale of the half-normal prior on the site SD.

    Shows the exact posterior of the method effect and of the site SD (by numerical
    integration, :class:`course_utils.exact.TutoringPosterior`, reweighted: a few
    milliseconds, no MCMC), with P(method effect < 0) in the title.
    """

    def __init__(
        self, grid: TutoringPosterior, prior_sd: float = 2.5, site_sd_prior_sd: float = 2.5
    ) -> None:
        self.grid = grid
        self.sliders = {
            "prior_sd": widgets.FloatSlider(
                value=prior_sd,
                min=0.5,
                max=grid.max_prior_sd,
                step=0.25,
                description="coefficient prior SD",
                style={"description_width": "initial"},
            ),
            "site_sd_prior_sd": widgets.FloatLogSlider(
                value=site_sd_prior_sd,
                base=10,
                min=-1,
                max=np.log10(grid.max_site_sd_prior_sd),
                step=0.05,
                description="site-SD prior scale",
                style={"description_width": "initial"},
            ),
        }
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
        return self.grid.summary(
            self.sliders["prior_sd"].value, self.sliders["site_sd_prior_sd"].value
        )

    def _method_curve(self, result: ExactSummary) -> np.ndarray:
        """The grid density, smoothly interpolated for drawing."""
        spline = interpolate.CubicSpline(result.method_grid, result.method_density)
        return np.clip(spline(self._method_axis), 0, None)

    def _sigma_curve(self, result: ExactSummary) -> np.ndarray:
        spline = interpolate.CubicSpline(np.log(result.sigma_grid), result.sigma_density)
        return np.clip(spline(np.log(self._sigma_axis)), 0, None)

    def _prior_curve(self) -> np.ndarray:
        scale = self.sliders["site_sd_prior_sd"].value
        return np.sqrt(2 / np.pi) / scale * np.exp(-0.5 * (self._sigma_axis / scale) ** 2)

    def update(self) -> ExactSummary:
        """Recompute the exact posterior for the slider's prior scale and redraw."""
        result = self._compute()
        method_curve = self._method_curve(result)
        self._method.set_ydata(method_curve)
        self._left.set_ylim(0, nice_upper_limit(method_curve.max(), headroom=1.1))
        self._left.set_title(
            f"P(method < 0) = {result.prob_method_negative:.3f}, mean {result.mean['method']:.2f}"
        )
        sigma_curve, prior_curve = self._sigma_curve(result), self._prior_curve()
        self._sigma.set_ydata(sigma_curve)
        self._sigma_prior.set_ydata(prior_curve)
        tallest = max(sigma_curve.max(), min(prior_curve.max(), 3.0))
        self._right.set_ylim(0, nice_upper_limit(tallest, headroom=1.1))
        self._right.set_title(f"site SD: posterior mean {result.mean['sigma_site']:.2f}")
        self._render()
        return result


class ShrinkageExplorer(_FigureWidget):
    """The eight schools' shrinkage under a prior on tau that you choose (lesson 5).

    A dropdown for the prior on tau (flat, half-Cauchy, half-normal) and a slider for its
    scale; the plot joins each school's separate estimate y_j (left) to its exact
    posterior mean under the hierarchical model (right), with the posterior mean of mu.
    The computation is :func:`course_utils.eight_schools.exact_posterior` for that prior,
    by :class:`course_utils.eight_schools.TauPriorSweep` (a fixed quadrature rule set up
    once, then about a millisecond per prior).
    """

    def __init__(self, y, sigma, names, tau_prior: str = "flat", tau_scale: float = 5.0):
        self.y, self.sigma, self.names = np.asarray(y, float), np.asarray(sigma, float), names
        self._sweep = eight_schools.TauPriorSweep(self.y, self.sigma, names=names)
        self.sliders = {
            "tau_prior": widgets.Dropdown(
                options=list(eight_schools.TAU_PRIORS), value=tau_prior, description="tau prior"
            ),
            "tau_scale": widgets.FloatLogSlider(
                value=tau_scale, base=10, min=0, max=2, step=0.05, description="scale"
            ),
        }
        self.output = widgets.Output()
        self.figure = Figure(figsize=(7, 4), dpi=80)
        self._axes = self.figure.subplots()
        self.figure.subplots_adjust(left=0.1, right=0.88, bottom=0.1, top=0.9)
        table = self._compute()
        self._lines = [
            self._axes.plot([0, 1], [y_j, mean], "o-", color="C0")[0]
            for y_j, mean in zip(self.y, table["mean"], strict=True)
        ]
        for name, y_j in zip(names, self.y, strict=True):
            self._axes.text(-0.04, y_j, name, va="center", ha="right", fontsize=9)
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

    def _compute(self):
        prior = self.sliders["tau_prior"].value
        scale = None if prior == "flat" else self.sliders["tau_scale"].value
        return self._sweep.exact_posterior(prior, scale)

    def update(self):
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
        self._render()
        return table
