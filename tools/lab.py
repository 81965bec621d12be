"""Open JupyterLab on the student's own copies of the lessons (the `make lab` command).

The first time, each lesson in lessons/ is copied into my_work/. A file already in
my_work/ is never overwritten, so updating the course never touches a student's answers;
a lesson added later is copied in on the next `make lab`. JupyterLab then opens on
lesson 00 with the repository as its root, so lessons/, solutions/ and data/ are one click
away.

Usage: python -m tools.lab [--dry-run] [extra jupyter lab arguments]
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from tools.notebooks import LESSONS, ROOT

#: The student's folder; COURSE_WORK_DIR overrides it (the tests use a temporary one).
WORK = Path(os.environ.get("COURSE_WORK_DIR", ROOT / "my_work"))
FIRST = "00_start_here/00_start_here.ipynb"


def copy_new_lessons(lessons: Path = LESSONS, work: Path = WORK) -> list[Path]:
    """Copy every lesson notebook that is not yet in ``work``; return what was copied."""
    copied = []
    for source in sorted(lessons.rglob("*.ipynb")):
        target = work / source.relative_to(lessons)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            copied.append(target)
    return copied


def lab_command(extra: list[str], work: Path = WORK) -> list[str]:
    """The jupyter lab command line: opening lesson 00 of the student's folder."""
    root = ROOT if ROOT in work.parents else work.parent
    first = (work / FIRST).relative_to(root).as_posix()
    command = [
        *(sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}"),
        f"--LabApp.default_url=/lab/tree/{first}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # jupyter refuses root without it (containers)
    return command + extra


def main(argv: list[str]) -> int:
    dry_run = "--dry-run" in argv
    extra = [arg for arg in argv if arg != "--dry-run"]
    for path in copy_new_lessons():
        print(f"copied {path.relative_to(WORK.parent)}")
    command = lab_command(extra)
    if dry_run:
        print(" ".join(command))
        return 0
    os.execv(command[0], command)
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
