"""tools/warm_caches.py: which notebook cells the warm-up runs (no kernel started here)."""

import nbformat
import pytest

from tools import warm_caches


def test_names_defined_at_top_level_and_inside():
    source = (
        "import numpy as np\nx, y = 1, 2\ndef f(a):\n    b = a\n    return b\n"
        "for i in range(3): pass"
    )
    assert warm_caches.names_defined(source, top_level=True) == {"np", "x", "y", "f", "i"}
    assert warm_caches.names_defined(source) == {"np", "x", "y", "f", "a", "b", "i"}


def test_select_cells_runs_markers_imports_and_what_they_need():
    sources = [
        "import pymc as pm",  # 0: an import
        "data = load()",  # 1: needed by 4
        "slow = expensive_grid()",  # 2: needed by nothing that fits
        "def helper(data):\n    return data",  # 3: binds `data` only as a parameter
        "with pm.Model() as m:\n    pm.Normal('x', observed=data)",  # 4: a model
        "fit = pm.sample(model=m)",  # 5: a fit, needs m from 4
        "widget = Explorer(fit)",  # 6: uses a fit, fits nothing
        "for name in ['a']:\n    print(name)",  # 7: a loop variable is its own
        "%matplotlib inline",  # 8: not Python until translated
    ]
    sources = [warm_caches.python_source(s) for s in sources]
    assert warm_caches.select_cells(sources) == [0, 1, 4, 5]


@pytest.mark.parametrize("path", warm_caches.lesson_notebooks(), ids=lambda p: p.parent.name)
def test_every_fit_of_a_sampler_lesson_is_warmed(path):
    code = [c.source for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]
    chosen = set(warm_caches.select_cells([warm_caches.python_source(s) for s in code]))
    fits = {i for i, s in enumerate(code) if "pm.sample(" in s or ".fit(" in s}
    assert fits and fits <= chosen
    widgets = {i for i, s in enumerate(code) if "Explorer(" in s}
    assert not widgets & chosen, "the warm-up runs no widget"


def test_the_sampler_lessons_are_found():
    assert [p.parent.name[:2] for p in warm_caches.lesson_notebooks()] == ["05", "06", "07"]
