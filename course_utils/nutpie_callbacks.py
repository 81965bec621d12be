"""A faster first fit with nutpie: its C callbacks written with loops (issue 22).

nutpie (0.16.11, pinned) wraps a model's compiled log density and its expansion in two
``numba.cfunc`` callbacks. Numba cannot cache those (they refer to the model's compiled
functions at run time), so every fit compiles them again, and the first fit of a kernel also
compiles Numba's generic machinery for the whole-array statements in them
(``out[...] = grad``, ``np.all(np.isfinite(out))``): about 3-4 s of the 8-9 s first fit in
a kernel whose model caches are warm. The callbacks below do the same with element loops,
which compile in a fraction of that; the sampler receives the same numbers (the same draws
for the same seed, tested), and the return codes are nutpie's (0 ok, 1 an exception,
3 a non-finite gradient, 4 a non-finite log density, -1/-2 a size mismatch or error).

:func:`install` swaps them into nutpie for nutpie 0.16.11 only and does nothing otherwise;
``course_utils.models`` calls it when imported (the lessons import it before their first
fit). Remove this module when nutpie's own callbacks compile as quickly.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

__all__ = ["NUTPIE_VERSION", "install", "installed"]

#: The nutpie release whose private callback builders these replace.
NUTPIE_VERSION = "0.16.11"


def _make_c_logp_func(
    n_dim: int, logp_fn: Any, user_data: Any, shared_keys: Any, shared_data: Any
) -> tuple[Callable[..., int], Any]:
    """nutpie's ``_make_c_logp_func`` with the copies and checks written as loops."""
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(logp_fn, shared_data, shared_keys, user_data.dtype)
    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )

    def logp_numba(dim, x_, out_, logp_, user_data_):  # type: ignore[no-untyped-def]
        if dim != n_dim:
            return -1
        try:
            x = numba.carray(x_, (n_dim,))  # type: ignore[attr-defined]
            logp_val, grad = extract(x, user_data_)
            logp_[0] = logp_val
            finite = True
            for i in range(n_dim):
                out_[i] = grad[i]
                finite = finite and np.isfinite(grad[i])
            if not finite:
                return 3
            if not np.isfinite(logp_val):
                return 4
        except Exception:
            return 1
        return 0

    return logp_numba, c_sig


def _make_c_expand_func(
    n_dim: int,
    n_expanded: int,
    expand_fn: Any,
    user_data: Any,
    shared_var_keys: Any,
    shared_data: Any,
) -> tuple[Callable[..., int], Any]:
    """nutpie's ``_make_c_expand_func`` with the copy written as a loop."""
    import numba
    from nutpie.compile_pymc import make_extraction_fn

    extract = make_extraction_fn(expand_fn, shared_data, shared_var_keys, user_data.dtype)
    c_sig = numba.types.int64(
        numba.types.uint64,
        numba.types.uint64,
        numba.types.CPointer(numba.types.double),
        numba.types.CPointer(numba.types.double),
        numba.types.voidptr,
    )

    def expand_numba(dim, expanded, x_, out_, user_data_):  # type: ignore[no-untyped-def]
        if dim != n_dim:
            return -1
        if expanded != n_expanded:
            return -1
        try:
            x = numba.carray(x_, (n_dim,))  # type: ignore[attr-defined]
            (values,) = extract(x, user_data_)
            for i in range(n_expanded):
                out_[i] = values[i]
        except Exception:
            return -2
        return 0

    return expand_numba, c_sig


def installed() -> bool:
    """True if nutpie builds its callbacks with the loops of this module."""
    try:
        from nutpie import compile_pymc
    except ImportError:
        return False
    return compile_pymc._make_c_logp_func is _make_c_logp_func


def install() -> bool:
    """Swap the callback builders into nutpie if it is version :data:`NUTPIE_VERSION`;
    return whether they are in place. Any other version is left as it is."""
    try:
        import nutpie
        from nutpie import compile_pymc
    except ImportError:
        return False
    if getattr(nutpie, "__version__", None) != NUTPIE_VERSION or not all(
        callable(getattr(compile_pymc, name, None))
        for name in ("_make_c_logp_func", "_make_c_expand_func", "make_extraction_fn")
    ):
        return False
    compile_pymc._make_c_logp_func = _make_c_logp_func
    compile_pymc._make_c_expand_func = _make_c_expand_func
    return True
