"""bench.notebooks: the notebooks and course sections' tables; no kernel."""

from bench import notebooks, report


def test_course_in_order_adds_the_notebooks_and_shows_failures():
    course = {
        "lessons/00/a.ipynb": {
            "wall_s": 3.0,
            "error_cells": 1,
            "code_cells": 8,
            "errors": ["X"],
            "cell_s": {"2": 0.5, "5": 2.25, "7": 0.1, "9": 0.05},
        },
        "lessons/01/b.ipynb": {"error": "timed out after 60 s"},
        "solutions/00/a.ipynb": {"wall_s": 4.5, "error_cells": 0, "code_cells": 8, "errors": []},
    }
    rows, records, total = notebooks.course_rows(course)
    assert total == 7.5  # the failed run adds nothing, and says so
    assert rows[1][1].startswith("ERROR: timed out")
    assert rows[0] == ["lessons/00/a.ipynb", "3", "1 of 8 (X)", "5: 2.2, 2: 0.5, 7: 0.1"]
    assert rows[2][3] == "-"  # a run without per-cell timing
    assert records[-1]["item"] == "all" and records[-1]["median"] == 7.5
    text, _ = report.render({"machine": {}, "course": {"date": "d", "data": course}})
    assert "Whole course cold, in order: **8 s**" in text and "| lessons/01/b.ipynb |" in text
    assert "against a target of 300 s: met" in text


def test_cell_seconds_reads_nbclients_timing():
    import nbformat

    notebook = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell("# title"),
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("not run"),
        ]
    )
    notebook.cells[1].metadata["execution"] = {
        "iopub.execute_input": "2026-12-02T10:00:00.250000Z",
        "shell.execute_reply": "2026-12-02T10:00:03.000000Z",
    }
    assert notebooks.cell_seconds(notebook) == {"1": 2.75}
