"""How much each lecture slide holds: the screens of a lesson's deck, measured.

A screen is a slide or subslide of the deck that ``tools.slides`` builds (its fragments
included; speaker notes and skipped cells left out). Its **lines** are the lines of its
markdown and code plus the lines of text its cells print, a figure counting
:data:`FIGURE_LINES`. From the back row a screen stays readable up to
:data:`DENSE_LINES` lines, a figure up to the deck's width (:data:`DECK_WIDTH_PX`, the
``reveal_width`` of ``tools.slides.exporter``), and a code cell up to :data:`CODE_LINES`
lines.

Usage: python -m tools.slide_density [LESSON ...]   print every lesson's screens over a limit
"""

from __future__ import annotations

import argparse
import base64
import struct
import sys
from dataclasses import dataclass, field

import nbformat

from tools.notebooks import SOLUTIONS, lesson_names
from tools.slides import slide_types

DENSE_LINES = 22
FIGURE_LINES = 12
DECK_WIDTH_PX = 960
CODE_LINES = 12


@dataclass
class Screen:
    """One screen of a deck: where it starts and what it holds."""

    lesson: str
    number: int
    first_cell: str  # the id of its first cell
    title: str
    lines: int = 0
    figure_widths: list[int] = field(default_factory=list)
    long_code: list[tuple[str, int]] = field(default_factory=list)  # (cell id, lines)

    def problems(self) -> list[str]:
        """What makes this screen hard to read from the back row ([] when nothing)."""
        found = []
        if self.lines > DENSE_LINES:
            found.append(f"{self.lines} lines (limit {DENSE_LINES})")
        found += [
            f"a figure {width} px wide (deck {DECK_WIDTH_PX} px)"
            for width in self.figure_widths
            if width > DECK_WIDTH_PX
        ]
        found += [
            f"code cell {cell} has {n} lines (limit {CODE_LINES})" for cell, n in self.long_code
        ]
        return found


def png_width(data: str) -> int:
    """The width in pixels of a base64-encoded PNG (from its IHDR chunk)."""
    raw = base64.b64decode(data[:64])
    if raw[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("data: not a PNG image.")
    return struct.unpack(">I", raw[16:20])[0]


def _text_lines(text: str | list[str]) -> int:
    text = "".join(text) if isinstance(text, list) else text
    return len(text.rstrip("\n").split("\n")) if text.strip() else 0


def output_lines(output: dict) -> tuple[int, list[int]]:
    """(lines of text, widths of figures) that one output shows."""
    if output.get("output_type") == "stream":
        return _text_lines(output.get("text", "")), []
    data = output.get("data", {})
    if "image/png" in data:
        width = output.get("metadata", {}).get("image/png", {}).get("width")
        return FIGURE_LINES, [int(width) if width else png_width(data["image/png"])]
    if "text/html" in data:  # a table: one line a row
        html = "".join(data["text/html"])
        return max(html.count("<tr"), 1), []
    if "text/markdown" in data:
        return _text_lines(data["text/markdown"]), []
    if "text/plain" in data:
        return _text_lines(data["text/plain"]), []
    return 0, []


def screens(notebook: nbformat.NotebookNode, lesson: str = "") -> list[Screen]:
    """The screens of the deck made from ``notebook`` (its stored outputs), in order."""
    found: list[Screen] = []
    for cell, kind in zip(notebook.cells, slide_types(notebook), strict=True):
        if kind in ("skip", "notes"):
            continue
        if kind in ("slide", "subslide") or not found:
            title = cell.source.strip().split("\n", 1)[0][:70]
            found.append(Screen(lesson, len(found) + 1, cell.get("id", ""), title))
        screen = found[-1]
        screen.lines += _text_lines(cell.source)
        if cell.cell_type != "code":
            continue
        code = _text_lines(cell.source)
        if code > CODE_LINES:
            screen.long_code.append((cell.get("id", ""), code))
        for output in cell.get("outputs", []):
            lines, widths = output_lines(output)
            screen.lines += lines
            screen.figure_widths += widths
    return found


def lesson_screens(lesson: str) -> list[Screen]:
    path = SOLUTIONS / lesson / f"{lesson}.ipynb"
    return screens(nbformat.read(path, as_version=4), lesson)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("lessons", nargs="*", help="lesson folders (default: all)")
    args = parser.parse_args(argv)
    over = 0
    for lesson in args.lessons or lesson_names():
        shown = lesson_screens(lesson)
        bad = [s for s in shown if s.problems()]
        over += len(bad)
        print(f"{lesson}: {len(shown)} screens, {len(bad)} over a limit")
        for screen in bad:
            print(f"  screen {screen.number} ({screen.first_cell}: {screen.title})")
            for problem in screen.problems():
                print(f"    {problem}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
