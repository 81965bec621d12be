"""The check cells of the solution notebooks, run on right and on wrong answers.

Each case takes one exercise's check cell from its solution notebook, builds the namespace it
runs in from a few cells of the same notebook (imports, data; no answer cell), defines the
answer function (the worked answer, or a wrong one that a student could write), and runs the
hidden tests and the visible check. The worked answer must pass both; a wrong answer must
fail both with an AnswerError, whose message names the mistake where the check knows it.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import matplotlib
import nbformat
import pytest

from course_utils.checks import AnswerError
from tools.grading.spec import lesson_spec
from tools.notebooks import SOLUTIONS

matplotlib.use("Agg")

HIDDEN = re.compile(r"### BEGIN HIDDEN TESTS\n(.*?)### END HIDDEN TESTS\n?", re.DOTALL)
MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n", re.MULTILINE)


def notebook_path(lesson: str) -> Path:
    return SOLUTIONS / lesson / f"{lesson}.ipynb"


@cache
def cells(lesson: str) -> dict[str, str]:
    """{cell id: source} of a solution notebook."""
    return {c.id: c.source for c in nbformat.read(notebook_path(lesson), as_version=4).cells}


def _code(source: str) -> str:
    return "\n".join(
        "" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
    )


@cache
def base_namespace(lesson: str, setup: tuple[str, ...]) -> dict:
    namespace: dict = {"display": lambda *a, **k: None}
    for cell_id in setup:
        exec(_code(cells(lesson)[cell_id]), namespace)
    return namespace


def parts(lesson: str, check_id: str) -> tuple[str, str]:
    """(hidden tests, visible check) of a check cell."""
    source = cells(lesson)[check_id]
    (hidden,) = HIDDEN.findall(source)
    return hidden, HIDDEN.sub("", source)


def run(lesson: str, setup: tuple[str, ...], check_id: str, answer: str, which: str) -> None:
    namespace = dict(base_namespace(lesson, setup))
    exec(answer, namespace)
    hidden, visible = parts(lesson, check_id)
    exec(hidden if which == "hidden" else visible, namespace)


def worked(lesson: str, answer_id: str) -> str:
    return MARKERS.sub("", cells(lesson)[answer_id])


@pytest.mark.parametrize("path", sorted(SOLUTIONS.glob("*/*.ipynb")), ids=lambda p: p.stem)
def test_the_grader_can_read_every_lessons_hidden_tests(path):
    assert lesson_spec(path).exercises


L03 = "03_unnormalizable_posteriors"
L03_SETUP = ("imports", "constant", "summaries")

# (lesson, setup cells, answer id, check id, wrong answer, what the message must say)
WRONG = [
    # 3.2-3.4: answers that ignore the width pass only on grids of length 1.
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        "def normalize_on_grid(values, width):\n"
        "    values = np.asarray(values, dtype=float)\n"
        "    return values / values.mean()",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_2",
        "exercise_3_2",
        "def normalize_on_grid(values, width):\n"
        "    values = np.asarray(values, dtype=float)\n"
        "    return values / values.sum()",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_3",
        "exercise_3_3",
        "def grid_mean(pi, density, width):\n"
        "    return float(np.mean(np.asarray(pi) * np.asarray(density)))",
        "",
    ),
    (
        L03,
        L03_SETUP,
        "answer_3_4",
        "exercise_3_4",
        "def grid_interval(pi, density, width, level=0.95):\n"
        "    cdf = np.cumsum(np.asarray(density)) / len(density)\n"
        "    pi = np.asarray(pi)\n"
        "    return (float(pi[np.searchsorted(cdf, (1 - level) / 2)]),\n"
        "            float(pi[np.searchsorted(cdf, (1 + level) / 2)]))",
        "",
    ),
]

RIGHT = sorted({(w[0], w[1], w[2], w[3]) for w in WRONG})


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(("lesson", "setup", "answer_id", "check_id"), RIGHT)
def test_the_worked_answer_passes(lesson, setup, answer_id, check_id, which):
    run(lesson, setup, check_id, worked(lesson, answer_id), which)


@pytest.mark.parametrize("which", ["hidden", "visible"])
@pytest.mark.parametrize(
    ("lesson", "setup", "answer_id", "check_id", "wrong", "message"),
    WRONG,
    ids=[f"{w[3]}-{i}" for i, w in enumerate(WRONG)],
)
def test_a_wrong_answer_fails(lesson, setup, answer_id, check_id, wrong, message, which):
    # A wrong answer may also fail by raising in the student's own code (an index off the
    # grid): the check fails all the same. The worked answer's test rules out a broken setup.
    with pytest.raises(Exception) as failure:
        run(lesson, setup, check_id, wrong, which)
    if message:
        assert failure.type is AnswerError
        assert message in str(failure.value)
