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
        "subslide", "skip", "skip", "skip", "subslide", "-",
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


def test_reading_cells_stay_out_of_the_deck():
    """Cells tagged ``reading`` (with their notes) are skipped, and the rules go on as if
    they were not there: the markdown after a skipped code cell is no conclusion of it."""
    reading = {"tags": ["reading"]}
    notebook = nbformat.v4.new_notebook(
        cells=[
            md("# Title"),
            code("import numpy as np"),
            md("## Shown\n\nA sentence before code."),
            code("x = 1"),
            md("## For reading\n\nA sentence.", metadata=reading),
            md("**2 minutes.**", metadata={"tags": ["notes", "reading"]}),
            code("y = 2", metadata=reading),
            md("## Shown again"),
        ]
    )
    assert slides.slide_types(notebook) == [
        "slide", "skip", "slide", "-", "skip", "skip", "skip", "slide",
    ]  # fmt: skip


def test_a_first_code_cell_that_does_work_is_shown():
    notebook = nbformat.v4.new_notebook(
        cells=[
            md("# Title"),
            code("import numpy as np\n\nfit = np.polyfit([0, 1], [0, 1], 1)"),
            md("## Next"),
            code("x = 1"),
        ]
    )
    assert slides.slide_types(notebook) == ["slide", "-", "slide", "-"]
    assert slides.is_setup_only(
        "import numpy as np\nimport matplotlib.pyplot as plt\n\n"
        'plt.rcParams.update({"figure.dpi": 100})'
    )
    assert not slides.is_setup_only("import numpy as np\nSAMPLE = dict(chains=4)")
    assert not slides.is_setup_only("")


def test_every_lesson_hides_only_imports():
    """The deck skips a lesson's first code cell only when it just imports (issue 20: a
    first cell that fits models or sets the sampler's settings was hidden)."""
    for name in lesson_names():
        (path,) = sorted((SOLUTIONS / name).glob("*.ipynb"))
        notebook = nbformat.read(path, as_version=4)
        first = next(cell for cell in notebook.cells if cell.cell_type == "code")
        assert slides.is_setup_only(first.source), f"{name}: {first.id} does work; split it"
