"""Argument checks shared by every public function of ``course_utils``.

The convention is statsmodels': a :class:`TypeError` when an argument has the wrong type
(a string where a number belongs, a float where a count belongs, ``None``, an array where
one number belongs), a :class:`ValueError` when it has the right type but a bad value (a
negative SD, a NaN, a probability of 2). Both messages name the argument and show what
was given, e.g. ``"heads must be a number, got str 'two'."``.

Each function returns the value converted to what the caller computes with (a float, an
int, a float array), so that a caller writes ``sd = positive("sd", sd)`` and goes on.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

__all__ = [
    "boolean",
    "choice",
    "count",
    "data_frame",
    "describe",
    "function",
    "generator",
    "instance",
    "is_real_number",
    "labels",
    "positive",
    "probability",
    "real",
    "real_array",
    "seed_or_generator",
    "text",
]

#: dtype kinds that hold real numbers: signed and unsigned integers, floats.
_REAL_KINDS = "iuf"


def describe(value: Any) -> str:
    """What was given, for an error message: its type and a short form of its value."""
    if value is None:
        return "None"
    if isinstance(value, np.ndarray):
        if value.ndim == 0:
            return f"0-d ndarray of dtype {value.dtype} ({value.item()!r})"
        return f"ndarray of shape {value.shape} and dtype {value.dtype}"
    if isinstance(value, pd.DataFrame | pd.Series):
        return f"{type(value).__name__} of shape {value.shape}"
    if isinstance(value, list | tuple | set | dict):
        return f"{type(value).__name__} of length {len(value)}"
    if isinstance(value, np.generic):  # a NumPy scalar: its Python value reads better
        return f"{type(value).__name__} {value.item()!r}"
    text_form = repr(value)
    if len(text_form) > 60:
        text_form = text_form[:57] + "..."
    return f"{type(value).__name__} {text_form}"


def is_real_number(value: Any) -> bool:
    """Whether ``value`` is a real number: Python or NumPy, not a bool, or a 0-d array of
    a real dtype."""
    if isinstance(value, bool | np.bool_):
        return False
    if isinstance(value, numbers.Real):
        return True
    return isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in _REAL_KINDS


def real(
    name: str,
    value: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    finite: bool = True,
    what: str = "",
) -> float:
    """A real number, optionally within ``[low, high]`` (``low_open``/``high_open``
    exclude an end). ``what`` describes the allowed values in the ValueError message."""
    if not is_real_number(value):
        raise TypeError(f"{name} must be a number, got {describe(value)}.")
    number = float(value)
    requirement = what or _range_text(low, high, low_open, high_open, finite)
    bad = math.isnan(number) or (finite and math.isinf(number))
    if low is not None:
        bad = bad or number < low or (low_open and number == low)
    if high is not None:
        bad = bad or number > high or (high_open and number == high)
    if bad:
        raise ValueError(f"{name} must be {requirement}, got {describe(value)}.")
    return number


def _range_text(
    low: float | None, high: float | None, low_open: bool, high_open: bool, finite: bool
) -> str:
    kind = "a finite number" if finite else "a number"
    if low is not None and high is not None:
        left = "(" if low_open else "["
        right = ")" if high_open else "]"
        return f"{kind} in {left}{low:g}, {high:g}{right}"
    if low == 0 and low_open:
        return "a positive, finite number" if finite else "a positive number"
    if low == 0:
        return "a non-negative, finite number" if finite else "a non-negative number"
    if low is not None:
        return f"{kind} {'above' if low_open else 'at least'} {low:g}"
    if high is not None:
        return f"{kind} {'below' if high_open else 'at most'} {high:g}"
    return kind


def positive(name: str, value: Any) -> float:
    """A positive, finite real number."""
    return real(name, value, low=0.0, low_open=True)


def probability(name: str, value: Any) -> float:
    """A number strictly between 0 and 1 (a level, a tail probability)."""
    return real(name, value, low=0.0, high=1.0, low_open=True, high_open=True)


def count(name: str, value: Any, *, minimum: int = 0, maximum: int | None = None) -> int:
    """An integer (Python or NumPy, not a bool) from ``minimum`` to ``maximum``."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {describe(value)}.")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        if maximum is None:
            requirement = f"at least {minimum}"
        else:
            requirement = f"from {minimum} to {maximum}"
        raise ValueError(f"{name} must be {requirement}, got {number}.")
    return number


def boolean(name: str, value: Any) -> bool:
    """True or False (Python or NumPy); a string such as ``"no"`` is a TypeError."""
    if not isinstance(value, bool | np.bool_):
        raise TypeError(f"{name} must be True or False, got {describe(value)}.")
    return bool(value)


def text(name: str, value: Any) -> str:
    """A string."""
    if not isinstance(value, str):
        raise TypeError(f"{name} must be a string, got {describe(value)}.")
    return value


def choice(name: str, value: Any, options: Sequence[str]) -> str:
    """One of the strings ``options``."""
    text(name, value)
    if value not in options:
        raise ValueError(f"{name} must be one of {tuple(options)}, got {value!r}.")
    return str(value)


def instance[T](name: str, value: Any, kind: type[T], what: str = "") -> T:
    """An instance of ``kind`` (``what`` names it in the message, e.g. "a GlmerFit")."""
    if not isinstance(value, kind):
        expected = what or f"a {kind.__name__}"
        raise TypeError(f"{name} must be {expected}, got {describe(value)}.")
    return value


def function(name: str, value: Any) -> Callable[..., Any]:
    """A function (anything callable)."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {describe(value)}.")
    return value


def generator(name: str, value: Any) -> np.random.Generator:
    """A ``numpy.random.Generator`` (not a seed: the caller's stream is advanced)."""
    if not isinstance(value, np.random.Generator):
        raise TypeError(
            f"{name} must be a numpy.random.Generator (np.random.default_rng(seed)), "
            f"got {describe(value)}."
        )
    return value


def seed_or_generator(name: str, value: Any) -> np.random.Generator:
    """A Generator as given, or a new one from a non-negative integer seed or ``None``
    (fresh entropy)."""
    if value is None or isinstance(value, np.random.Generator | np.random.SeedSequence):
        return np.random.default_rng(value)
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Integral):
        raise TypeError(
            f"{name} must be a numpy.random.Generator, an integer seed or None, "
            f"got {describe(value)}."
        )
    if value < 0:
        raise ValueError(f"{name}: a seed must be a non-negative integer, got {value}.")
    return np.random.default_rng(int(value))


def real_array(
    name: str,
    value: Any,
    *,
    ndim: int | tuple[int, ...] | None = None,
    min_size: int = 1,
    finite: bool = True,
    low: float | None = None,
    low_open: bool = False,
    high: float | None = None,
    high_open: bool = False,
    what: str = "",
) -> npt.NDArray[np.float64]:
    """A number or array-like of real numbers, as a float array.

    Strings, booleans, ``None`` and other non-numbers are a TypeError (a list with a
    string in it too); a wrong number of dimensions, fewer than ``min_size`` values, NaN
    (and infinities when ``finite``) or values outside ``[low, high]`` are a ValueError.
    """
    if value is None or isinstance(value, str | bytes | dict | set):
        raise TypeError(f"{name} must be a number or an array of numbers, got {describe(value)}.")
    try:
        array = np.asarray(value)
    except (TypeError, ValueError) as err:  # ragged nested lists
        raise TypeError(f"{name} must be an array of numbers, got {describe(value)}.") from err
    if array.dtype.kind == "O":
        if not all(is_real_number(item) for item in array.ravel()):
            raise TypeError(f"{name} must hold only numbers, got {describe(value)}.")
        array = array.astype(float)
    elif array.dtype.kind not in _REAL_KINDS:
        raise TypeError(
            f"{name} must hold real numbers, got {describe(value)} (dtype {array.dtype})."
        )
    array = array.astype(np.float64)
    dimensions = (ndim,) if isinstance(ndim, int) else ndim
    if dimensions is not None and array.ndim not in dimensions:
        allowed = " or ".join(f"{d}-d" for d in dimensions)
        raise ValueError(f"{name} must be {allowed}, got shape {array.shape}.")
    if array.size < min_size:
        raise ValueError(f"{name} must have at least {min_size} value(s), got {array.size}.")
    if np.isnan(array).any():
        raise ValueError(f"{name} contains NaN.")
    if finite and not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite, got an infinite value.")
    out_of_range = np.zeros(array.shape, dtype=bool)
    if low is not None:
        out_of_range |= (array < low) | ((array == low) if low_open else False)
    if high is not None:
        out_of_range |= (array > high) | ((array == high) if high_open else False)
    if out_of_range.any():
        requirement = what or _range_text(low, high, low_open, high_open, finite)
        first = array[out_of_range].ravel()[0]
        raise ValueError(f"{name} must be {requirement} everywhere, got {first:g}.")
    return array


def data_frame(
    name: str, value: Any, columns: Iterable[str] = (), *, min_rows: int = 1
) -> pd.DataFrame:
    """A pandas DataFrame with ``columns``, at least ``min_rows`` rows, and no missing
    values in those columns."""
    if not isinstance(value, pd.DataFrame):
        raise TypeError(f"{name} must be a pandas DataFrame, got {describe(value)}.")
    needed = tuple(columns)
    missing = [column for column in needed if column not in value.columns]
    if missing:
        raise ValueError(f"{name} is missing the column(s) {missing}; it needs {needed}.")
    if len(value) < min_rows:
        raise ValueError(
            f"{name} has {len(value)} row(s); at least {min_rows} needed"
            + (" (data has no rows)." if len(value) == 0 else ".")
        )
    for column in needed:
        if value[column].isna().any():
            raise ValueError(f"{name}: column {column!r} has missing values.")
    return value


def labels(name: str, value: Any, size: int) -> list[Any]:
    """``size`` distinct labels (strings or numbers) from a list, tuple, array or Series."""
    sequence = isinstance(value, Sequence | np.ndarray | pd.Index | pd.Series)
    if isinstance(value, str) or not sequence:
        raise TypeError(f"{name} must be a list of labels, got {describe(value)}.")
    items = list(value)
    if len(items) != size:
        raise ValueError(f"{name} must have {size} labels, got {len(items)}.")
    seen: set[Any] = set()
    for item in items:
        if not isinstance(item, str | numbers.Number) or isinstance(item, bool):
            raise TypeError(f"{name}: labels must be strings or numbers, got {describe(item)}.")
        if item in seen:
            raise ValueError(f"{name}: labels must be distinct, {item!r} appears twice.")
        seen.add(item)
    return items
