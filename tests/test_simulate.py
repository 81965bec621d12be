"""The simulator of the tutoring design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import special

from course_utils.data import load_tutoring
from course_utils.simulate import simulate_tutoring


def test_shape_and_columns_match_the_lecture_data():
    frame = simulate_tutoring(6, 4, 0.0, 0.0, 1.0, rng=1)
    lecture = load_tutoring()
    assert list(frame.columns) == list(lecture.columns)
    assert (frame.dtypes == lecture.dtypes).all()
    assert len(frame) == 24 and frame["site_id"].value_counts().eq(4).all()
    assert set(frame["method"]) <= {0, 1} and set(frame["passed"]) <= {0, 1}
    assert len(frame.attrs["site_effects"]) == 6


def test_a_seed_reproduces_and_a_generator_advances():
    pd.testing.assert_frame_equal(
        simulate_tutoring(5, 3, 0.2, -1.0, 1.0, rng=7),
        simulate_tutoring(5, 3, 0.2, -1.0, 1.0, rng=7),
    )
    rng = np.random.default_rng(7)
    first, second = (simulate_tutoring(5, 3, 0.2, -1.0, 1.0, rng=rng) for _ in range(2))
    assert not first.equals(second)


def test_pass_rates_follow_the_model():
    """Without site variation the pass rate by method is the inverse logit, within 4 SE."""
    frame = simulate_tutoring(400, 50, 0.5, -1.0, 0.0, rng=3)
    rates = frame.groupby("method")["passed"].agg(["mean", "size"])
    for method, expected in ((0, special.expit(0.5)), (1, special.expit(-0.5))):
        mean, size = rates.loc[method]
        assert abs(mean - expected) < 4 * np.sqrt(expected * (1 - expected) / size)
    assert abs(frame["method"].mean() - 0.5) < 4 * np.sqrt(0.25 / len(frame))


def test_site_effects_have_the_requested_sd():
    effects = simulate_tutoring(4000, 1, 0.0, 0.0, 2.0, rng=5).attrs["site_effects"]
    assert abs(effects.std() - 2.0) < 4 * 2.0 / np.sqrt(2 * 4000)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        ({"n_sites": 0}, ValueError, "n_sites"),
        ({"n_sites": 2.5}, TypeError, "n_sites"),
        ({"students_per_site": -1}, ValueError, "students_per_site"),
        ({"sigma_site": -0.1}, ValueError, "sigma_site"),
        ({"beta_0": np.nan}, ValueError, "beta_0"),
        ({"beta_method": "big"}, TypeError, "beta_method"),
        ({"rng": "seed"}, TypeError, "rng"),
        ({"rng": -1}, ValueError, "rng"),
    ],
)
def test_bad_input_is_rejected(kwargs, error, name):
    arguments = {
        "n_sites": 6,
        "students_per_site": 4,
        "beta_0": 0.0,
        "beta_method": 0.0,
        "sigma_site": 1.0,
        **kwargs,
    }
    with pytest.raises(error, match=name):
        simulate_tutoring(**arguments)
