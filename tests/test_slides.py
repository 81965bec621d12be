"""The lecture slides' metadata follows the rules of tools/slides.py, in every notebook,
and a deck never carries a worked answer or a hidden test."""

from __future__ import annotations

import nbformat
import pytest

from tools import slides
from tools.notebooks import SOLUTIONS, lesson_names

md = nbformat.v4.new_markdown_cell
code = nbformat.v4.new_code_cell


def _answer(source: str, **nbgrader) -> nbformat.NotebookNode:
    return code(source, metadata={"nbgrader": nbgrader})


def test_the_rules_on_a_small_lesson():
    notebook = nbformat.v4.new_notebook(
        cells=[
            md("# Title\n\nWhat this lesson does."),
            md("Speaker notes: 10 minutes.", metadata={"tags": ["notes"]}),
            code("import numpy as np"),
            md("## First section\n\nA sentence before code."),
            code("x = 1"),
            md("A conclusion of that code."),
            md("The next idea."),
            code("y = 2"),
            md("### Exercise 1\n\nWrite f."),
            _answer(
                "def f():\n    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION",
                solution=True,
            ),
            md("The check:"),
            _answer("### BEGIN HIDDEN TESTS\nassert f() == 1\n### END HIDDEN TESTS", grade=True),
            md("After the exercise, a new idea."),
            code("z = 3"),
        ]
    )
    assert slides.slide_types(notebook) == [
        "slide", "notes", "skip", "slide", "-", "fragment", "subslide", "-",
        "subslide", "skip", "-", "skip", "subslide", "-",
    ]  # fmt: skip


def test_every_notebook_carries_the_rules_metadata():
    assert slides.stale_notebooks() == [], "run `make solutions lessons`"


def test_every_lesson_has_speaker_notes_and_several_slides():
    for name in lesson_names():
        (path,) = sorted((SOLUTIONS / name).glob("*.ipynb"))
        kinds = slides.slide_types(nbformat.read(path, as_version=4))
        assert "notes" in kinds, f"{name}: no speaker notes"
        assert kinds.count("slide") + kinds.count("subslide") >= 5, f"{name}: too few slides"


@pytest.mark.parametrize("name", ["01_credit_assignment", "02_wald_vs_lrt"])
def test_a_deck_carries_no_answer_and_no_hidden_test(name):
    (path,) = sorted((SOLUTIONS / name).glob("*.ipynb"))
    deck = slides.deck_notebook(path)  # no widgets here: nothing is executed
    text = "\n".join(cell.source for cell in deck.cells)
    assert "BEGIN SOLUTION" not in text and "BEGIN HIDDEN TESTS" not in text
    body, _ = slides.exporter().from_notebook_node(deck)
    assert "BEGIN SOLUTION" not in body and "BEGIN HIDDEN TESTS" not in body
    # every front-end file is local: no http(s) address is loaded by the deck
    for url in slides.LOCAL_URLS.values():
        assert not url.startswith("http")
    assert "https://unpkg.com" not in body and "cdnjs" not in body
