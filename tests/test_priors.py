"""Prior predictive on the log-odds scale, and the lesson-4 widgets built on it."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import integrate, special, stats

from course_utils import priors


@pytest.mark.parametrize("prior_sd", [0.5, 1.0, 2.5, 5.0])
def test_logit_normal_density_is_a_density_with_the_right_cdf(prior_sd):
    def density(p):
        return float(priors.logit_normal_density(p, prior_sd))

    total, _ = integrate.quad(density, 0, 1, limit=200)
    assert total == pytest.approx(1.0, abs=1e-8)
    below, _ = integrate.quad(density, 0, 0.3, limit=200)
    assert below == pytest.approx(stats.norm.cdf(special.logit(0.3) / prior_sd), abs=1e-8)


def test_prob_between_matches_simulation():
    rng = np.random.default_rng(5)
    for prior_sd in (1.0, 2.5, 5.0):
        p = special.expit(rng.normal(0, prior_sd, 200_000))
        share = np.mean((p > 0.05) & (p < 0.95))
        se = np.sqrt(share * (1 - share) / p.size)
        assert abs(priors.prob_between(prior_sd, 0.05, 0.95) - share) < 4 * se + 1e-12


def test_the_lessons_claims_about_normal_1_and_normal_5():
    # Normal(0, 1): about 95% of the prior keeps the log-odds within +-2 (p in 0.12-0.88);
    # Normal(0, 5): over a half of the prior puts p below 0.05 or above 0.95
    assert priors.prob_between(1.0, special.expit(-2), special.expit(2)) == pytest.approx(
        0.9545, abs=1e-4
    )
    assert 1 - priors.prob_between(5.0, 0.05, 0.95) > 0.5


def test_prior_predictive_difference_is_symmetric_and_reproducible():
    first = priors.prior_predictive(2.5, n_draws=50_000, seed=3)
    again = priors.prior_predictive(2.5, n_draws=50_000, seed=3)
    np.testing.assert_array_equal(first.difference, again.difference)
    se = first.difference.std() / np.sqrt(first.difference.size)
    assert abs(first.difference.mean()) < 4 * se
    wide = priors.prior_predictive(5.0, n_draws=50_000, seed=3)
    assert wide.prob_large_difference > first.prob_large_difference


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: priors.logit_normal_density(0.5, -1.0), "prior_sd"),
        (lambda: priors.logit_normal_density([0.2, 1.0], 1.0), "between 0 and 1"),
        (lambda: priors.logit_normal_density(np.nan, 1.0), "between 0 and 1"),
        (lambda: priors.prob_between(1.0, 0.9, 0.1), "low < high"),
        (lambda: priors.prob_between(float("inf"), 0.1, 0.9), "prior_sd"),
        (lambda: priors.prior_predictive(1.0, n_draws=0), "n_draws"),
        (lambda: priors.prior_predictive("2"), "prior_sd"),
    ],
)
def test_bad_input_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def _moves(slider, values):
    """Calls that each move ``slider`` to one of ``values``, in order."""
    return [lambda v=v: setattr(slider, "value", v) for v in values]


def test_prior_predictive_widget_follows_its_slider(typical_update_seconds):
    from course_utils.widgets import PriorPredictiveExplorer

    explorer = PriorPredictiveExplorer()
    before = explorer.png
    median = typical_update_seconds(
        _moves(explorer.sliders["prior_sd"], [1.0, 5.0, 0.5, 2.0, 7.5])
    )
    assert explorer.png != before and explorer.png.startswith(b"\x89PNG")
    np.testing.assert_allclose(
        explorer._density.get_ydata(),
        priors.logit_normal_density(explorer._density.get_xdata(), 7.5),
    )
    # the course requires well under 0.2 s per update; about 0.1 s is typical (Agg drawing)
    assert median < 0.2, f"median update {median * 1000:.0f} ms"


def test_site_sd_widget_shows_the_exact_posterior(typical_update_seconds):
    from course_utils.data import load_tutoring
    from course_utils.exact import TutoringPosterior
    from course_utils.widgets import TutoringPriorExplorer

    grid = TutoringPosterior(load_tutoring(), n_beta=32, n_log_sigma=24)
    explorer = TutoringPriorExplorer(grid)
    slider = explorer.sliders["site_sd_prior_sd"]
    wide = explorer.update()
    median = typical_update_seconds(_moves(slider, [5.0, 1.0, 0.3]))
    narrow = explorer.update()
    assert narrow.mean["sigma_site"] < wide.mean["sigma_site"]
    expected = grid.summary(2.5, slider.value)
    assert narrow.prob_method_negative == expected.prob_method_negative
    assert f"{expected.prob_method_negative:.3f}" in explorer._left.get_title()
    explorer.sliders["prior_sd"].value = 1.0
    assert explorer.update().mean["method"] == grid.summary(1.0, slider.value).mean["method"]
    assert median < 0.2, f"median update {median * 1000:.0f} ms"
