"""The cached rejection-rate study of lesson 2 is what the documented function computes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils.data import DataFileError
from course_utils.studies import (
    STUDY_FILE,
    StudySettings,
    load_null_rejection_study,
    null_rejection_study,
)


@pytest.mark.slow
def test_cached_study_is_recomputed_exactly():
    """Recompute the whole study (about two minutes) and compare every count."""
    cached = load_null_rejection_study()
    fresh = null_rejection_study()
    pd.testing.assert_frame_equal(
        fresh[["n_sites", "test", "rejections", "undefined", "n_sims"]],
        cached[["n_sites", "test", "rejections", "undefined", "n_sims"]],
        check_dtype=False,
    )


def test_rates_and_monte_carlo_errors():
    table = load_null_rejection_study()
    np.testing.assert_allclose(table["rate"], table["rejections"] / table["n_sims"], rtol=1e-5)
    expected = np.sqrt(table["rate"] * (1 - table["rate"]) / table["n_sims"])
    np.testing.assert_allclose(table["mcse"], expected, rtol=1e-5)
    assert sorted(table["n_sites"].unique()) == list(StudySettings().n_sites)


def test_both_tests_are_near_their_level_with_many_sites():
    """With 48 sites both tests are within 4 MCSE (plus 1 point) of the nominal 5%."""
    table = load_null_rejection_study().set_index(["n_sites", "test"])
    for test in ("Wald", "LRT"):
        row = table.loc[(48, test)]
        assert abs(row["rate"] - 0.05) < 4 * row["mcse"] + 0.01


def test_small_study_runs_and_is_reproducible():
    settings = StudySettings(n_sites=(6,), n_sims=15, seed=1)
    first, second = null_rejection_study(settings), null_rejection_study(settings)
    pd.testing.assert_frame_equal(first, second)
    assert list(first["test"]) == ["Wald", "LRT"] and (first["n_sims"] == 15).all()


@pytest.mark.parametrize(
    ("settings", "error", "message"),
    [
        # the review's hang: one student per design never uses both methods
        ({"n_sites": (1,), "students_per_site": 1}, ValueError, "fewer than 2 students"),
        ({"n_sites": 6}, TypeError, "n_sites must be a tuple"),
        ({"n_sites": ()}, ValueError, "at least one"),
        ({"n_sites": (6, 0)}, ValueError, "n_sites must be at least 1"),
        ({"n_sims": 0}, ValueError, "n_sims"),
        ({"alpha": 1.5}, ValueError, "alpha"),
        ({"seed": "x"}, TypeError, "seed"),
        ({"sigma_site": -1.0}, ValueError, "sigma_site"),
    ],
)
def test_bad_settings_are_refused_before_anything_runs(settings, error, message):
    with pytest.raises(error, match=message):
        StudySettings(**settings)


def test_a_two_student_design_runs_and_ends():
    """Half of its designs use one method only: redrawn, a bounded number of times."""
    table = null_rejection_study(StudySettings(n_sites=(1,), students_per_site=2, n_sims=3))
    assert (table["n_sims"] == 3).all()


def test_settings_must_be_study_settings():
    with pytest.raises(TypeError, match="StudySettings"):
        null_rejection_study({"n_sims": 3})


def test_missing_or_foreign_cache_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match="cached study is missing"):
        load_null_rejection_study()
    (tmp_path / STUDY_FILE).write_text("n_sites,test\n6,Wald\n")
    with pytest.raises(DataFileError, match="expected columns"):
        load_null_rejection_study()
