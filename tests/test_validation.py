"""The argument checks: TypeError for a wrong type, ValueError for a bad value, both
naming the argument and what was given; values come back converted."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from course_utils import validation


@pytest.mark.parametrize(
    ("value", "expected"),
    [(3, 3.0), (2.5, 2.5), (np.float32(0.5), 0.5), (np.int64(4), 4.0), (np.array(1.5), 1.5)],
)
def test_real_accepts_python_and_numpy_numbers(value, expected):
    result = validation.real("x", value)
    assert result == expected and type(result) is float


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2", "str '2'"),
        (None, "None"),
        (True, "bool True"),
        (np.bool_(False), "bool False"),
        ([1.0], "list of length 1"),
        (np.array([1.0, 2.0]), r"ndarray of shape \(2,\)"),
        (1 + 2j, "complex"),
    ],
)
def test_real_refuses_other_types_with_a_type_error(value, shown):
    with pytest.raises(TypeError, match=f"^x must be a number, got {shown}"):
        validation.real("x", value)


@pytest.mark.parametrize(
    ("kwargs", "value", "message"),
    [
        ({}, math.nan, "x must be a finite number, got float nan"),
        ({}, math.inf, "x must be a finite number, got float inf"),
        ({"low": 0.0}, -1, "x must be a non-negative, finite number, got int -1"),
        ({"low": 0.0, "low_open": True}, 0.0, "x must be a positive, finite number"),
        ({"low": 0.0, "high": 1.0}, 2.0, r"x must be a finite number in \[0, 1\]"),
        ({"high": 1.0, "what": "at most one"}, 2.0, "x must be at most one, got float 2.0"),
    ],
)
def test_real_refuses_bad_values_with_a_value_error(kwargs, value, message):
    with pytest.raises(ValueError, match=message):
        validation.real("x", value, **kwargs)


def test_count_positive_and_probability():
    assert validation.count("n", np.int32(3), minimum=1) == 3
    with pytest.raises(TypeError, match=r"n must be an integer, got float 3\.0"):
        validation.count("n", 3.0)
    with pytest.raises(TypeError, match="n must be an integer, got bool True"):
        validation.count("n", True)
    with pytest.raises(ValueError, match="n must be at least 1, got 0"):
        validation.count("n", 0, minimum=1)
    with pytest.raises(ValueError, match="n must be from 1 to 25, got 26"):
        validation.count("n", 26, minimum=1, maximum=25)
    assert validation.positive("sd", 2) == 2.0
    with pytest.raises(ValueError, match="sd must be a positive"):
        validation.positive("sd", 0)
    with pytest.raises(ValueError, match=r"level must be a finite number in \(0, 1\)"):
        validation.probability("level", 1.0)


def test_boolean_text_choice_instance_function():
    assert validation.boolean("flag", np.True_) is True
    with pytest.raises(TypeError, match="flag must be True or False, got str 'no'"):
        validation.boolean("flag", "no")
    with pytest.raises(TypeError, match="name must be a string, got int 3"):
        validation.text("name", 3)
    assert validation.choice("method", "quad", ("quad", "grid")) == "quad"
    with pytest.raises(ValueError, match=r"method must be one of \('quad', 'grid'\), got 'x'"):
        validation.choice("method", "x", ("quad", "grid"))
    with pytest.raises(TypeError, match="fit must be a GlmerFit, got str 'm0'"):
        validation.instance("fit", "m0", int, "a GlmerFit")
    with pytest.raises(TypeError, match="f must be a function"):
        validation.function("f", 3)


def test_generators_and_seeds():
    rng = np.random.default_rng(1)
    assert validation.generator("rng", rng) is rng
    with pytest.raises(TypeError, match=r"rng must be a numpy\.random\.Generator"):
        validation.generator("rng", 1)
    assert validation.seed_or_generator("rng", rng) is rng
    first = validation.seed_or_generator("rng", 7).random()
    assert first == np.random.default_rng(7).random()
    assert isinstance(validation.seed_or_generator("rng", None), np.random.Generator)
    with pytest.raises(TypeError, match="an integer seed or None, got str '7'"):
        validation.seed_or_generator("rng", "7")
    with pytest.raises(TypeError, match=r"got float 7\.0"):
        validation.seed_or_generator("rng", 7.0)
    with pytest.raises(ValueError, match="non-negative"):
        validation.seed_or_generator("rng", -1)


def test_real_array_converts_and_checks():
    out = validation.real_array("y", [1, 2.5, np.int8(3)])
    assert out.dtype == np.float64 and out.tolist() == [1.0, 2.5, 3.0]
    assert validation.real_array("y", pd.Series([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert validation.real_array("y", 2.0, ndim=(0, 1)).shape == ()
    for bad, message in [
        (["1", "2"], "y must hold real numbers"),
        ([1.0, None], "y must hold only numbers"),
        ([True, False], "y must hold real numbers"),
        ("12", "y must be a number or an array"),
        (None, "y must be a number or an array"),
        ([[1.0], [1.0, 2.0]], "y must be an array of numbers"),
    ]:
        with pytest.raises(TypeError, match=message):
            validation.real_array("y", bad)
    for kwargs, bad, message in [
        ({"ndim": 1}, [[1.0]], "y must be 1-d, got shape"),
        ({}, [], "at least 1 value"),
        ({}, [1.0, math.nan], "y contains NaN"),
        ({}, [1.0, math.inf], "y must be finite"),
        ({"low": 0.0, "low_open": True, "what": "positive"}, [1.0, -2.0], "positive everywhere"),
    ]:
        with pytest.raises(ValueError, match=message):
            validation.real_array("y", bad, **kwargs)


def test_data_frame_and_labels():
    frame = pd.DataFrame({"a": [1, 2], "b": [3.0, np.nan]})
    assert validation.data_frame("data", frame, ["a"]) is frame
    with pytest.raises(TypeError, match="data must be a pandas DataFrame, got dict"):
        validation.data_frame("data", {"a": [1]})
    with pytest.raises(ValueError, match=r"data is missing the column\(s\) \['c'\]"):
        validation.data_frame("data", frame, ["a", "c"])
    with pytest.raises(ValueError, match="column 'b' has missing values"):
        validation.data_frame("data", frame, ["b"])
    with pytest.raises(ValueError, match="no rows"):
        validation.data_frame("data", frame.iloc[:0])
    assert validation.labels("names", ("A", "B"), 2) == ["A", "B"]
    with pytest.raises(ValueError, match="'A' appears twice"):
        validation.labels("names", ["A", "A"], 2)
    with pytest.raises(ValueError, match="must have 3 labels, got 2"):
        validation.labels("names", ["A", "B"], 3)
    with pytest.raises(TypeError, match="must be a list of labels, got str"):
        validation.labels("names", "AB", 2)
