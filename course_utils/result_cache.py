"""A store of slow, deterministic results that is switched on only while grading.

Grading runs every student's notebook from top to bottom, so a class of 200 repeats the
lessons' slow computations (a parametric bootstrap, a profile likelihood, an exact
posterior grid) 200 times on the same data. The grader sets the environment variable
:data:`ENVIRONMENT_VARIABLE` to a folder in each grading sandbox; the functions decorated
here then keep their results there, keyed by a SHA-256 of their arguments, and a later
call with equal arguments (equal as pickled bytes) reads the result instead of computing
it again. The grader fills the folder from a run of the lesson as handed out, before any
student's notebook runs (``tools/grading``), and each sandbox gets its own copy of it.

A student's own run never sets the variable: then the decorators do nothing, and the
lessons compute everything every time, with no state kept between runs.

Only pure, deterministic functions are decorated: the same arguments give the same
result, and no argument is changed. A call with a random generator (whose state the
function would advance) is never stored; a call that raises is never stored; warnings a
computation issued are stored with its result and issued again when it is read.
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import os
import pickle
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

__all__ = ["ENVIRONMENT_VARIABLE", "REGISTERED", "cached", "cached_init", "folder", "key"]

#: The folder of the results; unset (the default) switches the store off.
ENVIRONMENT_VARIABLE = "COURSE_UTILS_RESULT_CACHE"
#: Names of the decorated functions and classes: a lesson that calls one of them is worth
#: a run that fills the store (``tools/grading``).
REGISTERED: set[str] = set()

Function = TypeVar("Function", bound=Callable[..., Any])
_SOURCE_DIGEST: list[str] = []


def folder() -> Path | None:
    """The store's folder, or None when the store is off."""
    value = os.environ.get(ENVIRONMENT_VARIABLE, "")
    return Path(value) if value else None


def _source_digest() -> str:
    """SHA-256 of course_utils's sources: a stored result is only read by the same code."""
    if not _SOURCE_DIGEST:
        digest = hashlib.sha256()
        package = Path(__file__).resolve().parent
        for path in sorted(package.glob("*.py")):
            digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
        _SOURCE_DIGEST.append(digest.hexdigest())
    return _SOURCE_DIGEST[0]


def _is_random_state(value: Any) -> bool:
    return isinstance(value, np.random.Generator | np.random.RandomState | np.random.BitGenerator)


def key(name: str, args: tuple, kwargs: dict) -> str | None:
    """The store's key of a call, or None when the call must not be stored (an argument
    that cannot be pickled, or a random generator the call would advance)."""
    values = [*args, *kwargs.values()]
    if any(_is_random_state(value) for value in values):
        return None
    try:
        payload = pickle.dumps((_source_digest(), name, args, sorted(kwargs.items())), protocol=5)
    except Exception:  # an argument pickle cannot write: compute, do not store
        return None
    return hashlib.sha256(payload).hexdigest()


def _read(path: Path) -> tuple[Any, list] | None:
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        stored = pickle.loads(data)
    except Exception:  # a damaged entry: compute again
        return None
    if not (isinstance(stored, tuple) and len(stored) == 2 and isinstance(stored[1], list)):
        return None
    return stored


def _write(path: Path, value: Any) -> None:
    """Write atomically; a folder that cannot be written leaves the store as it was."""
    temporary = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".partial")
        with os.fdopen(handle, "wb") as stream:
            pickle.dump(value, stream, protocol=5)
        os.replace(temporary, path)
    except Exception:  # read-only, full or unpicklable: the store stays as it was
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)


def _reissue(records: list) -> None:
    for category, message, filename, lineno in records:
        warnings.warn_explicit(message, category, filename, lineno)


def _compute(function: Callable[..., Any], args: tuple, kwargs: dict) -> tuple[Any, list]:
    """Call ``function``; its result and the warnings it issued (not shown yet)."""
    with warnings.catch_warnings(record=True) as caught:
        result = function(*args, **kwargs)
    records = [(w.category, str(w.message), w.filename, w.lineno) for w in caught]
    return result, records


def _through_store(
    path: Path, compute: Callable[[], Any], valid: Callable[[Any], bool] = lambda _: True
) -> Any:
    """The stored result at ``path``, or ``compute()``'s (then stored); warnings either way.

    A stored entry is ``(result, warnings)``; one whose result is not ``valid`` counts as
    absent. ``compute`` is only called when no entry is read."""
    stored = _read(path)
    if stored is None or not valid(stored[0]):
        stored = _compute(compute, (), {})
        _write(path, stored)
    _reissue(stored[1])
    return stored[0]


def cached(*, seeded_by: str | None = None) -> Callable[[Function], Function]:
    """Decorate a pure function: while grading, equal arguments read its stored result.

    ``seeded_by`` names the argument that seeds a random function: a call is stored only
    when it is an integer seed (None means fresh randomness each call; a generator's
    state would be advanced)."""

    def decorate(function: Function) -> Function:
        name = f"{function.__module__}.{function.__qualname__}"
        signature = inspect.signature(function)
        REGISTERED.add(function.__name__)

        def storable(args: tuple, kwargs: dict) -> bool:
            if seeded_by is None:
                return True
            try:
                bound = signature.bind(*args, **kwargs)
            except TypeError:
                return False  # let the call raise its own error
            bound.apply_defaults()
            seed = bound.arguments.get(seeded_by)
            return isinstance(seed, int | np.integer) and not isinstance(seed, bool)

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            where = folder()
            if where is None or not storable(args, kwargs):
                return function(*args, **kwargs)
            digest = key(name, args, kwargs)
            if digest is None:
                return function(*args, **kwargs)
            path = where / f"{function.__name__}-{digest}.pickle"
            return _through_store(path, lambda: function(*args, **kwargs))

        return wrapper  # type: ignore[return-value]

    return decorate


def cached_init(cls: type) -> type:
    """Decorate a class whose ``__init__`` only computes its attributes from its
    arguments: while grading, equal arguments read the stored attributes."""
    name = f"{cls.__module__}.{cls.__qualname__}"
    REGISTERED.add(cls.__name__)
    original = vars(cls)["__init__"]

    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        where = folder()
        digest = key(name, args, kwargs) if where is not None else None
        if where is None or digest is None:
            original(self, *args, **kwargs)
            return
        path = where / f"{cls.__name__}-{digest}.pickle"

        def build() -> dict:
            original(self, *args, **kwargs)
            return dict(self.__dict__)

        self.__dict__.update(_through_store(path, build, lambda value: isinstance(value, dict)))

    cls.__init__ = __init__  # type: ignore[misc]
    return cls
