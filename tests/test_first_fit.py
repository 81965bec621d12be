"""What a kernel's first fit goes through: nutpie's C callbacks written with loops
(course_utils.nutpie_callbacks) give nutpie exactly what its own give (log density, gradient,
return codes, and so the same draws); and no BLAS warning from PyTensor's C backend."""

import ctypes
import importlib.util

import numpy as np
import pytest

nutpie = pytest.importorskip("nutpie")
from nutpie import compile_pymc  # noqa: E402

from course_utils import models, nutpie_callbacks  # noqa: E402
from course_utils.data import load_tutoring  # noqa: E402


def _nutpie_own_builders():
    """nutpie's original callback builders, from a fresh copy of its module."""
    spec = importlib.util.spec_from_file_location("_nutpie_original", compile_pymc.__file__)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._make_c_logp_func, module._make_c_expand_func


def test_importing_the_models_installs_the_loops_for_the_pinned_nutpie():
    assert nutpie.__version__ == nutpie_callbacks.NUTPIE_VERSION
    assert nutpie_callbacks.installed()
    assert compile_pymc._make_c_logp_func is nutpie_callbacks._make_c_logp_func


def _call_logp(compiled, x):
    """Call the compiled C callback as nutpie does: (code, log density, gradient)."""
    function = compiled.compiled_logp_func
    c_function = ctypes.CFUNCTYPE(
        ctypes.c_int64,
        ctypes.c_uint64,
        ctypes.POINTER(ctypes.c_double),
        ctypes.POINTER(ctypes.c_double),
        ctypes.POINTER(ctypes.c_double),
        ctypes.c_void_p,
    )(function.address)
    x = np.ascontiguousarray(x, dtype=float)
    grad, logp = np.zeros_like(x), np.zeros(1)
    pointer = ctypes.POINTER(ctypes.c_double)
    code = c_function(
        x.size,
        x.ctypes.data_as(pointer),
        grad.ctypes.data_as(pointer),
        logp.ctypes.data_as(pointer),
        compiled.user_data.ctypes.data,
    )
    return code, logp[0], grad


def test_the_loop_callbacks_compute_what_nutpies_own_do():
    model = models.tutoring_mixed_logit(load_tutoring())
    ours = nutpie.compile_pymc_model(model)
    logp_own, expand_own = _nutpie_own_builders()
    original = pytest.MonkeyPatch()
    original.setattr(compile_pymc, "_make_c_logp_func", logp_own)
    original.setattr(compile_pymc, "_make_c_expand_func", expand_own)
    try:
        theirs = nutpie.compile_pymc_model(model)
    finally:
        original.undo()
    rng = np.random.default_rng(22)
    for x in rng.normal(size=(5, ours.n_dim)):
        code, logp, grad = _call_logp(ours, x)
        assert code == 0
        assert (code, logp) == _call_logp(theirs, x)[:2]
        np.testing.assert_array_equal(grad, _call_logp(theirs, x)[2])
    # a non-finite point: both report it with the same code
    bad = np.full(ours.n_dim, np.inf)
    assert _call_logp(ours, bad)[0] == _call_logp(theirs, bad)[0] != 0
    # and the sampler draws the same numbers from both
    draws = [
        nutpie.sample(c, chains=2, tune=150, draws=100, seed=7, progress_bar=False)
        for c in (ours, theirs)
    ]
    for name in ("intercept", "method", "sigma_site", "u"):
        np.testing.assert_array_equal(draws[0].posterior[name], draws[1].posterior[name])


def test_install_leaves_another_nutpie_alone(monkeypatch):
    monkeypatch.setattr(nutpie, "__version__", "0.0.1")
    before = compile_pymc._make_c_logp_func
    monkeypatch.setattr(compile_pymc, "_make_c_logp_func", before)
    assert nutpie_callbacks.install() is False
    assert compile_pymc._make_c_logp_func is before


def test_fitting_the_multilevel_model_warns_of_no_missing_blas(tmp_path):
    """The lessons' only C code (PyMC's initial point) no longer makes PyTensor search for a
    BLAS library and warn; a fresh process, so that no earlier search hides the warning."""
    import subprocess
    import sys

    code = (
        "import warnings; warnings.simplefilter('error')\n"
        "import pymc as pm\n"
        "from course_utils import models, data\n"
        "m = models.season_pass_multilevel(data.load_season_pass(grouped=True))\n"
        "pm.sample(model=m, chains=1, tune=20, draws=20, progressbar=False, quiet=True)\n"
        "import pytensor; print(repr(pytensor.config.blas__ldflags))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=600
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip().endswith("''")
    assert "BLAS" not in done.stderr
