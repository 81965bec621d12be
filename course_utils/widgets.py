"""Widgets of the lessons: thin ipywidgets wrappers around pure, tested functions.

Every widget calls one pure function (in another module) and redraws one persistent
figure with its result; nothing slow runs in a callback (no MCMC, no fitting).
"""

from __future__ import annotations

import io

import ipywidgets as widgets
from IPython.display import Image, display
from matplotlib.figure import Figure

from course_utils.posterior import PosteriorCurves, posterior_curves

__all__ = ["PosteriorExplorer"]


def _png(figure: Figure) -> bytes:
    """The figure as PNG bytes: shown the same way whatever matplotlib backend is active."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", pil_kwargs={"compress_level": 1})  # fast to encode
    return buffer.getvalue()


class PosteriorExplorer:
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
        self._left.set(xlabel="π", ylabel="prior x likelihood")
        self._left.set_title("unnormalized posterior")
        (self._prior,) = self._right.plot(
            curves.pi, curves.prior, "--", color="0.5", label="prior"
        )
        (self._posterior,) = self._right.plot(curves.pi, curves.posterior, label="posterior")
        self._mean = self._right.axvline(curves.mean, lw=0.8)
        self._right.set(xlabel="π", ylabel="density")
        self._right.legend(fontsize=8, loc="upper right")
        for slider in self.sliders.values():
            slider.observe(lambda _change: self.update(), names="value")
        self.widget = widgets.VBox([*self.sliders.values(), self.output])
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
        for axes in (self._left, self._right):
            axes.relim()
            axes.autoscale_view()
        self.png = _png(self.figure)
        with self.output:
            self.output.clear_output(wait=True)
            display(Image(data=self.png, format="png"))
        return curves

    def _ipython_display_(self) -> None:
        display(self.widget)
