"""bench.models: draws, agreement and the course's models and Stan programs; no sampling."""

import numpy as np
import pytest

from bench import models


def test_stan_draws_undo_pystans_interleaving_by_chain():
    chains, draws = 4, 5
    # value = 10 * chain + draw, stored by pystan at position draw * chains + chain
    expected = np.array([[10.0 * c + d for d in range(draws)] for c in range(chains)])
    flat = np.empty(chains * draws)
    for c in range(chains):
        for d in range(draws):
            flat[d * chains + c] = expected[c, d]
    np.testing.assert_array_equal(models.stan_draws(flat, chains), expected)
    vector = np.stack([flat, -flat])  # a parameter of shape (2,)
    np.testing.assert_array_equal(
        models.stan_draws(vector, chains), np.stack([expected, -expected], axis=-1)
    )
    with pytest.raises(ValueError, match="cannot be split"):
        models.stan_draws(flat, 3)


def test_flatten_draws_names_every_scalar():
    draws = {"mu": np.zeros((2, 3)), "theta": np.arange(2 * 3 * 2 * 2).reshape(2, 3, 2, 2)}
    flat = models.flatten_draws(draws)
    assert list(flat) == ["mu", "theta[0,0]", "theta[0,1]", "theta[1,0]", "theta[1,1]"]
    np.testing.assert_array_equal(flat["theta[1,0]"], draws["theta"][:, :, 1, 0])
    with pytest.raises(ValueError, match="chain, draw"):
        models.flatten_draws({"x": np.zeros(3)})


def test_agreement_is_the_difference_in_combined_mcse():
    scores = models.agreement({"a": (1.0, 0.3), "b": (0.0, 0.1)}, {"a": (1.5, 0.4), "c": (0, 1)})
    assert scores == {"a": pytest.approx(1.0)}
    with pytest.raises(ValueError, match="no quantity"):
        models.agreement({"a": (0, 1)}, {"b": (0, 1)})


def test_every_course_model_has_a_stan_program_and_a_case():
    from course_utils import models as course_models

    builders = {name for name in course_models.__all__ if name[0].islower()}
    assert builders == set(models.CASES)
    for name in builders:
        assert (models.STAN_DIR / f"{name}.stan").is_file(), name


def test_every_stan_call_gets_its_own_seed():
    seeds = models.call_seeds(63, 4) + models.call_seeds(64, 4)
    assert len(set(seeds)) == len(seeds) == 8
    with pytest.raises(ValueError, match="at least 1"):
        models.call_seeds(1, 0)


def test_same_draws_spots_a_returned_cached_fit():
    a = {"mu": np.arange(6.0).reshape(2, 3)}
    assert models.same_draws(a, {"mu": a["mu"].copy()})
    assert not models.same_draws(a, {"mu": a["mu"] + 1e-12})
    assert not models.same_draws(a, {"tau": a["mu"]})


def test_stan_summary_times_repeat_calls_apart_from_the_first():
    def call(first, seconds, ess, cached=False):
        return {
            "first_call": first,
            "sampling_s": seconds,
            "ess_per_s": ess,
            "cached": cached,
            "quantities": {"mu": (0.0, 0.1)},
        }

    stan = [
        {"compile_s": 40.0, "runs": [call(True, 1.5, 600), call(False, 0.5, 2000)]},
        {"compile_s": 50.0, "runs": [call(True, 1.3, 700), call(False, 0.7, 1000, True)]},
        {"error": "timed out"},
    ]
    summary = models.stan_summary(stan)
    assert summary["compile_s"]["median"] == 45.0
    assert summary["first_call_s"]["median"] == 1.4
    assert summary["repeat_s"]["median"] == 0.6 and summary["ess_per_s"]["median"] == 1500
    assert summary["total_s"] == 46.4 and summary["cached"] == 1
    assert models.stan_summary([{"error": "x"}]) == {}
