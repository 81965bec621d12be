"""The nbval extension: sampler outputs compared within Monte Carlo error, the rest exactly.

Each test stores a notebook's outputs, changes something (the draws, a stored number, the
stored text), and runs ``pytest --nbval`` on it in a separate process, as `make test`
does. The last test does the same with lesson 05's beta-binomial NUTS cells.
"""

from __future__ import annotations

import copy
import os
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course_utils import montecarlo

ROOT = Path(__file__).resolve().parent.parent
SANITIZE = ROOT / "tests" / "nbval_sanitize.cfg"

TOY_CELLS = [
    "import os\nimport numpy as np\nfrom course_utils import montecarlo",
    # The seed and a shift come from the environment, to play another CPU or a wrong sampler.
    "seed = int(os.environ.get('TOY_SEED', '1'))\n"
    "shift = float(os.environ.get('TOY_SHIFT', '0'))\n"
    "draws = np.random.default_rng(seed).normal(shift, 1.0, size=(4, 1000))",
    "montecarlo.MCText('mean {} (exact 0)', montecarlo.mean_estimate(draws, exact=0.0))",
    "print('deterministic', 2 + 2)",
]


def execute(notebook: nbformat.NotebookNode, folder: Path) -> nbformat.NotebookNode:
    from nbclient import NotebookClient

    NotebookClient(notebook, timeout=600, resources={"metadata": {"path": str(folder)}}).execute()
    return notebook


def run_nbval(path: Path, **env: str) -> subprocess.CompletedProcess:
    """``pytest --nbval`` on one notebook in a fresh process (the plugin loads by entry point)."""
    command = [sys.executable, "-m", "pytest", "--nbval", "-p", "no:cacheprovider", "-q"]
    command += ["--nbval-sanitize-with", str(SANITIZE), "--nbval-current-env", path.name]
    return subprocess.run(
        command,
        cwd=path.parent,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=900,
    )


@pytest.fixture(scope="module")
def toy(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("toy")
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in TOY_CELLS])
    path = folder / "toy.ipynb"
    nbformat.write(execute(notebook, folder), path)
    return path


def stored_estimate(notebook: nbformat.NotebookNode, index: int = 2) -> dict:
    output = notebook.cells[index].outputs[0]
    return output["data"][montecarlo.MIME]["cells"][0]


def edited_copy(source: Path, name: str, edit) -> Path:
    notebook = nbformat.read(source, as_version=4)
    edit(notebook)
    path = source.parent / name
    nbformat.write(notebook, path)
    return path


def move_stored_estimate(notebook, index: int, by_mcse: float) -> None:
    """Move a stored estimate by some MCSE, keeping its text consistent with it."""
    output = notebook.cells[index].outputs[0]
    payload = copy.deepcopy(output["data"][montecarlo.MIME])
    cells = payload["cells"] if payload["type"] == "text" else payload["columns"][0][1]
    cells[0]["value"] += by_mcse * cells[0]["mcse"]
    output["data"][montecarlo.MIME] = payload
    output["data"].update(montecarlo.render(payload))


def test_the_stored_run_passes(toy):
    result = run_nbval(toy)
    assert result.returncode == 0, result.stdout


def test_other_draws_pass_within_monte_carlo_error(toy):
    """Another seed stands for another CPU: other digits, same answer within MCSE."""
    result = run_nbval(toy, TOY_SEED="2")
    assert result.returncode == 0, result.stdout


def test_a_stored_estimate_moved_by_10_mcse_fails(toy):
    path = edited_copy(toy, "moved.ipynb", lambda nb: move_stored_estimate(nb, 2, 10.0))
    result = run_nbval(path)
    assert result.returncode != 0
    assert "combined MCSE apart" in result.stdout


def test_a_number_edited_in_the_stored_text_fails(toy):
    def edit(notebook):
        output = notebook.cells[2].outputs[0]
        shown = format(stored_estimate(notebook)["value"], ".3f")
        output["data"]["text/plain"] = output["data"]["text/plain"].replace(shown, "0.250")

    result = run_nbval(edited_copy(toy, "text.ipynb", edit))
    assert result.returncode != 0
    assert "edited by hand" in result.stdout


def test_a_fresh_run_far_from_the_exact_value_fails(toy):
    result = run_nbval(toy, TOY_SHIFT="0.2")  # 0.2 is about 12 MCSE of this mean
    assert result.returncode != 0
    assert "from the exact" in result.stdout


def test_deterministic_outputs_are_still_compared_exactly(toy):
    def edit(notebook):
        notebook.cells[3].outputs[0]["text"] = "deterministic 5\n"

    result = run_nbval(edited_copy(toy, "plain.ipynb", edit))
    assert result.returncode != 0
    assert "deterministic 5" in result.stdout


@pytest.mark.timeout(900)
def test_lesson_05_beta_binomial_nuts_cells(tmp_path):
    """The real thing: lesson 05's NUTS fit and its table, as stored in the solution.

    Run as stored, they pass; with the stored posterior mean moved by 10 MCSE (text and
    numbers consistent), they fail."""
    lesson = "05_nuts_mixed_logit"
    solution = nbformat.read(ROOT / "solutions" / lesson / f"{lesson}.ipynb", as_version=4)
    keep = {"imports", "bb-sample", "bb-compare"}
    notebook = copy.deepcopy(solution)
    notebook.cells = [cell for cell in solution.cells if cell.get("id") in keep]
    assert len(notebook.cells) == 3
    path = tmp_path / "bb.ipynb"
    nbformat.write(notebook, path)
    assert run_nbval(path).returncode == 0
    moved = edited_copy(path, "bb_moved.ipynb", lambda nb: move_stored_estimate(nb, 2, 10.0))
    result = run_nbval(moved)
    assert result.returncode != 0
    assert "'p', column 'mean'" in result.stdout and "combined MCSE apart" in result.stdout
