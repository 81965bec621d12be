"""bench.kernel: the in-kernel section's parsing and tables; no kernel is started."""

import pytest

from bench import kernel, report


def test_parse_marked_reads_the_last_marked_line():
    out = f"noise\n{kernel.MARK}" + '{"a": 1}\n' + f"{kernel.MARK}" + '{"a": 2}\nmore\n'
    assert kernel.parse_marked(out) == {"a": 2}
    with pytest.raises(ValueError, match="no BENCH-JSON"):
        kernel.parse_marked("nothing here")


def test_count_files(tmp_path):
    assert kernel.count_files(tmp_path / "missing") == 0
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "x.nbi").write_text("")
    (tmp_path / "y.nbc").write_text("")
    assert kernel.count_files(tmp_path) == 2


def _fits(*seconds, files=0):
    return {
        "import_s": 1.0,
        "fits": [
            {"fit_s": s, "new_cache_files": files if k == 0 else 0} for k, s in enumerate(seconds)
        ],
    }


def test_report_puts_the_first_fit_after_setup_against_stan():
    stan_call = {"sampling_s": 1.0, "ess_per_s": 1.0, "quantities": {"p": (0.3, 0.01)}}
    results = {
        "machine": {},
        "models": {
            "date": "d",
            "repeats": 1,
            "tune": 1000,
            "draws": 1000,
            "data": {
                "beta_binomial": {
                    "pymc": {},
                    "stan": [
                        {
                            "compile_s": 49.0,
                            "runs": [
                                {**stan_call, "first_call": True},
                                {**stan_call, "first_call": False, "sampling_s": 0.5},
                            ],
                        }
                    ],
                }
            },
        },
        "kernel": {
            "date": "d2",
            "tune": 1000,
            "draws": 1000,
            "data": {
                "warm_up": [{"wall_s": 200.0, "exit_code": 0, "load_average": [1, 1, 1]}],
                "models": {
                    "beta_binomial": {
                        "cold": [_fits(20.0, 2.0, 3.0, files=40)],
                        "after_setup": [_fits(4.0, 2.0, 1.0)],
                    }
                },
                "lessons": {
                    "solutions/04_mcmc/04_mcmc.ipynb": [
                        {
                            "cells": [
                                {
                                    "cell": 44,
                                    "fits": True,
                                    "first_line": "bb = pm.sample(a | b)",
                                    "wall_s": 5.0,
                                    "new_cache_files": 0,
                                    "errors": [],
                                },
                                {
                                    "cell": 3,
                                    "fits": False,
                                    "first_line": "import pymc",
                                    "wall_s": 2.0,
                                    "new_cache_files": 0,
                                    "errors": [],
                                },
                            ]
                        }
                    ]
                },
            },
        },
    }
    text, records = report.render(results)
    row = next(line for line in text.splitlines() if line.startswith("| beta_binomial | 20 |"))
    # first fit after setup 4 s against Stan's 49 s compile + 1 s first call: 0.08 <= 1/10
    assert row.split(" | ")[1:] == ["20", "4", "0", "2 (1-3)", "50", "0.5", "0.080", "met |"]
    assert "| 04_mcmc | 44 | `bb = pm.sample(a \\| b)` | 5 | 0 | - |" in text
    assert "import pymc" not in text  # only the cells that build or fit a model
    assert "load averages [1, 1, 1]" in text
    kernel_records = {r["metric"]: r for r in records if r["section"] == "kernel"}
    assert kernel_records["first_fit_ratio_vs_stan"]["median"] == pytest.approx(0.08)
