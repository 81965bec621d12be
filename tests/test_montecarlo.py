"""course_utils.montecarlo: Monte Carlo outputs shown with their MCSE and compared within it.

References are independent of the module: closed-form standard errors of iid draws (the
mean's sd / sqrt(n), a quantile's sqrt(p (1 - p) / n) / f(q)), numpy's own quantiles,
and the rejection rate of a two-sided normal test for the comparison's calibration.
"""

import json
import math

import arviz as az
import numpy as np
import pytest
from scipy import stats

from course_utils import montecarlo as mc
from course_utils.checks import check_close, check_mcmc


def iid_normal(seed: int, shape=(4, 2500), loc=0.0):
    return np.random.default_rng(seed).normal(loc, 1.0, size=shape)


def fit(draws: dict, diverging=None):
    """A sampler's output as ArviZ builds it, from (chain, draw, ...) arrays."""
    groups = {"posterior": draws}
    if diverging is not None:
        groups["sample_stats"] = {"diverging": diverging}
    return az.from_dict(groups)


def test_outputs_display_their_payload_and_survive_a_json_round_trip():
    table = mc.MCTable(
        {
            "mean": [mc.Estimate(0.5, 0.01, exact=0.49), mc.Estimate(1.2345, 0.02)],
            "exact": [0.49, 1.23],
            "ESS": [mc.Diagnostic(900, at_least=400, fmt=".0f"), mc.Diagnostic(450, fmt=".0f")],
            "note": ["a", "b"],
        },
        ["x", "y[1, 2]"],
    )
    bundle = table._repr_mimebundle_()
    stored = json.loads(json.dumps(bundle[mc.MIME]))
    assert mc.render(stored)["text/plain"] == bundle["text/plain"] == repr(table)
    assert "1.234" in repr(table) and "900" in repr(table)
    text = mc.MCText(
        "P = {} (MCSE {}), exact {{}} {}", mc.Estimate(0.975, 0.003), mc.Shown(0.003), 1
    )
    assert repr(text) == "P = 0.975 (MCSE 0.003), exact {} 1.000"


def test_runs_within_monte_carlo_error_agree_and_a_10_mcse_move_does_not():
    def run(value, mcse=0.01, exact_number=2.0):
        return mc.MCText("{} {}", mc.Estimate(value, mcse), exact_number).payload

    stored = run(1.0)
    assert mc.compare_payloads(stored, run(1.0 + 4.9 * math.hypot(0.01, 0.01))) == []
    assert mc.compare_payloads(stored, run(1.0 + 5.1 * math.hypot(0.01, 0.01)))
    assert mc.compare_payloads(stored, run(1.0 + 10 * 0.01))
    assert mc.compare_payloads(stored, run(1.0, exact_number=2.000001))
    assert "layout" in mc.compare_payloads(stored, mc.MCText("{} {}", 1.0, 2.0).payload)[0]
    approx = mc.MCText("{}", mc.Approx(10.0, tolerance=2.0)).payload
    assert mc.compare_payloads(approx, mc.MCText("{}", mc.Approx(11.9, 2.0)).payload) == []
    assert mc.compare_payloads(approx, mc.MCText("{}", mc.Approx(12.1, 2.0)).payload)


def test_one_run_must_meet_its_exact_values_and_limits():
    assert mc.check_payload(mc.MCText("{}", mc.Estimate(1.04, 0.01, exact=1.0)).payload) == []
    far = mc.check_payload(mc.MCText("{}", mc.Estimate(1.06, 0.01, exact=1.0)).payload)
    assert len(far) == 1 and "6.0 MCSE" in far[0]
    assert mc.check_payload(mc.MCText("{}", mc.Diagnostic(1.02, at_most=1.01)).payload)
    assert mc.check_payload(mc.MCText("{}", mc.Diagnostic(399, at_least=400)).payload)
    assert mc.check_payload(mc.MCText("{}", mc.Diagnostic(400, at_least=400)).payload) == []


def test_comparison_is_calibrated_on_independent_runs():
    """Two independent runs of an autocorrelated chain differ by more than 2 combined MCSE
    about 4.6% of the time (two-sided normal); the MCSE accounts for the autocorrelation."""
    rng = np.random.default_rng(2026)
    rejected, replications = 0, 400
    for _ in range(replications):
        runs = []
        for _ in range(2):
            noise = rng.standard_normal((4, 1000))
            chain = np.empty_like(noise)
            chain[:, 0] = noise[:, 0]
            for t in range(1, chain.shape[1]):
                chain[:, t] = 0.7 * chain[:, t - 1] + math.sqrt(1 - 0.49) * noise[:, t]
            runs.append(mc.MCText("{}", mc.mean_estimate(chain)).payload)
        rejected += bool(mc.compare_payloads(*runs, n_mcse=2.0))
    expected = 2 * stats.norm.sf(2.0)
    assert abs(rejected / replications - expected) < 4 * math.sqrt(expected / replications)


def test_posterior_table_matches_closed_form_standard_errors_of_iid_draws():
    draws = iid_normal(1)
    table = mc.posterior_table(fit({"theta": draws}), ["theta"], stats=["mean", "sd", "eti89_lb"])
    cells = {name: column[0] for name, column in table.payload["columns"]}
    n = draws.size
    assert cells["mean"]["value"] == pytest.approx(draws.mean())
    assert cells["mean"]["mcse"] == pytest.approx(draws.std() / math.sqrt(n), rel=0.1)
    assert cells["eti89_lb"]["value"] == pytest.approx(np.quantile(draws, 0.055), abs=2e-3)
    density = stats.norm.pdf(stats.norm.ppf(0.055))
    quantile_se = math.sqrt(0.055 * 0.945 / n) / density
    assert cells["eti89_lb"]["mcse"] == pytest.approx(quantile_se, rel=0.25)
    assert cells["sd"]["mcse"] == pytest.approx(1 / math.sqrt(2 * n), rel=0.15)
    assert cells["ess_bulk"]["value"] == pytest.approx(n, rel=0.1)
    assert table.problems() == []


def test_posterior_table_labels_vector_variables_like_arviz_and_checks_exact_values():
    draws = np.stack([iid_normal(2, (4, 800)), iid_normal(3, (4, 800), loc=5.0)], axis=-1)
    idata = az.from_dict({"posterior": {"b": draws}}, dims={"b": ["group"]},
                         coords={"group": ["p", "q"]})  # fmt: skip
    right = mc.posterior_table(
        idata, ["b"], stats=["mean"], exact={"mean": {"b[p]": 0, "b[q]": 5}}
    )
    assert right.payload["index"] == list(az.summary(idata).index) == ["b[p]", "b[q]"]
    assert right.problems() == []
    wrong = mc.posterior_table(
        idata, ["b"], stats=["mean"], exact={"mean": {"b[p]": 0, "b[q]": 6}}
    )
    assert len(wrong.problems()) == 1 and "'b[q]'" in wrong.problems()[0]


def test_sampler_health_limits_follow_the_expectation():
    healthy = fit({"mu": iid_normal(4)}, diverging=np.zeros((4, 2500), dtype=bool))
    assert mc.sampler_health(healthy).problems() == []
    assert mc.sampler_health(healthy, expect_divergences=True).problems()
    divergent = np.zeros((4, 2500), dtype=bool)
    divergent[0, :3] = True
    troubled = fit({"mu": iid_normal(4)}, diverging=divergent)
    assert "divergences 3" in repr(mc.sampler_health(troubled, label="PyMC: "))
    assert mc.sampler_health(troubled).problems()
    assert mc.sampler_health(troubled, expect_divergences=True).problems() == []
    stuck = fit({"mu": np.stack([iid_normal(5, (2500,)) + k for k in range(4)])},
                diverging=np.zeros((4, 2500), dtype=bool))  # fmt: skip
    assert any("R-hat" in p or "1.01" in p for p in mc.sampler_health(stuck).problems())


def test_side_by_side_asserts_that_fits_of_one_model_agree():
    first = fit({"a": iid_normal(6), "b": iid_normal(7, loc=1.0)})
    second = fit({"Alpha": iid_normal(8), "Beta": iid_normal(9, loc=1.0)})
    rows = {"a": ("a", "Alpha"), "b": ("b", "Beta")}
    assert mc.side_by_side(first, second, rows).problems() == []
    shifted = fit({"Alpha": iid_normal(8), "Beta": iid_normal(9, loc=1.2)})
    assert len(mc.side_by_side(first, shifted, rows).problems()) == 1
    assert mc.side_by_side(first, shifted, rows, same_model=False).problems() == []
    with pytest.raises(ValueError, match="Gamma"):
        mc.side_by_side(first, second, {"a": ("a", "Gamma")})


def test_draws_table_intervals_and_widths():
    draws = iid_normal(10)
    table = mc.draws_table({"x": draws})
    frame = table.to_frame()
    assert frame.loc["x", "89% low"] == pytest.approx(np.quantile(draws, 0.055))
    assert frame.loc["x", "89% high"] == pytest.approx(np.quantile(draws, 0.945))
    widths = mc.draws_table({"x": draws}, width=True, prefix="m: ")
    cell = widths.payload["columns"][1][1][0]
    low, high = table.payload["columns"][1][1][0], table.payload["columns"][2][1][0]
    assert cell["value"] == pytest.approx(high["value"] - low["value"])
    assert cell["mcse"] == pytest.approx(math.hypot(low["mcse"], high["mcse"]))
    assert list(table.join(widths).to_frame().columns) == [
        "mean", "89% low", "89% high", "m: mean", "m: 89% width"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("build", "error", "match"),
    [
        (lambda: mc.Estimate(1.0, -0.1), ValueError, "mcse"),
        (lambda: mc.Estimate(float("nan"), 0.1), ValueError, "value"),
        (lambda: mc.Estimate("1.0", 0.1), TypeError, "value"),
        (lambda: mc.Estimate(True, 0.1), TypeError, "value"),
        (lambda: mc.Estimate(1.0, 0.1, fmt="%d"), ValueError, "fmt"),
        (lambda: mc.Approx(1.0, tolerance=0), ValueError, "tolerance"),
        (lambda: mc.MCText("{} {}", 1.0), ValueError, "placeholders"),
        (lambda: mc.MCTable({"a": [1.0]}, ["x", "y"]), ValueError, "rows"),
        (lambda: mc.MCTable({}, []), ValueError, "columns"),
        (lambda: mc.mean_estimate(np.ones(10)), ValueError, "chain, draw"),
        (lambda: mc.mean_estimate(np.full((4, 10), np.nan)), ValueError, "NaN"),
        (lambda: mc.quantile_estimate(iid_normal(1), 1.5), ValueError, "prob"),
        (lambda: mc.draws_table({"x": iid_normal(1)}, interval=1.0), ValueError, "interval"),
        (lambda: mc.posterior_table(fit({"a": iid_normal(1)}), "a"), ValueError, "var_names"),
        (lambda: mc.posterior_table(fit({"a": iid_normal(1)}), ["b"]), ValueError, "var_names"),
        (
            lambda: mc.posterior_table(fit({"a": iid_normal(1)}), ["a"], stats=["mean", "mode"]),
            ValueError,
            "stats",
        ),
    ],
)
def test_bad_input_names_the_argument(build, error, match):
    with pytest.raises(error, match=match):
        build()


def test_checks_of_monte_carlo_answers_carry_their_numbers():
    feedback = check_mcmc("P(a > b)", 0.51, 0.5, 0.01)
    bundle = feedback._repr_mimebundle_()
    assert bundle["text/plain"] == str(feedback) == repr(feedback)
    assert mc.check_payload(bundle[mc.MIME]) == []
    plain = check_close("x", 2.0, 2.0)
    assert mc.MIME not in plain._repr_mimebundle_()
    shown = check_close("mean of draws", 0.3042, 0.3042, mcse=0.002)
    assert shown._repr_mimebundle_()[mc.MIME]["cells"][0]["mcse"] == 0.002
