"""The *widgets* section: every widget of course_utils.widgets, time from a value change to
the new PNG, on two workloads (jumps across a slider's range, and steps one at a time)."""

from __future__ import annotations

import argparse
import contextlib
import io
import math
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from bench.common import fill, log, markdown_table, measured, ok, percentile, records

TARGET_WIDGET_MS = 100.0


def widget_cases() -> dict[str, Callable[[], tuple[object, dict[str, list]]]]:
    """Each widget built as the lessons build it, with the values its sliders will take."""
    from course_utils.data import load_eight_schools, load_tutoring
    from course_utils.tutoring_posterior import TutoringPosterior
    from course_utils.widgets import (
        PosteriorExplorer,
        PriorPredictiveExplorer,
        ShrinkageExplorer,
        TutoringPriorExplorer,
    )

    def posterior():
        return PosteriorExplorer(heads=2, tails=2), {
            "heads": [5, 12, 0, 30, 7],
            "tails": [3, 20, 1, 9],
            "a": [0.5, 4.0, 9.5, 2.0],
            "b": [1.5, 6.0, 3.0],
            "k": [-5.0, 3.5, 10.0, 0.0],
        }

    def prior_predictive():
        return PriorPredictiveExplorer(prior_sd=2.5), {
            "prior_sd": [0.25, 1.0, 2.0, 5.0, 10.0, 0.5, 7.5, 3.0, 1.5, 4.0]
        }

    def tutoring_prior():
        grid = TutoringPosterior(load_tutoring(), max_prior_sd=5.0, n_beta=96)
        return TutoringPriorExplorer(grid, prior_sd=2.5, site_sd_prior_sd=2.5), {
            "prior_sd": [0.5, 1.0, 4.0, 5.0, 2.0],
            "site_sd_prior_sd": [0.1, 1.0, 5.0, 0.3, 2.5],
        }

    def shrinkage():
        schools = load_eight_schools()
        widget = ShrinkageExplorer(schools["y"], schools["sigma"], schools["school"].tolist())
        return widget, {
            "tau_prior": ["half-cauchy", "half-normal", "half-cauchy"],
            "tau_scale": [1.0, 10.0, 50.0, 2.5, 25.0],
        }

    return {
        "PosteriorExplorer": posterior,
        "PriorPredictiveExplorer": prior_predictive,
        "TutoringPriorExplorer": tutoring_prior,
        "ShrinkageExplorer": shrinkage,
    }


def slider_steps(widget, moves: dict[str, list], steps: int = 8) -> dict[str, list]:
    """What dragging each slider of ``moves`` (or holding an arrow key) sends: ``steps``
    consecutive values one slider step apart, from the first value in ``moves`` upwards
    (downwards where the top is too close), and back. Dropdowns only jump: left out."""
    import ipywidgets

    walks = {}
    for name, values in moves.items():
        slider = widget.sliders[name]
        if isinstance(slider, ipywidgets.FloatLogSlider):
            start, low, high = math.log(values[0], slider.base), slider.min, slider.max
        elif isinstance(slider, ipywidgets.IntSlider | ipywidgets.FloatSlider):
            start, low, high = values[0], slider.min, slider.max
        else:
            continue
        direction = 1 if start + steps * slider.step <= high + 1e-9 else -1
        positions = [start + direction * i * slider.step for i in range(steps + 1)]
        positions = [min(max(x, low), high) for x in positions]
        positions += positions[-2::-1]  # and back: the next round starts where this one ends
        if isinstance(slider, ipywidgets.FloatLogSlider):
            walks[name] = [round(slider.base**x, 12) for x in positions]
        else:
            walks[name] = [round(x, 12) for x in positions]
    return walks


def time_widget(widget, moves: dict[str, list], rounds: int) -> dict:
    """Times (ms) from setting a slider value to the widget's redrawn PNG, over many changes;
    how many of them redrew the static parts (axes moved), and what such a full redraw costs."""
    times = []
    full_draws_before = widget.full_draws
    for _ in range(rounds):
        for name, values in moves.items():
            slider = widget.sliders[name]
            for value in values:
                if slider.value == value:
                    continue
                start = time.perf_counter()
                slider.value = value  # observers run update(): compute + redraw + PNG
                times.append((time.perf_counter() - start) * 1000)
    full_draws = widget.full_draws - full_draws_before
    full_times = []
    for _ in range(10):
        start = time.perf_counter()
        widget.redraw(from_scratch=True)  # forget the cached pixels: draw everything
        full_times.append((time.perf_counter() - start) * 1000)
    return {
        "median_ms": statistics.median(times),
        "p95_ms": percentile(times, 95),
        "max_ms": max(times),
        "changes": len(times),
        "full_draws": full_draws,
        "full_redraw_median_ms": statistics.median(full_times),
        "png_bytes": len(widget.png),
    }


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """Every widget in this process; ``rounds`` passes over each slider's values."""
    import matplotlib

    matplotlib.use("Agg")
    results = {}
    for name, make in widget_cases().items():
        # Outside a kernel the output widget prints what it displays: keep that off the log.
        with contextlib.redirect_stdout(io.StringIO()):
            widget, moves = make()
            time_widget(widget, moves, rounds=1)  # untimed: first calls are not the steady state
            results[name] = time_widget(widget, moves, rounds=args.widget_rounds)
            walks = slider_steps(widget, moves)
            results[name]["steps"] = time_widget(widget, walks, rounds=args.widget_rounds)
        log(f"widget {name}: {results[name]}")
    return results


# ------------------------------------------------------------------------------ the report


def widget_rows(data: dict) -> tuple[list[list], list[dict]]:
    """Markdown rows and CSV records of the widgets section."""
    rows, recs = [], []
    for name, r in data.items():
        walk = r.get("steps", {})
        medians = [r["median_ms"], walk.get("median_ms", r["median_ms"])]
        rows.append(
            [
                name,
                r["median_ms"],
                r["p95_ms"],
                f"{r.get('full_draws', '-')} of {r['changes']}",
                walk.get("median_ms", "-"),
                walk.get("p95_ms", "-"),
                f"{walk.get('full_draws', '-')} of {walk.get('changes', '-')}",
                r.get("full_redraw_median_ms", "-"),
                f"{ok(medians[0] < TARGET_WIDGET_MS)} / {ok(medians[1] < TARGET_WIDGET_MS)}",
            ]
        )
    for name, r in data.items():
        for workload, timing in (("jumps", r), ("steps", r.get("steps"))):
            if timing is None:
                continue
            recs += records(
                "widgets",
                name,
                workload,
                {
                    "update_ms": {
                        "median": timing["median_ms"],
                        "min": None,
                        "max": timing["max_ms"],
                        "n": timing["changes"],
                        "p95": timing["p95_ms"],
                    }
                },
            )
    return rows, recs


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/widgets.md) and its CSV records."""
    rows, recs = widget_rows(section["data"])
    table = markdown_table(
        [
            "widget",
            "jumps: median (ms)",
            "jumps: 95th pct (ms)",
            "jumps: full redraws",
            "steps: median (ms)",
            "steps: 95th pct (ms)",
            "steps: full redraws",
            "full redraw (ms)",
            f"median < {TARGET_WIDGET_MS:.0f} ms: jumps / steps",
        ],
        rows,
    )
    return fill("widgets", measured=measured(section), table=table), recs
