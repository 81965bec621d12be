"""The season-pass reference models of lesson 6: log densities written out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytensor
import pytest
from scipy import special, stats

from course_utils import models
from course_utils.data import load_season_pass

# the 6-row table, typed in from COURSE.md: (promo, channel) -> (bought, n)
COUNTS = {
    ("NoBundle", "Mail"): (359, 637),
    ("NoBundle", "Park"): (284, 333),
    ("NoBundle", "Email"): (27, 512),
    ("Bundle", "Mail"): (242, 691),
    ("Bundle", "Park"): (639, 862),
    ("Bundle", "Email"): (38, 121),
}
CHANNELS = ["Mail", "Park", "Email"]


@pytest.fixture(scope="module")
def grouped() -> pd.DataFrame:
    return load_season_pass(grouped=True)


def binomial_loglik(logit_p: dict) -> float:
    return sum(
        stats.binom.logpmf(bought, n, special.expit(logit_p[key]))
        for key, (bought, n) in COUNTS.items()
    )


def test_baseline_log_density_by_hand(grouped):
    logp = models.season_pass_baseline(grouped).compile_logp(jacobian=False)
    for a, b in [(0.0, 0.0), (-0.2, 0.4), (1.0, -1.5)]:
        eta = {key: a + b * (key[0] == "Bundle") for key in COUNTS}
        expected = stats.norm.logpdf([a, b]).sum() + binomial_loglik(eta)
        assert float(logp({"intercept": a, "promo": b})) == pytest.approx(expected, rel=1e-10)


def test_interaction_log_density_by_hand(grouped):
    logp = models.season_pass_interaction(grouped).compile_logp(jacobian=False)
    rng = np.random.default_rng(0)
    for _ in range(3):
        a, b = rng.normal(size=2)
        channel, promo_channel = rng.normal(size=2), rng.normal(size=2)
        eta = {}
        for promo, name in COUNTS:
            bundle = promo == "Bundle"
            k = CHANNELS.index(name)
            eta[(promo, name)] = (
                a + b * bundle + (channel[k - 1] + bundle * promo_channel[k - 1] if k else 0.0)
            )
        expected = stats.norm.logpdf(np.r_[a, b, channel, promo_channel]).sum() + binomial_loglik(
            eta
        )
        point = {"intercept": a, "promo": b, "channel": channel, "promo_channel": promo_channel}
        assert float(logp(point)) == pytest.approx(expected, rel=1e-10)


def test_multilevel_structure_and_likelihood(grouped):
    model = models.season_pass_multilevel(grouped)
    assert list(model.coords["channel"]) == CHANNELS
    assert {"a_channel", "b_channel", "sd", "correlation"} <= set(model.named_vars)
    # the likelihood at a point: the group effects that the point implies, then by hand
    point = model.initial_point()
    point["z"] = np.random.default_rng(1).normal(size=(2, 3))
    effects = model.replace_rvs_by_values([model["a_channel"], model["b_channel"]])
    inputs = model.value_vars
    a, b = pytensor.function(inputs, effects, on_unused_input="ignore")(
        *[point[v.name] for v in inputs]
    )
    eta = {
        (promo, name): a[CHANNELS.index(name)] + b[CHANNELS.index(name)] * (promo == "Bundle")
        for promo, name in COUNTS
    }
    loglik = pytensor.function(inputs, model.observedlogp)(*[point[v.name] for v in inputs])
    assert float(loglik) == pytest.approx(binomial_loglik(eta), rel=1e-10)


def test_bad_tables_are_refused(grouped):
    with pytest.raises(ValueError, match="between 0 and n"):
        models.season_pass_baseline(grouped.assign(bought=grouped["n"] + 1))
    with pytest.raises(ValueError, match="missing the column"):
        models.season_pass_interaction(grouped.drop(columns="n"))
    with pytest.raises(ValueError, match="channel must be one of"):
        models.season_pass_multilevel(grouped.assign(channel="Phone"))
