"""bench.widgets: the workloads sent to the widgets; no timing."""

import numpy as np

from bench import widgets


def test_slider_steps_walk_one_step_at_a_time_and_back():
    from types import SimpleNamespace

    import ipywidgets

    widget = SimpleNamespace(
        sliders={
            "n": ipywidgets.IntSlider(value=0, min=0, max=30),
            "sd": ipywidgets.FloatSlider(value=1.0, min=0.25, max=10, step=0.25),
            "scale": ipywidgets.FloatLogSlider(value=10, base=10, min=0, max=2, step=0.05),
            "prior": ipywidgets.Dropdown(options=["flat", "half-normal"]),
        }
    )
    walks = widgets.slider_steps(
        widget, {"n": [28], "sd": [1.0], "scale": [10.0], "prior": ["flat"]}, steps=4
    )
    assert "prior" not in walks  # dropdowns only jump
    assert walks["n"] == [28, 27, 26, 25, 24, 25, 26, 27, 28]  # too close to the top: down
    assert walks["sd"] == [1.0, 1.25, 1.5, 1.75, 2.0, 1.75, 1.5, 1.25, 1.0]
    ratios = np.diff(np.log10(walks["scale"]))
    np.testing.assert_allclose(np.abs(ratios), 0.05, rtol=1e-9)
    assert walks["scale"][0] == walks["scale"][-1] == 10.0
