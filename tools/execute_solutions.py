"""Run every solution notebook top to bottom in a fresh kernel and store its outputs.

The stored outputs are what nbval compares against in `make test`; the slide metadata
is written by the rules of tools/slides.py. Run this after editing
a solution, then `make lessons`.

Usage: python -m tools.execute_solutions [LESSON ...]   (default: every lesson)
"""

from __future__ import annotations

import argparse
import sys
import time

import nbformat

from course_utils.environment import METADATA_KEY, code_generation
from tools.notebooks import SOLUTIONS, execute, lesson_names
from tools.slides import mark


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("lessons", nargs="*", help="lesson folders (default: all)")
    args = parser.parse_args(argv)
    for name in args.lessons or lesson_names():
        for path in sorted((SOLUTIONS / name).glob("*.ipynb")):
            start = time.perf_counter()
            notebook = execute(path)
            mark(notebook)  # the lecture slides' metadata (tools/slides.py)
            # Sampler draws depend on the CPU: lesson 00's report compares with this.
            notebook.metadata.setdefault(METADATA_KEY, {})["executed_on"] = code_generation()
            nbformat.write(notebook, path)
            print(
                f"executed {path.relative_to(SOLUTIONS.parent)} "
                f"in {time.perf_counter() - start:.1f} s"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
