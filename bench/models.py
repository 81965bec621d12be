"""The *models* section: every course model fitted as the lessons fit it, in fresh
processes, with nutpie and PyMC's own NUTS, next to the same model in Stan (pystan)."""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.common import (
    STAN_DIR,
    at_least,
    at_most,
    cache_env,
    fill,
    fmt_range,
    log,
    markdown_table,
    measured,
    ok,
    ratio,
    records,
    run_worker,
    single,
    stat_str,
    summarize,
)

#: The sampler configurations of the course's models: name -> keyword arguments of pm.sample.
PYMC_CONFIGS = {
    "nutpie": {},
    "pymc-numba": {"nuts_sampler": "pymc"},
    "pymc-c": {"nuts_sampler": "pymc", "backend": "c"},
}

#: Targets of issue 8.
#: Targets: issue 8 (time), issue 22 (ESS/s: at least Stan's median repeat call).
TARGET_TIME_RATIO = 1 / 5  # course time to posterior / Stan compile + first sample, at most
TARGET_ESS_RATIO = 1.0  # course ESS/s / Stan's ESS/s (median of its repeat calls), at least
AGREEMENT_Z = 4.0  # |mean difference| / combined MCSE above this flags a disagreement


# ----------------------------------------------------------------------------- pure helpers


def flatten_draws(draws: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Scalar quantities from arrays shaped (chain, draw, *shape): ``name[i,j]`` -> (chain, draw).

    Arrays of shape (chain, draw) keep their name; indices are 0-based, in C order.
    """
    flat = {}
    for name, array in draws.items():
        array = np.asarray(array, dtype=float)
        if array.ndim < 2:
            raise ValueError(f"{name}: draws need shape (chain, draw, ...), got {array.shape}.")
        if array.ndim == 2:
            flat[name] = array
            continue
        for index in np.ndindex(*array.shape[2:]):
            label = ",".join(str(i) for i in index)
            flat[f"{name}[{label}]"] = array[(slice(None), slice(None), *index)]
    return flat


def stan_draws(flat: np.ndarray, chains: int) -> np.ndarray:
    """pystan 3's (*shape, draws x chains) array, interleaved by chain, as (chain, draw, ...)."""
    flat = np.asarray(flat, dtype=float)
    total = flat.shape[-1]
    if chains < 1 or total % chains:
        raise ValueError(f"{total} draws cannot be split into {chains} chains.")
    # pystan stores draw d of chain c at position d * chains + c.
    per_chain = flat.reshape(*flat.shape[:-1], total // chains, chains)
    return np.moveaxis(np.moveaxis(per_chain, -1, 0), -1, 1)


def agreement(first: dict, second: dict) -> dict[str, float]:
    """|mean difference| / combined MCSE for every quantity in both.

    ``first`` and ``second`` map a quantity's name to ``(mean, mcse)``.
    """
    common = sorted(set(first) & set(second))
    if not common:
        raise ValueError("the two posteriors share no quantity.")
    scores = {}
    for name in common:
        (m1, s1), (m2, s2) = first[name], second[name]
        scale = float(np.hypot(s1, s2))
        scores[name] = abs(m1 - m2) / scale if scale > 0 else float(abs(m1 - m2) > 0) * np.inf
    return scores


# ----------------------------------------------------------------------------- the models


@dataclass(frozen=True)
class ModelCase:
    """One course model: how the lessons sample it and which quantities to compare."""

    name: str
    target_accept: float
    quantities: dict[str, str]  # PyMC variable -> Stan variable, compared and used for ESS
    seed: int


MODEL_CASES = [
    ModelCase("beta_binomial", 0.8, {"p": "p"}, 404),
    ModelCase(
        "tutoring_mixed_logit",
        0.8,
        {"intercept": "intercept", "method": "method", "sigma_site": "sigma_site", "u": "u"},
        1953,
    ),
    ModelCase("eight_schools", 0.95, {"mu": "mu", "tau": "tau", "theta": "theta"}, 8),
    ModelCase("season_pass_baseline", 0.8, {"intercept": "intercept", "promo": "promo"}, 61),
    ModelCase(
        "season_pass_interaction",
        0.8,
        {n: n for n in ("intercept", "promo", "channel", "promo_channel")},
        62,
    ),
    ModelCase(
        "season_pass_multilevel",
        0.95,
        {
            "a_channel": "a_channel",
            "b_channel": "b_channel",
            "sd": "sd_effect",
            "correlation": "correlation",
        },
        63,
    ),
]
CASES = {case.name: case for case in MODEL_CASES}


def build_pymc_model(name: str):
    """The course's PyMC model ``name`` on the lessons' data."""
    from course_utils import data, models

    if name == "beta_binomial":
        return models.beta_binomial(12, 3)
    if name == "tutoring_mixed_logit":
        return models.tutoring_mixed_logit(data.load_tutoring(), prior_sd=2.5)
    if name == "eight_schools":
        schools = data.load_eight_schools()
        return models.eight_schools(
            schools["y"].to_numpy(), schools["sigma"].to_numpy(), names=schools["school"].tolist()
        )
    if name.startswith("season_pass_"):
        return getattr(models, name)(data.load_season_pass(grouped=True))
    raise ValueError(f"unknown model {name!r}; known: {sorted(CASES)}")


def stan_data(name: str) -> dict:
    """The data block of bench/stan/<name>.stan, from the same loaders as the PyMC model."""
    import pandas as pd

    from course_utils import data, model_data

    if name == "beta_binomial":
        return {"n": 12, "r": 3}
    if name == "tutoring_mixed_logit":
        tutoring = data.load_tutoring()
        site_index, sites = pd.factorize(tutoring["site_id"], sort=True)
        return {
            "N": len(tutoring),
            "S": len(sites),
            "site": (site_index + 1).tolist(),
            "method_x": tutoring["method"].astype(float).tolist(),
            "passed": tutoring["passed"].astype(int).tolist(),
            "prior_sd": 2.5,
            "site_sd_prior_sd": 2.5,
        }
    if name == "eight_schools":
        schools = data.load_eight_schools()
        return {"J": len(schools), "y": schools["y"].tolist(), "sigma": schools["sigma"].tolist()}
    if name.startswith("season_pass_"):
        bundle, channel, bought, n = model_data.season_pass_arrays(
            data.load_season_pass(grouped=True)
        )
        common = {
            "N": len(n),
            "bundle": bundle.astype(float).tolist(),
            "bought": bought.tolist(),
            "n": n.tolist(),
        }
        if name == "season_pass_interaction":
            dummies = np.stack([(channel == k).astype(float) for k in (1, 2)], axis=1)
            return {**common, "dummies": dummies.tolist()}
        if name == "season_pass_multilevel":
            return {**common, "C": 3, "channel": (channel + 1).tolist()}
        return common
    raise ValueError(f"unknown model {name!r}; known: {sorted(CASES)}")


def posterior_stats(draws: dict[str, np.ndarray]) -> dict:
    """Mean, MCSE and bulk ESS of every scalar quantity; min ESS, max R-hat over them all."""
    import arviz as az

    flat = flatten_draws(draws)
    summary = az.summary(az.from_dict({"posterior": flat}), round_to="none")
    quantities = {
        name: (float(summary.loc[name, "mean"]), float(summary.loc[name, "mcse_mean"]))
        for name in flat
    }
    return {
        "quantities": quantities,
        "min_ess_bulk": float(summary["ess_bulk"].min()),
        "max_r_hat": float(summary["r_hat"].max()),
    }


def worker_pymc(model: str, config: str, draws: int, tune: int, chains: int, seed: int) -> dict:
    """Fit one course model once (this process is fresh): times, ESS, divergences, means."""
    start = time.perf_counter()
    import pymc as pm

    import_s = time.perf_counter() - start
    case = CASES[model]
    start = time.perf_counter()
    pymc_model = build_pymc_model(model)
    idata = pm.sample(
        model=pymc_model,
        chains=chains,
        tune=tune,
        draws=draws,
        random_seed=seed,
        target_accept=case.target_accept,
        progressbar=False,
        quiet=True,
        **PYMC_CONFIGS[config],
    )
    total_s = time.perf_counter() - start
    posterior = idata.posterior
    sampling_s = float(posterior.attrs.get("sampling_time", np.nan))
    draws_ = {var: posterior[var].values for var in case.quantities}
    stats = posterior_stats(draws_)
    return {
        "import_s": import_s,
        "time_to_posterior_s": total_s,
        "sampling_s": sampling_s,
        "ess_per_s": stats["min_ess_bulk"] / sampling_s,
        "divergences": int(idata.sample_stats["diverging"].sum()),
        **tree_stats(idata.sample_stats),
        **stats,
    }


def tree_stats(sample_stats) -> dict:
    """Mean leapfrog steps per draw and median step size, from nutpie's or PyMC's stats."""
    found = {}
    if "n_steps" in sample_stats:
        found["steps_per_draw"] = float(np.mean(np.asarray(sample_stats["n_steps"])))
    if "step_size" in sample_stats:
        found["step_size"] = float(np.median(np.asarray(sample_stats["step_size"])))
    return found


def call_seeds(seed: int, samples: int) -> list[int]:
    """A new seed for every sampling call of one compiled Stan program: httpstan keeps the
    fits of a (program, data, arguments, seed) and returns the stored one when asked again,
    in a fraction of a second, so repeating a seed times nothing."""
    if samples < 1:
        raise ValueError(f"samples must be at least 1, got {samples}.")
    return [seed * 100 + k for k in range(samples)]


def same_draws(first: dict[str, np.ndarray], second: dict[str, np.ndarray]) -> bool:
    """True if two fits hold identical draws of every quantity: a returned cached fit."""
    return first.keys() == second.keys() and all(
        np.array_equal(first[name], second[name]) for name in first
    )


def worker_stan(model: str, draws: int, tune: int, chains: int, seed: int, samples: int) -> dict:
    """Compile one Stan program (from scratch when XDG_CACHE_HOME is empty); sample it
    ``samples`` times, each call with its own seed (:func:`call_seeds`), and mark a call
    whose draws equal an earlier call's as ``cached``."""
    import dataclasses

    import stan

    case = CASES[model]
    code = (STAN_DIR / f"{model}.stan").read_text()
    seeds = call_seeds(seed, samples)
    start = time.perf_counter()
    posterior = stan.build(code, data=stan_data(model), random_seed=seeds[0])
    compile_s = time.perf_counter() - start
    runs, earlier = [], []
    for call, call_seed in enumerate(seeds):
        # pystan takes the seed from the compiled model, not from sample()
        posterior = dataclasses.replace(posterior, random_seed=call_seed)
        start = time.perf_counter()
        fit = posterior.sample(
            num_chains=chains, num_samples=draws, num_warmup=tune, delta=case.target_accept
        )
        sampling_s = time.perf_counter() - start
        shapes = dict(zip(fit.param_names, fit.dims, strict=True))
        draws_ = {}
        for var, stan_var in case.quantities.items():
            array = np.asarray(fit[stan_var])
            if shapes.get(stan_var) == [] and array.ndim == 2:
                array = array[0]  # a scalar: pystan gives it a leading axis of length 1
            draws_[var] = stan_draws(array, chains)
        stats = posterior_stats(draws_)
        divergent = np.asarray(fit["divergent__"]).sum()
        runs.append(
            {
                "seed": call_seed,
                "first_call": call == 0,
                "cached": any(same_draws(draws_, other) for other in earlier),
                "sampling_s": sampling_s,
                "ess_per_s": stats["min_ess_bulk"] / sampling_s,
                "divergences": int(divergent),
                "steps_per_draw": float(np.mean(fit["n_leapfrog__"])),
                "step_size": float(np.median(fit["stepsize__"])),
                **stats,
            }
        )
        earlier.append(draws_)
    return {"compile_s": compile_s, "runs": runs}


def measure(args: argparse.Namespace, scratch: Path, save: Callable[[dict], None]) -> dict:
    """Every course model: each PyMC configuration cold and warm, Stan cold; agreement."""
    names = args.models or [case.name for case in MODEL_CASES]
    sizes = ["--draws", str(args.draws), "--tune", str(args.tune), "--chains", "4"]
    results = {}
    for name in names:
        case = CASES[name]
        entry = {"pymc": {}, "stan": {}}
        for config in args.configs:
            cache = scratch / f"model-{name}-{config}"
            runs = []
            for repeat in range(args.repeats + 1):  # the first one is cold
                arguments = [
                    "worker-pymc",
                    name,
                    config,
                    *sizes,
                    "--seed",
                    str(case.seed + repeat),
                ]
                result = run_worker(arguments, cache_env(cache), args.timeout)
                result["cold"] = repeat == 0
                runs.append(result)
                log(f"{name} {config} {'cold' if repeat == 0 else 'warm'}: {_brief(result)}")
            entry["pymc"][config] = runs
        stan_runs = []
        for repeat in range(args.stan_compiles):
            cache = scratch / f"stan-{name}-{repeat}"  # empty: httpstan really recompiles
            samples = args.stan_calls if repeat == 0 else 1  # a first call, then repeats
            arguments = [
                "worker-stan",
                name,
                *sizes,
                "--seed",
                str(case.seed + repeat),
                "--samples",
                str(samples),
            ]
            result = run_worker(arguments, cache_env(cache), args.timeout)
            stan_runs.append(result)
            log(f"{name} stan compile {repeat}: {_brief(result)}")
            shutil.rmtree(cache, ignore_errors=True)
        entry["stan"] = stan_runs
        results[name] = entry
        save(results)
    return results


def _brief(result: dict) -> str:
    if "error" in result:
        return "ERROR " + result["error"]
    keys = ("time_to_posterior_s", "compile_s", "sampling_s", "min_ess_bulk", "divergences")
    return ", ".join(f"{k}={result[k]:.3g}" for k in keys if k in result)


# ------------------------------------------------------------------------------ the report


def stan_summary(stan: list[dict]) -> dict:
    """Stan's numbers for one model from its worker results: compile time, the first
    sampling call of a process (httpstan starts its sampler processes) and the repeat calls
    on the compiled model, ESS/s of the repeat calls (of all calls for results older than
    the per-call seeds), compile + first call (a Stan user's wait for a first posterior),
    and how many calls returned a cached fit (must be 0)."""
    ok_runs = [r for r in stan if "error" not in r]
    calls = [run for r in ok_runs for run in r["runs"]]
    if not calls:
        return {}
    first = [c for c in calls if c.get("first_call")]
    repeat = [c for c in calls if c.get("first_call") is False] or calls
    compile_s = summarize([r["compile_s"] for r in ok_runs])
    first_s = summarize([c["sampling_s"] for c in first or calls])
    return {
        "compile_s": compile_s,
        "first_call_s": first_s,
        "repeat_s": summarize([c["sampling_s"] for c in repeat]),
        "ess_per_s": summarize([c["ess_per_s"] for c in repeat]),
        "calls": calls,
        "repeat_calls": repeat,
        "total_s": compile_s["median"] + first_s["median"],
        "cached": sum(bool(c.get("cached")) for c in calls),
        "quantities": calls[0]["quantities"],
    }


def model_rows(models: dict) -> tuple[list[list], list[dict]]:
    """Markdown rows and CSV records of the models section, with the course/Stan ratios."""
    rows, recs = [], []
    for name, entry in models.items():
        stan = stan_summary(entry["stan"])
        stan_ess = stan.get("ess_per_s")
        stan_total = stan.get("total_s")
        stan_q = stan.get("quantities")
        sampling = "-"
        if stan:
            sampling = f"{fmt_range(stan['repeat_s'])} (first {fmt_range(stan['first_call_s'])})"
            if stan["cached"]:
                sampling += f" **{stan['cached']} cached!**"
        rows.append(
            [
                name,
                "stan",
                fmt_range(stan.get("compile_s")),
                "-",
                sampling,
                stat_str(stan.get("calls", []), "steps_per_draw"),
                stat_str(stan.get("repeat_calls", []), "min_ess_bulk"),
                fmt_range(stan_ess),
                stat_str(stan.get("calls", []), "divergences"),
                "-",
                "-",
                "-",
                "-",
            ]
        )
        recs += records(
            "models",
            name,
            "stan",
            {
                "compile_s": stan.get("compile_s"),
                "first_call_s": stan.get("first_call_s"),
                "sampling_s": stan.get("repeat_s"),
                "ess_per_s": stan_ess,
            },
        )
        for config, runs in entry["pymc"].items():
            good = [r for r in runs if "error" not in r]
            if not good:
                error = "ERROR: " + runs[0].get("error", "?")[:80]
                rows.append([name, config, error] + ["-"] * 10)
                continue
            cold = [r for r in good if r["cold"]]
            warm = [r for r in good if not r["cold"]] or cold
            t_cold = summarize([r["time_to_posterior_s"] for r in cold]) if cold else None
            t_warm = summarize([r["time_to_posterior_s"] for r in warm])
            sample = summarize([r["sampling_s"] for r in warm])
            ess = summarize([r["ess_per_s"] for r in warm])
            time_ratio = ratio(t_warm["median"], stan_total)
            time_ratio_cold = ratio(t_cold["median"], stan_total) if t_cold else None
            ess_ratio = ratio(ess["median"], stan_ess["median"] if stan_ess else None)
            z = _max_z(good[0]["quantities"], stan_q)
            rows.append(
                [
                    name,
                    config,
                    fmt_range(t_cold),
                    fmt_range(t_warm),
                    fmt_range(sample),
                    stat_str(warm, "steps_per_draw"),
                    stat_str(warm, "min_ess_bulk"),
                    fmt_range(ess),
                    stat_str(good, "divergences"),
                    _ratio_str(time_ratio, time_ratio_cold),
                    _ratio_str(ess_ratio),
                    f"{ok(at_most(time_ratio, TARGET_TIME_RATIO))} / "
                    f"{ok(at_least(ess_ratio, TARGET_ESS_RATIO))}",
                    "-" if z is None else f"{z:.1f}" + (" **!**" if z > AGREEMENT_Z else ""),
                ]
            )
            recs += records(
                "models",
                name,
                config,
                {
                    "time_to_posterior_cold_s": t_cold,
                    "time_to_posterior_warm_s": t_warm,
                    "sampling_s": sample,
                    "ess_per_s": ess,
                    "time_ratio_warm": single(time_ratio),
                    "time_ratio_cold": single(time_ratio_cold),
                    "ess_ratio": single(ess_ratio),
                    "max_agreement_z": single(z),
                },
            )
    return rows, recs


def _max_z(first: dict, second: dict | None) -> float | None:
    """The largest agreement score, or None when there is nothing to compare."""
    try:
        return max(agreement(first, second).values()) if second else None
    except ValueError:
        return None


def _ratio_str(warm: float | None, cold: float | None = None) -> str:
    if warm is None:
        return "-"
    return f"{warm:.2f}" + ("" if cold is None else f" (cold {cold:.2f})")


def report(section: dict, results: dict | None = None) -> tuple[str, list[dict]]:
    """The section's Markdown (bench/templates/models.md) and its CSV records."""
    rows, recs = model_rows(section["data"])
    table = markdown_table(
        [
            "model",
            "sampler",
            "cold: to posterior / Stan compile (s)",
            "warm: to posterior (s)",
            "sampling (s)",
            "steps per draw",
            "min bulk ESS",
            "ESS/s",
            "divergences",
            "time ratio vs Stan",
            "ESS/s ratio",
            "targets time / ESS",
            "max z",
        ],
        rows,
    )
    text = fill(
        "models",
        measured=measured(section),
        tune=section["tune"],
        draws=section["draws"],
        repeats=section["repeats"],
        agreement_z=f"{AGREEMENT_Z:g}",
        time_target=f"{TARGET_TIME_RATIO:g}",
        ess_target=f"{TARGET_ESS_RATIO:g}",
        table=table,
    )
    return text, recs
