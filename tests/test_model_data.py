"""The data each model is built from: arrays that match the frames, and clear refusals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils.data import load_season_pass
from course_utils.model_data import (
    ESTIMATE_LIMIT,
    group_estimates,
    season_pass_arrays,
    tutoring_arrays,
)


def test_tutoring_arrays_index_the_sorted_sites(tutoring):
    arrays = tutoring_arrays(tutoring.sample(frac=1.0, random_state=1))
    assert arrays.sites == [1, 2, 3, 4, 5, 6]
    shuffled = tutoring.sample(frac=1.0, random_state=1)
    np.testing.assert_array_equal(np.array(arrays.sites)[arrays.site_index], shuffled["site_id"])
    np.testing.assert_array_equal(arrays.passed, shuffled["passed"])
    assert arrays.method.dtype == np.int64


def test_tutoring_arrays_accept_booleans_and_refuse_other_values(tutoring):
    as_bool = tutoring.assign(passed=tutoring["passed"].astype(bool))
    np.testing.assert_array_equal(tutoring_arrays(as_bool).passed, tutoring["passed"])
    with pytest.raises(ValueError, match="'method' must be binary"):
        tutoring_arrays(tutoring.assign(method="new"))


def test_season_pass_arrays_follow_the_table():
    grouped = load_season_pass(grouped=True)
    arrays = season_pass_arrays(grouped)
    assert arrays.n.sum() == 3156 and arrays.bought.sum() == 1589
    assert arrays.bundle.tolist() == [0, 0, 0, 1, 1, 1]
    assert arrays.channel_index.tolist() == [0, 1, 2, 0, 1, 2]
    with pytest.raises(ValueError, match="n must be positive whole numbers"):
        season_pass_arrays(grouped.assign(n=grouped["n"] + 0.5))


def test_group_estimates_checks_shape_size_and_scale():
    y, sigma = group_estimates([1, 2, 3], (1, 1, 2))
    assert y.dtype == sigma.dtype == np.float64
    with pytest.raises(ValueError, match="at least 4 groups"):
        group_estimates([1, 2, 3], [1, 1, 1], min_groups=4)
    with pytest.raises(ValueError, match="rescale"):
        group_estimates([1, 2 * ESTIMATE_LIMIT], [1, 1])
    with pytest.raises(ValueError, match="rescale"):
        group_estimates([1, 2], [1, 0.1 / ESTIMATE_LIMIT])
    with pytest.raises(TypeError, match="y must hold"):
        group_estimates(pd.Series(["a", "b"]), [1, 1])
