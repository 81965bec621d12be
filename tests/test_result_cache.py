"""course_utils.result_cache: stored results while grading, nothing otherwise.

The reference for every stored result is the same call with the store switched off."""

from __future__ import annotations

import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest

from course_utils import result_cache
from course_utils.data import load_tutoring
from course_utils.glmm import bootstrap_lrt, profile_deviance
from course_utils.tutoring_posterior import TutoringPosterior

ROOT = Path(__file__).resolve().parent.parent
NULL, FULL = "passed ~ 1 + (1 | site_id)", "passed ~ method + (1 | site_id)"
CALLS: list[tuple] = []


@result_cache.cached()
def slow_square(values: list[float], shift: float = 0.0) -> np.ndarray:
    """A stand-in for a slow pure function; records each real call."""
    CALLS.append((tuple(values), shift))
    if shift < 0:
        raise ValueError("shift must not be negative")
    if shift > 10:
        warnings.warn("a large shift", RuntimeWarning, stacklevel=2)
    return np.square(values) + shift


@result_cache.cached(seeded_by="rng")
def noisy(size: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
    CALLS.append(("noisy", size))
    return np.random.default_rng(rng).normal(size=size)


@pytest.fixture
def store(tmp_path, monkeypatch):
    folder = tmp_path / "results"
    monkeypatch.setenv(result_cache.ENVIRONMENT_VARIABLE, str(folder))
    CALLS.clear()
    return folder


def test_off_by_default_every_call_computes_and_nothing_is_written(tmp_path, monkeypatch):
    monkeypatch.delenv(result_cache.ENVIRONMENT_VARIABLE, raising=False)
    monkeypatch.chdir(tmp_path)
    CALLS.clear()
    slow_square([1.0, 2.0])
    slow_square([1.0, 2.0])
    assert len(CALLS) == 2
    assert list(tmp_path.iterdir()) == []


def test_equal_arguments_read_the_stored_result(store):
    first = slow_square([1.0, 2.0], shift=1.0)
    second = slow_square([1.0, 2.0], shift=1.0)
    assert len(CALLS) == 1
    np.testing.assert_array_equal(first, second)
    assert len(list(store.glob("slow_square-*.pickle"))) == 1


def test_other_arguments_compute_their_own(store):
    slow_square([1.0, 2.0])
    other = slow_square([1.0, 3.0])
    shifted = slow_square([1.0, 2.0], shift=0.5)
    assert len(CALLS) == 3
    np.testing.assert_array_equal(other, [1.0, 9.0])
    np.testing.assert_array_equal(shifted, [1.5, 4.5])


def test_a_stored_result_is_a_fresh_object_each_time(store):
    first = slow_square([1.0, 2.0])
    first[:] = -1.0  # the caller changes its copy
    np.testing.assert_array_equal(slow_square([1.0, 2.0]), [1.0, 4.0])


def test_errors_are_not_stored_and_still_raise(store):
    for _ in range(2):
        with pytest.raises(ValueError, match="shift"):
            slow_square([1.0], shift=-1.0)
    assert len(CALLS) == 2
    assert list(store.glob("*.pickle")) == []


def test_warnings_are_issued_again_when_a_result_is_read(store):
    for _ in range(2):
        with pytest.warns(RuntimeWarning, match="a large shift"):
            slow_square([1.0], shift=11.0)
    assert len(CALLS) == 1


def test_random_calls_are_stored_only_with_an_integer_seed(store):
    np.testing.assert_array_equal(noisy(3, rng=7), noisy(3, rng=7))
    assert len(CALLS) == 1
    assert not np.array_equal(noisy(3), noisy(3))  # rng=None: fresh draws each call
    generator = np.random.default_rng(7)
    first, second = noisy(3, generator), noisy(3, generator)
    assert not np.array_equal(first, second)  # the generator advanced as without a store
    assert len(CALLS) == 5


def test_a_generator_among_the_arguments_is_never_stored(store):
    @result_cache.cached()
    def draw(rng: np.random.Generator) -> float:
        CALLS.append("draw")
        return float(rng.normal())

    generator = np.random.default_rng(3)
    assert draw(generator) != draw(generator)
    assert CALLS == ["draw", "draw"]


def test_a_damaged_entry_is_computed_again(store):
    slow_square([2.0])
    (entry,) = store.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    np.testing.assert_array_equal(slow_square([2.0]), [4.0])
    assert len(CALLS) == 2
    entry.write_bytes(pickle.dumps("a wrong shape"))
    np.testing.assert_array_equal(slow_square([2.0]), [4.0])
    assert len(CALLS) == 3


def test_a_folder_that_cannot_be_written_only_costs_time(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("a file where the folder should be")
    monkeypatch.setenv(result_cache.ENVIRONMENT_VARIABLE, str(blocked / "results"))
    CALLS.clear()
    np.testing.assert_array_equal(slow_square([3.0]), [9.0])
    np.testing.assert_array_equal(slow_square([3.0]), [9.0])
    assert len(CALLS) == 2


def test_unpicklable_arguments_are_computed_not_stored(store):
    @result_cache.cached()
    def first_item(items):
        CALLS.append("first")
        return next(iter(items))

    assert first_item(x for x in [1, 2]) == 1  # a generator cannot be pickled
    assert first_item(x for x in [1, 2]) == 1
    assert CALLS == ["first", "first"]


def test_the_course_functions_give_the_same_numbers_stored_or_not(store, monkeypatch):
    tutoring = load_tutoring()
    stored = [bootstrap_lrt(NULL, FULL, tutoring, n_boot=4, rng=11) for _ in range(2)]
    profile = [profile_deviance(FULL, tutoring, "method", [-1.0, 0.5]) for _ in range(2)]
    monkeypatch.delenv(result_cache.ENVIRONMENT_VARIABLE)
    fresh = bootstrap_lrt(NULL, FULL, tutoring, n_boot=4, rng=11)
    for result in stored:
        np.testing.assert_array_equal(result.statistics, fresh.statistics)
        assert (result.observed, result.p_value) == (fresh.observed, fresh.p_value)
    expected = profile_deviance(FULL, tutoring, "method", [-1.0, 0.5])
    for frame in profile:
        assert frame.equals(expected)


def test_a_stored_class_gets_the_same_attributes(store, monkeypatch):
    tutoring = load_tutoring()
    built, read = (TutoringPosterior(tutoring, n_beta=16, n_log_sigma=8) for _ in range(2))
    monkeypatch.delenv(result_cache.ENVIRONMENT_VARIABLE)
    fresh = TutoringPosterior(tutoring, n_beta=16, n_log_sigma=8)
    assert len(list(store.glob("TutoringPosterior-*.pickle"))) == 1
    for posterior in (built, read):
        assert posterior.__dict__.keys() == fresh.__dict__.keys()
        np.testing.assert_array_equal(posterior.log_likelihood, fresh.log_likelihood)
        np.testing.assert_array_equal(posterior.population_difference, fresh.population_difference)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # this coarse grid warns that it is coarse
        ours, theirs = read.summary(2.5), fresh.summary(2.5)
    assert ours.mean.equals(theirs.mean) and ours.sd.equals(theirs.sd)
    assert ours.site_effects.equals(theirs.site_effects)


def test_the_key_of_the_lesson_data_is_the_same_in_another_process():
    """The grader's run of the lesson and each student's notebook are separate kernels:
    the data they load must give the same key, or nothing would ever be read."""
    code = (
        "from course_utils import result_cache\n"
        "from course_utils.data import load_tutoring\n"
        "print(result_cache.key('f', (load_tutoring(), 'passed ~ 1'), {'n': 3}))\n"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
        ).stdout.strip()
        for _ in range(2)
    }
    here = result_cache.key("f", (load_tutoring(), "passed ~ 1"), {"n": 3})
    assert keys == {here}
    assert here != result_cache.key("f", (load_tutoring().iloc[:-1], "passed ~ 1"), {"n": 3})
