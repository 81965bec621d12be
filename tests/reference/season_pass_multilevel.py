"""Reference posterior of the season-pass multilevel model: one long, well-converged run.

Writes tests/reference/season_pass_multilevel.csv (posterior mean, SD and their Monte
Carlo standard errors for every group effect, the group SDs and the correlation), which
tests/test_season_pass_models.py compares short runs with.

Run from the repository root: .venv/bin/python tests/reference/season_pass_multilevel.py
"""

from __future__ import annotations

import sys
from pathlib import Path

import arviz as az
import pymc as pm

from course_utils import models
from course_utils.data import load_season_pass

OUTPUT = Path(__file__).with_suffix(".csv")
VARIABLES = ["a_channel", "b_channel", "sd", "correlation"]


def main() -> int:
    model = models.season_pass_multilevel(load_season_pass(grouped=True))
    idata = pm.sample(
        model=model,
        chains=4,
        tune=3000,
        draws=25_000,
        target_accept=0.95,
        random_seed=20261123,
        progressbar=False,
    )
    summary = az.summary(idata, var_names=VARIABLES, round_to="none")
    divergences = int(idata.sample_stats["diverging"].sum())
    if summary["r_hat"].max() > 1.005 or summary["ess_bulk"].min() < 10_000 or divergences:
        print(summary, f"divergences: {divergences}", sep="\n")
        print("the reference run is not converged well enough; nothing written")
        return 1
    summary[["mean", "sd", "mcse_mean", "mcse_sd", "r_hat", "ess_bulk"]].to_csv(
        OUTPUT, float_format="%.6f", index_label="variable"
    )
    print(
        f"wrote {OUTPUT}: min bulk ESS {summary['ess_bulk'].min():.0f}, "
        f"max R-hat {summary['r_hat'].max():.4f}, divergences {divergences}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
