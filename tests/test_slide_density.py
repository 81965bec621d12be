"""tools.slide_density measures a deck's screens as the lecture room sees them."""

from __future__ import annotations

import base64
import io

import matplotlib
import nbformat
import pytest

from tools import slide_density

matplotlib.use("Agg")


def _png(width_in: float, dpi: int) -> str:
    import matplotlib.pyplot as plt

    figure = plt.figure(figsize=(width_in, 1), dpi=dpi)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi)
    plt.close(figure)
    return base64.b64encode(buffer.getvalue()).decode()


def test_png_width_reads_the_header():
    assert slide_density.png_width(_png(12, 100)) == 1200
    assert slide_density.png_width(_png(6.4, 100)) == 640
    with pytest.raises(ValueError, match="not a PNG"):
        slide_density.png_width(base64.b64encode(b"GIF89a" + b"\0" * 40).decode())


def _notebook():
    v4 = nbformat.v4
    imports = v4.new_code_cell("import numpy as np")
    code = v4.new_code_cell("\n".join(f"x{i} = {i}" for i in range(14)))
    code.outputs = [
        v4.new_output("stream", name="stdout", text="a\nb\nc\n"),
        v4.new_output("display_data", data={"image/png": _png(12, 100), "text/plain": "<F>"}),
    ]
    cells = [
        v4.new_markdown_cell("# Title"),
        imports,
        v4.new_markdown_cell("## Section\n\nTwo lines\nof text."),
        code,
        v4.new_markdown_cell("Speaker notes", metadata={"tags": ["notes"]}),
        v4.new_markdown_cell("### Small"),
        v4.new_code_cell("y = 1"),
    ]
    return v4.new_notebook(cells=cells)


def test_screens_count_markdown_code_text_and_figures():
    title, section, small = slide_density.screens(_notebook(), "demo")
    assert (title.number, title.lines, title.problems()) == (1, 1, [])  # imports skipped
    # 4 markdown lines + 14 code + 3 printed + a figure (12), notes left out
    assert section.lines == 4 + 14 + 3 + 12
    assert section.figure_widths == [1200]
    assert section.problems() == [
        "33 lines (limit 22)",
        "a figure 1200 px wide (deck 960 px)",
        f"code cell {section.long_code[0][0]} has 14 lines (limit 12)",
    ]
    assert (small.title, small.lines, small.problems()) == ("### Small", 2, [])


def test_every_lesson_can_be_measured():
    for lesson in slide_density.lesson_names():
        shown = slide_density.lesson_screens(lesson)
        assert shown and all(screen.lines > 0 for screen in shown)


def test_no_screen_is_over_a_limit():
    """Issue 20's gate: every screen of every deck within the limits of tools.slide_density
    (46 screens were over when the gate was added)."""
    over = {
        (lesson, screen.first_cell): screen.problems()
        for lesson in slide_density.lesson_names()
        for screen in slide_density.lesson_screens(lesson)
        if screen.problems()
    }
    assert over == {}, (
        "split these screens (a new-screen tag, a shorter cell, plots.show to end a plot): "
        "see tools/slide_density.py"
    )
