"""Notebook hygiene: clean execution order, no stored errors, no machine paths, tidy cells."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import nbformat
import pytest

from tools import notebooks

SOLUTIONS = sorted(notebooks.SOLUTIONS.glob("*/*.ipynb"))
LESSONS = sorted(notebooks.LESSONS.glob("*/*.ipynb"))
MACHINE_PATH = re.compile(r"(/work/|/root/|/home/\w|/tmp/|/Users/\w|[A-Z]:\\\\Users)")


def read(path: Path) -> nbformat.NotebookNode:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    return notebook


def texts(notebook: nbformat.NotebookNode):
    for cell in notebook.cells:
        yield cell.source
        for output in cell.get("outputs", []):
            yield str(output.get("text", "")) + str(output.get("data", {}).get("text/plain", ""))
            yield "\n".join(output.get("traceback", []))


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_solution_ran_top_to_bottom_without_errors(path):
    notebook = read(path)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    counts = [cell.execution_count for cell in code]
    assert counts == list(range(1, len(code) + 1)), f"execution order: {counts}"
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"stored error output: {errors[0].ename}"
    tagged = [c.id for c in notebook.cells if "raises-exception" in c.metadata.get("tags", [])]
    assert not tagged, f"solutions may not allow errors: {tagged}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.stem)
def test_every_code_cell_follows_a_sentence(path):
    cells = read(path).cells
    assert cells[0].cell_type == "markdown" and cells[0].source.startswith("# ")
    for before, cell in itertools.pairwise(cells):
        if cell.cell_type == "code":
            assert before.cell_type == "markdown", f"code cell {cell.id} follows code"


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.stem)
def test_lesson_has_no_outputs_and_only_exercises_may_raise(path):
    for cell in read(path).cells:
        if cell.cell_type != "code":
            continue
        assert cell.outputs == [] and cell.execution_count is None
        nbgrader = cell.metadata.get("nbgrader", {})
        may_raise = "raises-exception" in cell.metadata.get("tags", [])
        assert may_raise == bool(nbgrader.get("solution") or nbgrader.get("grade")), cell.id


@pytest.mark.parametrize("path", SOLUTIONS + LESSONS, ids=lambda p: p.parent.parent.name)
def test_no_machine_specific_paths(path):
    notebook = read(path)
    for text in texts(notebook):
        match = MACHINE_PATH.search(text)
        assert match is None, f"{path.name}: machine path {match.group(0)!r} in {text[:80]!r}"
    assert notebook.metadata.kernelspec.name == "python3"
