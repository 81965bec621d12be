"""Compile every model the lessons fit into the caches a student's kernel uses (issue 22).

A model's first fit spends most of its time compiling: PyTensor turns the model's log
density into Numba code and Numba compiles it (15-80 s per model on a 2-core laptop). Both
keep what they compiled on disk: PyTensor's Numba cache under ``~/.pytensor`` (keyed by a
hash of the rewritten graph and its constants, not by the Python source that built it) and
Numba's own cache of library functions (next to their source, in the venv). A later
kernel that builds the same graph loads the compiled code instead.

So ``make setup`` runs this script once: for each sampler lesson (05-07) it runs, in a fresh
Jupyter kernel like a student's, the solution notebook's cells that build, check or fit a
model (pm.Model, bmb.Model, pm.sample, .fit, compile_logp, check_same_model,
compute_log_likelihood, sample_posterior_predictive), its import cells and, transitively,
the cells defining the names they use. Running the notebook's own cells means the models
written inline in a lesson (lesson 05's tutoring model, lesson 06's centred model, lesson
07's Bambi models) build the very graphs the lesson builds, so they hit the cache too; no
copy of them lives here.

Usage: python -m tools.warm_caches [--lessons 05 07] [--dry-run]. ``make setup`` skips it
with ``SKIP_WARMUP=1``; it reruns when a solution notebook, course_utils/models.py or this
file changes. Exit code 1 if a cell failed (the lessons still work: their first fits then
compile).
"""

from __future__ import annotations

import argparse
import ast
import builtins
import sys
import time
from pathlib import Path

from tools.notebooks import ipc_client

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = ROOT / "solutions"
#: The lessons that fit models, by folder prefix.
SAMPLER_LESSONS = ("05", "06", "07")
#: A code cell containing one of these builds, checks or fits a model: it runs.
MARKERS = (
    "pm.Model(",
    "bmb.Model(",
    "pm.sample(",
    ".fit(",
    "compile_logp(",
    "check_same_model(",
    "compute_log_likelihood(",
    "sample_posterior_predictive(",
)
CELL_TIMEOUT_S = 600


def python_source(cell_source: str) -> str:
    """A cell's source as plain Python (IPython magics and shell escapes translated)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def names_defined(source: str, top_level: bool = False) -> set[str]:
    """Names a cell binds: assignments, imports, defs, loop and ``with`` targets; unless
    ``top_level``, also those bound inside its functions and comprehensions (parameters,
    locals), which no other cell sees."""
    names: set[str] = set()
    scopes = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)
    comprehensions = (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
        elif isinstance(node, ast.arg):
            names.add(node.arg)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            names.update((alias.asname or alias.name).split(".")[0] for alias in node.names)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if top_level and isinstance(node, scopes + comprehensions):
            return
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(source))
    return names


def names_used(source: str) -> set[str]:
    """Names a cell reads, builtins left out."""
    used = {
        node.id
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return used - set(dir(builtins))


def select_cells(sources: list[str]) -> list[int]:
    """Indices of the cells to run, in notebook order: every cell with a model marker or an
    import, and, transitively, for each name such a cell reads, the latest earlier cell
    that binds it. ``sources`` are plain Python (see :func:`python_source`)."""
    trees = []
    for source in sources:
        try:
            # a name the cell binds itself (a loop variable, a parameter) needs no other cell
            local = names_defined(source)
            trees.append((names_defined(source, top_level=True), names_used(source) - local))
        except SyntaxError:
            trees.append((set(), set()))
    chosen = {
        i
        for i, source in enumerate(sources)
        if any(marker in source for marker in MARKERS) or "import " in source
    }
    todo = sorted(chosen)
    while todo:
        i = todo.pop()
        for name in trees[i][1]:
            for j in range(i - 1, -1, -1):
                if name in trees[j][0]:
                    if j not in chosen:
                        chosen.add(j)
                        todo.append(j)
                    break
    return sorted(chosen)


def lesson_notebooks(prefixes: tuple[str, ...] = SAMPLER_LESSONS) -> list[Path]:
    """The solution notebooks of the lessons that fit models."""
    return [
        path
        for path in sorted(SOLUTIONS.glob("[0-9][0-9]_*/*.ipynb"))
        if path.parent.name[:2] in prefixes
    ]


def warm_notebook(path: Path, dry_run: bool = False) -> tuple[int, list[str], float]:
    """Run the chosen cells of one notebook in a fresh kernel; (cells run, errors, seconds)."""
    import nbformat

    notebook = nbformat.read(path, as_version=4)
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    chosen = select_cells([python_source(cell.source) for cell in code])
    if dry_run:
        return len(chosen), [], 0.0
    warm = nbformat.v4.new_notebook(cells=[code[i] for i in chosen])
    warm.metadata = notebook.metadata
    start = time.perf_counter()
    with ipc_client(warm, path.parent, CELL_TIMEOUT_S, prefix="warm-caches-") as client:
        client.execute()
    seconds = time.perf_counter() - start
    errors = [
        f"{output.get('ename')}: {output.get('evalue', '')[:200]}"
        for cell in warm.cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    return len(chosen), errors, seconds


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lessons", nargs="+", default=list(SAMPLER_LESSONS), help="lesson numbers"
    )
    parser.add_argument("--dry-run", action="store_true", help="list the cells, run nothing")
    args = parser.parse_args(argv)
    paths = lesson_notebooks(tuple(args.lessons))
    if not paths:
        parser.error(f"no solution notebook for lessons {args.lessons}")
    failed = False
    start = time.perf_counter()
    for number, path in enumerate(paths, 1):
        label = path.parent.name
        print(
            f"warming the compile caches: {label} ({number}/{len(paths)}) ...",
            end=" ",
            flush=True,
        )
        cells, errors, seconds = warm_notebook(path, dry_run=args.dry_run)
        print(f"{cells} cells, {seconds:.0f} s" + (f", {len(errors)} failed" if errors else ""))
        for error in errors:
            print(f"  {label}: {error}", file=sys.stderr)
        failed = failed or bool(errors)
    print(f"warm-up done in {time.perf_counter() - start:.0f} s")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
