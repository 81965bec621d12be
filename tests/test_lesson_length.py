"""Every lesson is a lecture of at most 50 minutes (issue 20), by its own speaker notes.

The notes on a lesson's title slide give its length ("about N minutes"); every other
speaker note (one per section, not left for reading) gives that section's minutes, and
those add up to at most the lesson's length. Material the lecture leaves out is tagged
``reading``: it stays in the notebook, out of the deck, and says so to the student."""

from __future__ import annotations

import re

import nbformat
import pytest

from tools.notebooks import SOLUTIONS, lesson_names
from tools.slides import is_reading

LECTURE_MINUTES = 50
MINUTES = re.compile(r"(\d+) minutes?\b")


def _notebook(lesson: str) -> nbformat.NotebookNode:
    return nbformat.read(SOLUTIONS / lesson / f"{lesson}.ipynb", as_version=4)


def _notes(lesson: str) -> list[nbformat.NotebookNode]:
    return [c for c in _notebook(lesson).cells if "notes" in c.metadata.get("tags", [])]


@pytest.mark.parametrize("lesson", lesson_names())
def test_the_lesson_fits_a_lecture_and_its_sections_add_up(lesson):
    title, *sections = _notes(lesson)
    total = re.match(r"Speaker notes: about (\d+) minutes", title.source)
    assert total, f"{lesson}: the title's notes do not start with 'Speaker notes: about N minutes'"
    minutes = int(total.group(1))
    assert minutes <= LECTURE_MINUTES, f"{lesson}: {minutes} minutes"
    shown = [note for note in sections if not is_reading(note)]
    missing = [note.id for note in shown if not MINUTES.search(note.source)]
    assert missing == [], f"{lesson}: section notes without their minutes: {missing}"
    added = sum(int(MINUTES.search(note.source).group(1)) for note in shown)
    assert added <= minutes, f"{lesson}: the sections add up to {added} minutes, not {minutes}"


@pytest.mark.parametrize("lesson", lesson_names())
def test_a_part_left_for_reading_says_so(lesson):
    cells = _notebook(lesson).cells
    for index, cell in enumerate(cells):
        starts_part = is_reading(cell) and not (index and is_reading(cells[index - 1]))
        if starts_part:
            assert cell.cell_type == "markdown" and "*For reading after the lecture" in (
                cell.source
            ), f"{lesson}: the reading part at {cell.id} does not announce itself"


ASKS = re.compile(r'\b[Aa]sk\b[^"]{0,20}"[^"]+"')  # Ask: "...", ask the room: "...", ...


@pytest.mark.parametrize("lesson", lesson_names())
def test_every_section_has_speaker_notes_that_pause_and_ask(lesson):
    """Issue 20, item 3: the notes of the title and of every section of the lecture say
    where to pause and which question to ask the room, with the answer to expect."""
    cells = _notebook(lesson).cells
    lacking = {}
    for index, cell in enumerate(cells):
        heading = index == 0 or cell.source.lstrip().startswith("## ")
        if cell.cell_type != "markdown" or not heading or is_reading(cell):
            continue
        notes = cells[index + 1] if index + 1 < len(cells) else None
        if notes is None or "notes" not in notes.metadata.get("tags", []):
            lacking[cell.id] = "no speaker notes right after the heading"
            continue
        missing = [
            part
            for part, found in [
                ("a pause", re.search(r"\b[Pp]ause\b", notes.source)),
                ('a question (Ask: "...")', ASKS.search(notes.source)),
                ("the expected answer", "Expected" in notes.source),
            ]
            if not found
        ]
        if missing:
            lacking[cell.id] = ", ".join(missing)
    assert lacking == {}, f"{lesson}: {lacking}"
