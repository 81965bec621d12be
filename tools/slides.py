"""Lecture slides from the lessons: slide metadata for every cell, and offline decks.

Every solution notebook carries reveal.js slide metadata, derived from its structure by
the rules in :func:`slide_types` (so a new lesson needs no extra work), and the lessons
inherit it when nbgrader generates them. `make solutions` writes the metadata; the tests
fail if a notebook's metadata differs from the rules.

`make slides` builds one HTML deck per lesson into build/slides/ with
`jupyter nbconvert --to slides` (nbconvert's SlidesExporter). reveal.js, require.js,
jQuery, MathJax, Font Awesome and the widget renderer come from the pinned npm packages
in slides/package.json (installed next to the decks with `npm ci`), so the folder works
with no internet: copy it to the lecture room and open a deck in a browser.

Usage: python -m tools.slides mark [LESSON ...]    write the slide metadata into solutions/
       python -m tools.slides check                exit 1 if any notebook's metadata is stale
       python -m tools.slides build [--out DIR] [LESSON ...]
"""

from __future__ import annotations

import argparse
import ast
import filecmp
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
from nbconvert.exporters import SlidesExporter

from tools.notebooks import LESSONS, ROOT, SOLUTIONS, execute, lesson_names

NPM_FOLDER = ROOT / "slides"
DEFAULT_OUT = ROOT / "build" / "slides"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
NEW_SCREEN = "new-screen"
# Calls an imports cell may make besides importing: display settings, no work.
SETUP_CALLS = {"plt.rcParams.update", "warnings.filterwarnings", "warnings.simplefilter"}
# Where the deck finds each front-end file, relative to the deck (see slides/package.json).
LOCAL_URLS = {
    "reveal_url_prefix": "node_modules/reveal.js",
    "require_js_url": "node_modules/requirejs/require.js",
    "jquery_url": "node_modules/jquery/dist/jquery.min.js",
    "mathjax_url": "node_modules/mathjax/MathJax.js?config=TeX-AMS_CHTML-full,Safe",
    "font_awesome_url": "node_modules/font-awesome/css/font-awesome.min.css",
    "widget_renderer_url": "node_modules/@jupyter-widgets/html-manager/dist/embed-amd.js",
    "jupyter_widgets_base_url": "node_modules/",
    # nbconvert's template imports Mermaid from a CDN in every deck; the lessons draw no
    # Mermaid diagrams, so the decks import an empty stand-in (a file:// page cannot
    # import a module file, hence the data: URL).
    "mermaid_js_url": "data:text/javascript,export default {initialize() {}};",
}


def _is_exercise_cell(cell: nbformat.NotebookNode) -> bool:
    """An nbgrader answer cell or check cell: worked answers and hidden tests."""
    nbgrader = cell.metadata.get("nbgrader", {})
    return bool(nbgrader.get("solution") or nbgrader.get("grade"))


def _is_note(cell: nbformat.NotebookNode) -> bool:
    return cell.cell_type == "markdown" and "notes" in cell.metadata.get("tags", [])


def is_setup_only(source: str) -> bool:
    """True if a code cell only imports and sets display options (``plt.rcParams``,
    ``warnings.filterwarnings``): the cell a deck may skip without hiding any work."""
    try:
        statements = ast.parse(source).body
    except SyntaxError:
        return False
    for statement in statements:
        if isinstance(statement, ast.Import | ast.ImportFrom):
            continue
        call = statement.value if isinstance(statement, ast.Expr) else None
        if isinstance(call, ast.Call) and ast.unparse(call.func) in SETUP_CALLS:
            continue
        return False
    return bool(statements)


def is_reading(cell: nbformat.NotebookNode) -> bool:
    """A cell tagged ``reading``: in the notebook for students, left out of the lecture."""
    return "reading" in cell.metadata.get("tags", [])


def _introduces_a_check(cells: list, index: int) -> bool:
    """True for the sentence right before an exercise's check cell (what the check does)."""
    following = cells[index + 1] if index + 1 < len(cells) else None
    return bool(following is not None and following.metadata.get("nbgrader", {}).get("grade"))


def _left_out(cells: list, index: int) -> bool:
    """Whether the rules leave this cell off the slides whatever comes before it: a note, an
    exercise cell, a cell for reading, or the sentence introducing a check."""
    cell = cells[index]
    return (
        _is_note(cell)
        or _is_exercise_cell(cell)
        or is_reading(cell)
        or (cell.cell_type == "markdown" and _introduces_a_check(cells, index))
    )


def _next_kind(cells: list, index: int) -> str | None:
    """The type of the next cell a deck shows (not a note, not skipped), or None."""
    for later in range(index + 1, len(cells)):
        if not _left_out(cells, later):
            return cells[later].cell_type
    return None


def slide_types(notebook: nbformat.NotebookNode) -> list[str]:
    """The reveal.js slide type of every cell, by the course's rules.

    - the title cell and every ``## `` section heading start a new slide, every ``### ``
      heading a subslide;
    - one idea per slide: the sentences before some code, the code and its output. A
      markdown cell after code starts a subslide, except that when two or more markdown
      cells follow the code, the first is the code's conclusion and appears on the code's
      slide as a fragment;
    - markdown cells tagged ``notes`` are speaker notes; a markdown cell tagged
      ``new-screen`` starts a subslide (to split a screen that holds too much);
    - cells tagged ``reading`` (material for students to read after the lecture, its
      notes included) are skipped, and count as if they were not there;
    - exercise answers and checks are skipped (no worked answers or hidden tests in a
      deck), and so is the sentence right before a check (the deck shows no check to run
      under it), and the first code cell when it only imports (see
      :func:`is_setup_only`; a first cell that does work is shown); skipped cells and notes do not
      count as the cell before the next one, but the sentences after an exercise's check
      start a subslide.
    """
    types: list[str] = []
    previous = None  # the type of the last cell the deck shows
    seen_code = after_check = False
    for index, cell in enumerate(notebook.cells):
        source = cell.source.lstrip()
        markdown = cell.cell_type == "markdown"
        if is_reading(cell):
            types.append("skip")
            continue
        if _is_note(cell):
            types.append("notes")
            continue
        if markdown and _introduces_a_check(notebook.cells, index):
            types.append("skip")  # "Run the check ..." with no code under it on a slide
            continue
        first_code = cell.cell_type == "code" and not seen_code
        seen_code = seen_code or cell.cell_type == "code"
        if _is_exercise_cell(cell) or (first_code and is_setup_only(cell.source)):
            after_check = after_check or bool(cell.metadata.get("nbgrader", {}).get("grade"))
            types.append("skip")
            continue
        if index == 0 or (markdown and source.startswith("## ")):
            kind = "slide"
        elif markdown and (
            source.startswith("### ") or NEW_SCREEN in cell.metadata.get("tags", [])
        ):
            kind = "subslide"
        elif markdown and previous == "code":
            following = _next_kind(notebook.cells, index)
            kind = "fragment" if following == "markdown" else "subslide"
        elif markdown and (after_check or (types and types[-1] == "fragment")):
            kind = "subslide"  # after an exercise's check or a conclusion: the next idea
        else:
            kind = "-"
        previous, after_check = cell.cell_type, False
        types.append(kind)
    return types


def mark(notebook: nbformat.NotebookNode) -> bool:
    """Write the rules' slide types into the notebook's cells; True if anything changed."""
    changed = False
    for cell, kind in zip(notebook.cells, slide_types(notebook), strict=True):
        if cell.metadata.get("slideshow", {}).get("slide_type") != kind:
            cell.metadata["slideshow"] = {"slide_type": kind}
            changed = True
    return changed


def stale_notebooks() -> list[Path]:
    """Solution and lesson notebooks whose slide metadata differs from the rules."""
    stale = []
    for folder in (SOLUTIONS, LESSONS):
        for path in sorted(folder.glob("*/*.ipynb")):
            notebook = nbformat.read(path, as_version=4)
            if mark(notebook):
                stale.append(path)
    return stale


def has_widgets(notebook: nbformat.NotebookNode) -> bool:
    """True if any stored output is an ipywidgets view."""
    return any(
        WIDGET_VIEW in output.get("data", {})
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def shows_widgets(notebook: nbformat.NotebookNode) -> bool:
    """True if a cell the deck shows (not skipped by the rules) stored an ipywidgets view."""
    shown = [
        cell
        for cell, kind in zip(notebook.cells, slide_types(notebook), strict=True)
        if kind != "skip"
    ]
    return has_widgets(nbformat.v4.new_notebook(cells=shown))


def install_front_end(out: Path) -> None:
    """Install the pinned npm packages into ``out`` (skipped when already installed)."""
    out.mkdir(parents=True, exist_ok=True)
    installed = out / "node_modules" / ".package-lock.json"
    lock = NPM_FOLDER / "package-lock.json"
    same_lock = (out / "package-lock.json").exists() and filecmp.cmp(
        lock, out / "package-lock.json", shallow=False
    )
    if same_lock and installed.exists():
        return
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(NPM_FOLDER / name, out / name)
    npm = shutil.which("npm")
    if npm is None:
        raise SystemExit("error: npm not found: install Node.js and npm (Debian: apt install npm)")
    subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=out,
        check=True,
    )


def deck_notebook(path: Path) -> nbformat.NotebookNode:
    """The notebook a deck shows: stored outputs, skipped cells removed.

    A notebook with widgets is run again so that the deck can show each widget in its
    starting state (the stored notebooks drop widget state, which changes on every run).
    """
    notebook = nbformat.read(path, as_version=4)
    if shows_widgets(notebook):
        notebook = execute(path, keep_widget_state=True)
    mark(notebook)
    # Dropped here, not just hidden by the template: a deck never carries an answer.
    notebook.cells = [
        cell for cell in notebook.cells if cell.metadata["slideshow"]["slide_type"] != "skip"
    ]
    return notebook


def exporter() -> SlidesExporter:
    """nbconvert's slides exporter, pointed at the local front-end files."""
    # "serif": of reveal.js's themes, one that loads no web font and keeps headings' case
    return SlidesExporter(
        **LOCAL_URLS,
        reveal_theme="serif",
        reveal_transition="none",
        reveal_scroll=True,
        reveal_number="c/t",
        reveal_width="960",
        reveal_height="700",
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )


def build(out: Path, names: list[str]) -> list[Path]:
    """Build the decks of the given lessons into ``out``; return their paths."""
    install_front_end(out)
    decks = []
    for name in names:
        (path,) = sorted((SOLUTIONS / name).glob("*.ipynb"))
        body, _ = exporter().from_notebook_node(deck_notebook(path))
        deck = out / f"{name}.slides.html"
        deck.write_text(body, encoding="utf-8")
        decks.append(deck)
        print(f"built {deck}")
    return decks


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    mark_parser = commands.add_parser("mark", help="write slide metadata into solutions/")
    mark_parser.add_argument("lessons", nargs="*")
    commands.add_parser("check", help="exit 1 if any notebook's slide metadata is stale")
    build_parser = commands.add_parser("build", help="build the offline decks")
    build_parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    build_parser.add_argument("lessons", nargs="*")
    args = parser.parse_args(argv)
    if args.command == "mark":
        for name in args.lessons or lesson_names():
            for path in sorted((SOLUTIONS / name).glob("*.ipynb")):
                notebook = nbformat.read(path, as_version=4)
                if mark(notebook):
                    nbformat.write(notebook, path)
                    print(f"marked {path.relative_to(ROOT)}")
        return 0
    if args.command == "check":
        stale = stale_notebooks()
        for path in stale:
            print(f"stale slide metadata: {path.relative_to(ROOT)} (run make solutions lessons)")
        return 1 if stale else 0
    build(args.out.resolve(), args.lessons or lesson_names())
    return 0


if __name__ == "__main__":
    sys.exit(main())
