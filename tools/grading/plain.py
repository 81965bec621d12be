"""Decoding the plain data a sandboxed kernel sends, with type and size limits.

The sandbox's document is JSON (parsed by :func:`json.loads`, never pickle). Scalars are
JSON's own; everything else is a one-key object: ``{"list": [...]}``, ``{"tuple": [...]}``,
``{"dict": [[key, value], ...]}``, ``{"ndarray": {"dtype", "shape", "data"}}``,
``{"series": ...}``, ``{"frame": ...}``, or ``{"unsupported": "TypeName"}`` for a value that
is not plain data. Decoding builds only Python scalars, lists, tuples, dicts, numpy arrays
of a few dtypes and pandas objects from lists: no object of the student's, no code.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

MAX_DOCUMENT_CHARS = 32 * 2**20
MAX_ELEMENTS = 1_000_000
MAX_DEPTH = 16
DTYPES = {
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
}


class PlainError(ValueError):
    """The document is not plain data in the expected form."""


@dataclass(frozen=True)
class Unsupported:
    """A value the sandbox could not express as plain data; only its type's name is known."""

    type_name: str

    def __repr__(self) -> str:
        return f"<{self.type_name} object>"


def load_document(text: Any) -> dict:
    """Parse a sandbox's JSON document (a string of bounded size) into a dict."""
    if not isinstance(text, str):
        raise PlainError("the result is not text")
    if len(text) > MAX_DOCUMENT_CHARS:
        raise PlainError("the result is too large")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise PlainError(f"the result is not JSON: {type(err).__name__}") from err
    if not isinstance(document, dict):
        raise PlainError("the result is not a JSON object")
    return document


class _Decoder:
    def __init__(self) -> None:
        self.left = MAX_ELEMENTS

    def take(self, count: int) -> None:
        self.left -= count
        if self.left < 0:
            raise PlainError("the value is too large")

    def scalar(self, value: Any) -> Any:
        if value is None or isinstance(value, bool | str):
            return value
        if isinstance(value, int):
            if value.bit_length() > 256:
                raise PlainError("an integer is too large")
            return value
        if isinstance(value, float):
            return value
        raise PlainError(f"unexpected {type(value).__name__}")

    def array(self, payload: Any, depth: int) -> np.ndarray:
        if not isinstance(payload, dict) or set(payload) != {"dtype", "shape", "data"}:
            raise PlainError("malformed array")
        dtype, shape, data = payload["dtype"], payload["shape"], payload["data"]
        if not (isinstance(shape, list) and all(isinstance(n, int) and n >= 0 for n in shape)):
            raise PlainError("malformed array shape")
        if len(shape) > 32 or not isinstance(data, list):
            raise PlainError("malformed array")
        size = math.prod(shape)
        if size != len(data):
            raise PlainError("array data does not fit its shape")
        self.take(size)
        if dtype in DTYPES:
            kinds = bool if dtype == "bool" else (int if dtype[0] in "iu" else (int, float))
            if not all(isinstance(x, kinds) for x in data):
                raise PlainError(f"array of {dtype} holds other values")
            if dtype != "bool" and any(isinstance(x, bool) for x in data):
                raise PlainError(f"array of {dtype} holds booleans")
            try:
                return np.array(data, dtype=dtype).reshape(shape)
            except (OverflowError, ValueError) as err:
                raise PlainError(f"array of {dtype}: {err}") from err
        if dtype == "str":
            if not all(isinstance(x, str) for x in data):
                raise PlainError("array of str holds other values")
            return np.array(data, dtype=object).reshape(shape)
        if dtype == "object":
            items = [self.value(x, depth + 1) for x in data]
            array = np.empty(size, dtype=object)
            array[:] = items if size else []
            return array.reshape(shape)
        raise PlainError(f"arrays of {str(dtype)[:20]} are not accepted")

    def value(self, data: Any, depth: int = 0) -> Any:
        if depth > MAX_DEPTH:
            raise PlainError("the value is nested too deeply")
        self.take(1)
        if not isinstance(data, dict):
            return self.scalar(data)
        if len(data) != 1:
            raise PlainError("malformed value")
        ((tag, payload),) = data.items()
        if tag in ("list", "tuple"):
            if not isinstance(payload, list):
                raise PlainError(f"malformed {tag}")
            items = [self.value(x, depth + 1) for x in payload]
            return items if tag == "list" else tuple(items)
        if tag == "dict":
            if not isinstance(payload, list):
                raise PlainError("malformed dict")
            result = {}
            for pair in payload:
                if not (isinstance(pair, list) and len(pair) == 2):
                    raise PlainError("malformed dict")
                key = self.value(pair[0], depth + 1)
                try:
                    result[key] = self.value(pair[1], depth + 1)
                except TypeError as err:  # an unhashable key
                    raise PlainError("malformed dict key") from err
            return result
        if tag == "ndarray":
            return self.array(payload, depth)
        if tag == "series":
            import pandas as pd

            if not isinstance(payload, dict) or set(payload) != {"name", "index", "values"}:
                raise PlainError("malformed series")
            values = self.array(payload["values"], depth)
            index = self.array(payload["index"], depth)
            if values.ndim != 1 or index.shape != values.shape:
                raise PlainError("malformed series")
            name = self.value(payload["name"], depth + 1)
            return pd.Series(values, index=index, name=name if _hashable(name) else None)
        if tag == "frame":
            import pandas as pd

            if not isinstance(payload, dict) or set(payload) != {"columns", "index", "data"}:
                raise PlainError("malformed table")
            columns = [self.value(c, depth + 1) for c in payload["columns"]]
            index = self.array(payload["index"], depth)
            data = [self.array(column, depth) for column in payload["data"]]
            if len(data) != len(columns) or any(
                c.ndim != 1 or c.shape != index.shape for c in data
            ):
                raise PlainError("malformed table")
            if not all(_hashable(c) for c in columns):
                raise PlainError("malformed table columns")
            frame = pd.DataFrame(dict(enumerate(data)), index=index)
            frame.columns = columns
            return frame
        if tag == "unsupported":
            return Unsupported(str(payload)[:80])
        raise PlainError(f"unknown kind of value {str(tag)[:20]!r}")


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


def decode(data: Any) -> Any:
    """A Python value from one encoded value; PlainError when it is not plain data."""
    return _Decoder().value(data)
