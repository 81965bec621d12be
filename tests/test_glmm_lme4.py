"""course_utils.glmm agrees with R's lme4 (reference numbers in tests/reference/).

tests/reference/glmer_tutoring.R produced tests/reference/glmer_tutoring.csv (and the
printed .Rout) with R 4.2.2 and lme4 1.1-31 from Debian's packages, fitting with a tight
inner tolerance (tolPwrss = 1e-12) and a tight bobyqa tolerance. Agreement is required to
1e-4 relative, for the Laplace (nAGQ = 1) and adaptive quadrature (nAGQ = 25) fits.

Our log-likelihood is the integral itself (tests/test_glmm.py checks it against
scipy.integrate.quad), and with 25 nodes it equals lme4's on both data sets.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import warnings
from pathlib import Path

import pandas as pd
import pytest

from course_utils.exceptions import ModelWarning
from course_utils.glmm import glmer, lrt

HERE = Path(__file__).resolve().parent / "reference"
REL = 1e-4

with (HERE / "glmer_tutoring.csv").open() as handle:
    REF = {row["key"]: row["value"] for row in csv.DictReader(handle)}

EDGE = pd.DataFrame(
    {
        "g": [1, 1, 1, 2, 2, 2, 2, 3, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5],
        "x": [0, 0, 1, 0, 1, 1, 0, 1, 0, 0, 1, 1, 1, 0, 0, 1, 1, 0, 1],
        "y": [1, 1, 1, 0, 0, 0, 0, 1, 1, 0, 1, 0, 1, 0, 1, 1, 1, 0, 0],
    }
)
CASES = {
    "m1_laplace": ("passed ~ method + (1 | site_id)", 1, "tutoring"),
    "m0_laplace": ("passed ~ 1 + (1 | site_id)", 1, "tutoring"),
    "m1_agq25": ("passed ~ method + (1 | site_id)", 25, "tutoring"),
    "m0_agq25": ("passed ~ 1 + (1 | site_id)", 25, "tutoring"),
    "edge_m1_laplace": ("y ~ x + (1 | g)", 1, "edge"),
    "edge_m0_laplace": ("y ~ 1 + (1 | g)", 1, "edge"),
    "edge_m1_agq25": ("y ~ x + (1 | g)", 25, "edge"),
    "edge_m0_agq25": ("y ~ 1 + (1 | g)", 25, "edge"),
}


def ref(key: str) -> float:
    return float(REF[key])


@pytest.fixture(scope="module")
def fits(tutoring) -> dict:
    frames = {"tutoring": tutoring, "edge": EDGE}
    with warnings.catch_warnings():
        warnings.simplefilter("error", ModelWarning)  # none of these is singular or worse
        return {
            name: glmer(formula, frames[data], nagq=nagq)
            for name, (formula, nagq, data) in CASES.items()
        }


def test_reference_was_made_with_the_documented_versions():
    assert REF["R.version"] == "4.2.2" and REF["lme4.version"] == "1.1.31"


@pytest.mark.parametrize("name", CASES)
def test_fixed_effects_standard_errors_and_variance(fits, name):
    fit = fits[name]
    for term, row in fit.fixed.iterrows():
        for column in ("estimate", "se", "z", "p"):
            expected = ref(f"{name}.fixed.{term}.{column}")
            assert row[column] == pytest.approx(expected, rel=REL), (term, column)
    assert fit.re_variance == pytest.approx(ref(f"{name}.re.variance"), rel=REL)
    assert fit.re_sd == pytest.approx(ref(f"{name}.re.sd"), rel=REL)
    for a in fit.vcov.index:
        for b in fit.vcov.columns:
            assert fit.vcov.loc[a, b] == pytest.approx(ref(f"{name}.vcov.{a}.{b}"), rel=REL)


@pytest.mark.parametrize("name", CASES)
def test_fit_criteria(fits, name):
    fit = fits[name]
    assert fit.loglik == pytest.approx(ref(f"{name}.loglik"), rel=REL)
    assert fit.aic == pytest.approx(ref(f"{name}.AIC"), rel=REL)
    assert fit.bic == pytest.approx(ref(f"{name}.BIC"), rel=REL)
    assert fit.deviance == pytest.approx(ref(f"{name}.minus2loglik"), rel=REL)


def test_correlation_of_fixed_effects(fits):
    for name in ("m1_laplace", "m1_agq25"):
        corr = fits[name].correlation().loc["Intercept", "method"]
        assert corr == pytest.approx(ref(f"{name}.corr.Intercept.method"), rel=REL)


@pytest.mark.parametrize("kind", ["laplace", "agq25"])
def test_likelihood_ratio_test_matches_anova(fits, kind):
    table = lrt(fits[f"m0_{kind}"], fits[f"m1_{kind}"])
    assert table.loc["m1", "chisq"] == pytest.approx(ref(f"anova_{kind}.chisq"), rel=REL)
    assert table.loc["m1", "p"] == pytest.approx(ref(f"anova_{kind}.p"), rel=REL)
    assert table.loc["m1", "df"] == ref(f"anova_{kind}.df")
    for row in ("m0", "m1"):
        assert table.loc[row, "npar"] == ref(f"anova_{kind}.{row}.npar")


def test_wald_and_lrt_disagree_at_five_percent_on_the_lecture_data(fits):
    """The point of lesson 2, as lme4 has it: Wald p > 0.05 > LRT p."""
    wald = fits["m1_laplace"].fixed.loc["method", "p"]
    lr = lrt(fits["m0_laplace"], fits["m1_laplace"]).loc["m1", "p"]
    assert wald > 0.05 > lr


@pytest.mark.skipif(shutil.which("Rscript") is None, reason="R is not installed")
def test_r_script_reproduces_the_reference(tmp_path, root):
    output = tmp_path / "out.csv"
    subprocess.run(
        ["Rscript", str(HERE / "glmer_tutoring.R"), "data/tutoring.csv", str(output)],
        cwd=root,
        check=True,
        capture_output=True,
        timeout=300,
    )
    with output.open() as handle:
        fresh = {row["key"]: row["value"] for row in csv.DictReader(handle)}
    for key in ("m1_laplace.loglik", "m1_agq25.fixed.method.se", "anova_laplace.p"):
        assert float(fresh[key]) == pytest.approx(ref(key), rel=1e-8)
