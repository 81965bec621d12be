"""lessons/ is generated from solutions/: in sync, leaking nothing, protecting edits."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from tools import make_lessons
from tools.notebooks import LESSONS, ROOT
from tools.notebooks import SOLUTIONS as SOLUTIONS_DIR

SOLUTIONS = sorted(SOLUTIONS_DIR.glob("*/*.ipynb"))
REGION = re.compile(r"### BEGIN (SOLUTION|HIDDEN TESTS)\n(.*?)### END \1", re.DOTALL)


def lesson_of(solution: Path) -> Path:
    return LESSONS / solution.relative_to(SOLUTIONS_DIR)


def test_there_are_lessons():
    assert SOLUTIONS, "no solution notebooks found"
    assert all(lesson_of(path).is_file() for path in SOLUTIONS)


def test_lessons_are_in_sync_with_solutions():
    result = subprocess.run(
        [sys.executable, "-m", "tools.make_lessons", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_generation_is_reproducible(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        make_lessons.main(["--output", str(folder)])
    assert make_lessons.differences(first, second) == []


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_no_solution_or_hidden_test_leaks_into_the_lesson(solution):
    lesson_text = "\n".join(
        cell.source for cell in nbformat.read(lesson_of(solution), as_version=4).cells
    )
    assert "BEGIN SOLUTION" not in lesson_text and "HIDDEN TESTS" not in lesson_text
    secret_lines, public_text = set(), []
    for cell in nbformat.read(solution, as_version=4).cells:
        for _, body in REGION.findall(cell.source):
            secret_lines |= {line.strip() for line in body.splitlines() if len(line.strip()) > 12}
        public_text.append(REGION.sub("", cell.source))
    assert secret_lines, f"{solution.name} has no worked answers to hide"
    # A line that also stands outside the hidden regions (a docstring, a plotting call) is
    # public anyway; only lines found nowhere else would be a leak.
    public = "\n".join(public_text)
    secret_lines = {line for line in secret_lines if line not in public}
    leaked = [line for line in secret_lines if line in lesson_text]
    assert not leaked, f"solution lines in the lesson: {leaked}"


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.stem)
def test_every_exercise_has_a_visible_and_a_hidden_check(solution):
    cells = nbformat.read(solution, as_version=4).cells
    checks = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert len(checks) >= 1
    for cell in checks:
        assert "### BEGIN HIDDEN TESTS" in cell.source, cell.metadata.nbgrader.grade_id
        visible = REGION.sub("", cell.source)
        assert "check_" in visible or "record_choice(" in visible or "assert" in visible, (
            cell.metadata.nbgrader.grade_id
        )


@pytest.fixture
def lessons_copy(tmp_path):
    generated = tmp_path / "generated"
    make_lessons.main(["--output", str(generated)])
    installed = tmp_path / "lessons"
    shutil.copytree(generated, installed)
    return generated, installed


def test_regenerating_stops_when_a_lesson_was_edited(lessons_copy, capsys):
    generated, installed = lessons_copy
    edited = sorted(installed.rglob("*.ipynb"))[0]
    edited.write_text(edited.read_text().replace("not answered yet", "my own answer"))
    assert make_lessons.install(generated, installed, force=False) == 1
    assert "my own answer" in edited.read_text()
    assert edited.name in capsys.readouterr().err


def backups_of(path: Path) -> list[Path]:
    return sorted(path.parent.glob(f"{path.name}.*.bak"))


def test_forced_regeneration_keeps_a_backup(lessons_copy):
    generated, installed = lessons_copy
    edited = sorted(installed.rglob("*.ipynb"))[0]
    mine = edited.read_text().replace("not answered yet", "my own answer")
    edited.write_text(mine)
    assert make_lessons.install(generated, installed, force=True) == 0
    (backup,) = backups_of(edited)
    assert backup.read_text() == mine
    assert re.fullmatch(rf"{re.escape(edited.name)}\.\d{{8}}-\d{{6}}\.bak", backup.name)
    assert "my own answer" not in edited.read_text()


def test_forced_regeneration_twice_keeps_every_backup(lessons_copy):
    """Two edits, each forced away (within the same second): both versions are kept, each
    in its own backup, and a backup is not itself taken for an edit and backed up."""
    generated, installed = lessons_copy
    edited = sorted(installed.rglob("*.ipynb"))[0]
    versions = []
    for word in ("first", "second"):
        text = edited.read_text().replace("not answered yet", f"my {word} answer")
        edited.write_text(text)
        versions.append(text)
        assert make_lessons.install(generated, installed, force=True) == 0
    assert sorted(b.read_text() for b in backups_of(edited)) == sorted(versions)
    assert not list(installed.rglob("*.bak.*")) and not list(installed.rglob("*.bak.bak"))
    assert make_lessons.install(generated, installed, force=False) == 0  # backups are no edits


def test_backup_names_never_collide(tmp_path):
    path = tmp_path / "lesson.ipynb"
    first = make_lessons.backup_path(path, now=0.0)
    first.write_text("1")
    second = make_lessons.backup_path(path, now=0.0)
    assert second != first and second.name.endswith("-2.bak")


def test_unedited_lessons_are_regenerated_quietly(lessons_copy):
    generated, installed = lessons_copy
    assert make_lessons.install(generated, installed, force=False) == 0
    assert make_lessons.differences(generated, installed) == []
