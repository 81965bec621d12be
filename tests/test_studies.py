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


def test_missing_or_foreign_cache_is_reported(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    with pytest.raises(DataFileError, match="cached study is missing"):
        load_null_rejection_study()
    (tmp_path / STUDY_FILE).write_text("n_sites,test\n6,Wald\n")
    with pytest.raises(DataFileError, match="expected columns"):
        load_null_rejection_study()
