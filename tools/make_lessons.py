"""Generate the student lessons in lessons/ from the solution notebooks in solutions/.

nbgrader's generate_assignment removes the worked answers (replaced by a stub that raises
"not answered yet"), the hidden checks and all outputs. Cells a student must answer, and
the check cells after them, get the ``raises-exception`` tag so that an unanswered lesson
runs top to bottom under ``pytest --nbval-lax``. Generation is byte-for-byte
reproducible.

A student's edits are never overwritten silently: lessons/MANIFEST.json records the
SHA-256 of every file this script last wrote; if a file in lessons/ differs from it, the
script stops and names the file (``--force`` keeps a timestamped copy,
``NAME.YYYYmmdd-HHMMSS.bak``, and goes on; earlier copies are never overwritten). Students
work in my_work/, which this script never touches.

Usage: python -m tools.make_lessons [--check] [--force] [--output DIR]
  --check   write nothing; exit 1 if lessons/ differs from what generation gives
  --output  generate into DIR instead of lessons/ (used by the tests)
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from tools.notebooks import LESSONS, ROOT, SOLUTIONS, lesson_names, sha256

MANIFEST = "MANIFEST.json"
BACKUP_SUFFIX = ".bak"
ALLOWED_TO_RAISE = "raises-exception"


def is_autograded(cell: nbformat.NotebookNode) -> bool:
    """An answer cell (code the student writes) or a check cell (tests with points)."""
    meta = cell.metadata.get("nbgrader", {})
    return cell.cell_type == "code" and bool(meta.get("solution") or meta.get("grade"))


def tag_cells_allowed_to_raise(path: Path) -> None:
    """Tag the answer and check cells of a generated lesson with raises-exception."""
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        if is_autograded(cell):
            tags = cell.metadata.setdefault("tags", [])
            if ALLOWED_TO_RAISE not in tags:
                tags.append(ALLOWED_TO_RAISE)
    nbformat.write(notebook, path)


def generate(destination: Path) -> None:
    """Generate every lesson into ``destination`` (an empty folder), with nbgrader."""
    with tempfile.TemporaryDirectory(prefix="course-release-") as course_root:
        for name in lesson_names():
            command = [
                *(sys.executable, "-m", "nbgrader", "generate_assignment", name),
                *("--force", "--no-db", "--log-level=WARN"),
                f"--CourseDirectory.root={course_root}",
                f"--CourseDirectory.source_directory={SOLUTIONS}",
                f"--CourseDirectory.release_directory={destination}",
            ]
            subprocess.run(command, cwd=ROOT, check=True)
    for path in sorted(destination.rglob("*.ipynb")):
        tag_cells_allowed_to_raise(path)
    manifest = {
        str(path.relative_to(destination)): sha256(path)
        for path in sorted(destination.rglob("*"))
        if path.is_file()
    }
    (destination / MANIFEST).write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def files_under(folder: Path) -> dict[str, Path]:
    """Relative path -> path of every file below ``folder``."""
    return {str(p.relative_to(folder)): p for p in sorted(folder.rglob("*")) if p.is_file()}


def differences(generated: Path, lessons: Path) -> list[str]:
    """Files that differ between a fresh generation and lessons/, as readable lines."""
    new, old = files_under(generated), files_under(lessons)
    lines = [f"missing in lessons/: {name}" for name in sorted(new.keys() - old.keys())]
    lines += [f"not generated from solutions/: {name}" for name in sorted(old.keys() - new)]
    lines += [
        f"differs: {name}"
        for name in sorted(new.keys() & old.keys())
        if new[name].read_bytes() != old[name].read_bytes()
    ]
    return lines


def edited_since_generation(lessons: Path) -> list[str]:
    """Files in lessons/ that are not what this script last wrote (a student's edits?).

    Backups (``*.bak``) made by ``--force`` are not counted: they are kept as they are."""
    manifest_path = lessons / MANIFEST
    recorded = json.loads(manifest_path.read_text()) if manifest_path.is_file() else {}
    edited = []
    for name, path in files_under(lessons).items():
        if name == MANIFEST or name.endswith(BACKUP_SUFFIX):
            continue
        if recorded.get(name) != sha256(path):
            edited.append(name)
    return edited


def backup_path(path: Path, now: float | None = None) -> Path:
    """A new backup name for ``path``: ``NAME.YYYYmmdd-HHMMSS.bak``, with ``-2``, ``-3`` ...
    added when that exists already (two backups in one second), so none is overwritten."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    candidate = path.with_name(f"{path.name}.{stamp}{BACKUP_SUFFIX}")
    number = 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}.{stamp}-{number}{BACKUP_SUFFIX}")
    return candidate


def install(generated: Path, lessons: Path, force: bool) -> int:
    edited = edited_since_generation(lessons) if lessons.exists() else []
    if edited and not force:
        print(
            "Stopped: these files in lessons/ differ from what `make lessons` last wrote, "
            "so they may hold someone's work:\n  "
            + "\n  ".join(edited)
            + "\nMove your work to my_work/ (never touched by the course), or run "
            "`python -m tools.make_lessons --force` to keep a timestamped .bak copy of each "
            "and go on.",
            file=sys.stderr,
        )
        return 1
    for name in edited:
        backup = backup_path(lessons / name)
        shutil.copy2(lessons / name, backup)
        shown = backup.relative_to(lessons)
        print(f"kept your version of {lessons.name}/{name} as {lessons.name}/{shown}")
    if lessons.exists():
        for name, path in files_under(lessons).items():
            if not name.endswith(BACKUP_SUFFIX):
                path.unlink()
    for name, path in files_under(generated).items():
        target = lessons / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for folder in sorted(lessons.rglob("*"), reverse=True):
        if folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
    print(f"generated {len(lesson_names())} lesson(s) into {lessons.name}/")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("--force", action="store_true", help="back up edited lessons, go on")
    parser.add_argument("--output", type=Path, help="generate into this folder instead")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="course-lessons-") as tmp:
        generated = Path(tmp) / "lessons"
        generated.mkdir()
        generate(generated)
        if args.output:
            shutil.copytree(generated, args.output, dirs_exist_ok=True)
            return 0
        if args.check:
            problems = differences(generated, LESSONS)
            if problems:
                print("lessons/ is out of sync with solutions/ (run `make lessons`):")
                print("\n".join(f"  {line}" for line in problems))
                return 1
            print("lessons/ is in sync with solutions/")
            return 0
        return install(generated, LESSONS, args.force)


if __name__ == "__main__":
    sys.exit(main())
