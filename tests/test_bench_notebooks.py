"""bench.notebooks: the notebooks and course sections' tables; no kernel."""

from bench import notebooks, report


def test_course_in_order_adds_the_notebooks_and_shows_failures():
    course = {
        "lessons/00/a.ipynb": {"wall_s": 3.0, "error_cells": 1, "code_cells": 8, "errors": ["X"]},
        "lessons/01/b.ipynb": {"error": "timed out after 60 s"},
        "solutions/00/a.ipynb": {"wall_s": 4.5, "error_cells": 0, "code_cells": 8, "errors": []},
    }
    rows, records, total = notebooks.course_rows(course)
    assert total == 7.5  # the failed run adds nothing, and says so
    assert rows[1][1].startswith("ERROR: timed out")
    assert rows[0] == ["lessons/00/a.ipynb", "3", "1 of 8 (X)"]
    assert records[-1]["item"] == "all" and records[-1]["median"] == 7.5
    text, _ = report.render({"machine": {}, "course": {"date": "d", "data": course}})
    assert "Whole course cold, in order: **8 s**" in text and "| lessons/01/b.ipynb |" in text
