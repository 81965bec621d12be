"""What each exercise asks a student to do, read from its answer cell's metadata.

Every answer cell of a solution notebook (nbgrader ``solution: true``) carries
``"exercise_kind"`` in its metadata, one of :data:`KINDS`:

* ``compute``: implement a formula the lesson states;
* ``derive``: work out a formula the lesson does not state (a sum, a Jacobian, a bound);
* ``predict``: commit to an answer before the lesson computes it;
* ``interpret``: say what a result, a plot or a disagreement means;
* ``modify``: change a model, refit it and report what changed.

The README's table of exercise kinds is generated from this metadata:
``python -m tools.exercise_kinds --write`` rewrites it, ``--check`` (run by the tests) fails
when it is out of date.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import nbformat

from tools.notebooks import ROOT, SOLUTIONS, lesson_names

KINDS = ("compute", "derive", "predict", "interpret", "modify")
README = ROOT / "README.md"
START, END = "<!-- exercise-kinds:start -->", "<!-- exercise-kinds:end -->"
_NUMBER = re.compile(r"^### Exercise (\d+\.\d+)", re.MULTILINE)


def exercise_kinds(notebook: Path) -> list[tuple[str, str, str]]:
    """``(exercise number, grade id, kind)`` of every answer cell of a solution notebook.

    The number is that of the last ``### Exercise N.M`` heading above the cell; a cell
    without a valid kind raises ValueError naming it."""
    found = []
    number = ""
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type == "markdown":
            headings = _NUMBER.findall(cell.source)
            number = headings[-1] if headings else number
        meta = cell.metadata
        if not meta.get("nbgrader", {}).get("solution"):
            continue
        grade_id = meta["nbgrader"]["grade_id"]
        kind = meta.get("exercise_kind")
        if kind not in KINDS:
            raise ValueError(
                f"{notebook.name}: answer cell {grade_id} has exercise_kind {kind!r}; "
                f"it must be one of {', '.join(KINDS)}."
            )
        found.append((number, grade_id, kind))
    return found


def table() -> str:
    """The README's table: per lesson, its exercises grouped by kind."""
    lines = ["| Lesson | " + " | ".join(KINDS) + " |", "|---" * (len(KINDS) + 1) + "|"]
    for lesson in lesson_names():
        kinds = exercise_kinds(SOLUTIONS / lesson / f"{lesson}.ipynb")
        cells = [", ".join(number for number, _, k in kinds if k == kind) or "-" for kind in KINDS]
        lines.append(f"| {lesson} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def readme_with_table(readme: str) -> str:
    """``readme`` with the text between the markers replaced by the current table."""
    if START not in readme or END not in readme:
        raise ValueError(f"README.md lacks the markers {START} and {END}.")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table()}\n{END}{tail}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--write", action="store_true", help="rewrite README.md's table")
    group.add_argument("--check", action="store_true", help="exit 1 if the table is stale")
    args = parser.parse_args(argv)
    current = README.read_text(encoding="utf-8")
    wanted = readme_with_table(current)
    if args.write:
        README.write_text(wanted, encoding="utf-8")
    elif args.check and wanted != current:
        print("README.md's exercise-kinds table is stale: python -m tools.exercise_kinds --write")
        return 1
    else:
        print(table())
    return 0


if __name__ == "__main__":
    sys.exit(main())
