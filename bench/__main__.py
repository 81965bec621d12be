"""The command line: ``python -m bench [options]`` measures, ``python -m bench worker-...``
is one measurement in a fresh process (internal; the sections start them)."""

from __future__ import annotations

import argparse
import datetime
import json
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path

from bench import grading, kernel, models, notebooks, setup_time, widgets
from bench.common import (
    RESULTS_CSV,
    RESULTS_JSON,
    RESULTS_MD,
    ROOT,
    commit,
    load_average,
    log,
    machine,
)
from bench.report import write_outputs

Measure = Callable[[argparse.Namespace, Path, Callable[[dict], None]], dict]

#: Each section's measurement, in the order --only lists them by default.
SECTIONS: dict[str, Measure] = {
    "notebooks": notebooks.measure,
    "course": notebooks.measure_course,
    "models": models.measure,
    "kernel": kernel.measure,
    "widgets": widgets.measure,
    "setup": setup_time.measure,
    "grading": grading.measure,
}
DEFAULT_SECTIONS = ["notebooks", "course", "models", "kernel", "grading"]


def parse(argv: list[str] | None) -> argparse.Namespace:
    """The command line: the main run, or one of the workers (internal)."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    pymc_worker = sub.add_parser("worker-pymc")
    pymc_worker.add_argument("model", choices=sorted(models.CASES))
    pymc_worker.add_argument("config", choices=sorted(models.PYMC_CONFIGS))
    stan_worker = sub.add_parser("worker-stan")
    stan_worker.add_argument("model", choices=sorted(models.CASES))
    stan_worker.add_argument("--samples", type=int, default=1)
    for worker in (pymc_worker, stan_worker):
        worker.add_argument("--draws", type=int, default=1000)
        worker.add_argument("--tune", type=int, default=1000)
        worker.add_argument("--chains", type=int, default=4)
        worker.add_argument("--seed", type=int, default=1)
    kernel_worker = sub.add_parser("worker-kernel")
    kernel_worker.add_argument("model", choices=sorted(models.CASES))
    kernel_worker.add_argument("--draws", type=int, default=1000)
    kernel_worker.add_argument("--tune", type=int, default=1000)
    kernel_worker.add_argument("--seed", type=int, default=1)
    kernel_worker.add_argument("--repeats", type=int, default=2)
    lesson_worker = sub.add_parser("worker-kernel-lesson")
    lesson_worker.add_argument("path")
    notebook_worker = sub.add_parser("worker-notebook")
    notebook_worker.add_argument("path")
    notebook_worker.add_argument("--timeout", type=int, default=900)
    parser.add_argument(
        "--quick",
        action="store_true",
        help="development: 1 repeat, 200 tune + 200 draws, a subset",
    )
    parser.add_argument("--repeats", type=int, default=3, help="warm repeats per measurement")
    parser.add_argument(
        "--notebook-repeats",
        type=int,
        default=None,
        help="warm runs per notebook (default: --repeats)",
    )
    parser.add_argument(
        "--stan-compiles",
        type=int,
        default=None,
        help="cold Stan compiles per model (default: --repeats)",
    )
    parser.add_argument(
        "--only",
        nargs="+",
        choices=list(SECTIONS),
        default=DEFAULT_SECTIONS,
        help="sections, in order",
    )
    parser.add_argument(
        "--stan-calls",
        type=int,
        default=4,
        help="sampling calls (each a new seed) on the first Stan compile of each model",
    )
    parser.add_argument("--setup", action="store_true", help="also time a fresh clone's setup")
    parser.add_argument(
        "--render",
        action="store_true",
        help="measure nothing: rewrite results.md and results.csv from results.json "
        "(after editing bench/notes.md or a template)",
    )
    parser.add_argument("--models", nargs="+", choices=sorted(models.CASES), default=None)
    parser.add_argument(
        "--configs",
        nargs="+",
        choices=list(models.PYMC_CONFIGS),
        default=list(models.PYMC_CONFIGS),
    )
    parser.add_argument("--notebooks", nargs="+", default=None, help="substrings of their paths")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--widget-rounds", type=int, default=5)
    parser.add_argument("--timeout", type=float, default=900.0, help="seconds per worker")
    args = parser.parse_args(argv)
    if args.command is None:
        if args.repeats < 1:
            parser.error("--repeats must be at least 1")
        if args.stan_calls < 2:
            parser.error("--stan-calls must be at least 2 (a first call and a repeat)")
        if args.quick:
            args.repeats, args.draws, args.tune, args.widget_rounds = 1, 200, 200, 1
            args.models = args.models or ["beta_binomial", "eight_schools"]
            args.notebooks = args.notebooks or ["00_start_here"]
            configs = list(models.PYMC_CONFIGS)
            args.configs = args.configs if args.configs != configs else ["nutpie"]
            args.stan_compiles = args.stan_compiles or 1
            args.stan_calls = min(args.stan_calls, 2)
        args.notebook_repeats = args.notebook_repeats or args.repeats
        args.stan_compiles = args.stan_compiles or args.repeats
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.command == "worker-pymc":
        result = models.worker_pymc(
            args.model, args.config, args.draws, args.tune, args.chains, args.seed
        )
    elif args.command == "worker-stan":
        result = models.worker_stan(
            args.model, args.draws, args.tune, args.chains, args.seed, args.samples
        )
    elif args.command == "worker-kernel":
        result = kernel.worker_kernel_fits(
            args.model, args.draws, args.tune, args.seed, args.repeats
        )
    elif args.command == "worker-kernel-lesson":
        result = kernel.worker_kernel_lesson(args.path)
    elif args.command == "worker-notebook":
        result = notebooks.worker_notebook(args.path, args.timeout)
    else:
        return run(args)
    print(json.dumps(result, default=float))
    return 0


def merges_items(section: str, args: argparse.Namespace) -> bool:
    """True when this run measures some of a section's items only (--models, --notebooks):
    they replace their earlier results and the others stay."""
    return (section == "models" and bool(args.models) and not args.quick) or (
        section == "notebooks" and bool(args.notebooks) and not args.quick
    )


def run(args: argparse.Namespace) -> int:
    """Measure the chosen sections; merge them into bench/results.json; render."""
    results = json.loads(RESULTS_JSON.read_text()) if RESULTS_JSON.exists() else {}
    if args.render:
        write_outputs(results)
        log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_CSV.relative_to(ROOT)}")
        return 0
    results["machine"] = machine()
    results["options"] = " ".join(sys.argv[1:])
    sections = list(dict.fromkeys([*args.only, *(["setup"] if args.setup else [])]))
    with tempfile.TemporaryDirectory(prefix="bench-") as scratch:
        for section in sections:
            log(f"section {section}")
            before = results.get(section)
            subset = merges_items(section, args)
            start_load = load_average()

            def save(
                data: dict, section=section, before=before, subset=subset, start_load=start_load
            ) -> None:
                """Store (part of) a section's results and rewrite the outputs: the long
                sections save after every item. A run of some models or notebooks only
                replaces those items and keeps the others, saying so."""
                entry = {
                    "date": datetime.datetime.now().isoformat(timespec="seconds"),
                    "repeats": args.notebook_repeats if section == "notebooks" else args.repeats,
                    "draws": args.draws,
                    "tune": args.tune,
                    "load_average": start_load,
                    "load_average_end": load_average(),
                    "commit": commit(),
                    "data": data,
                }
                if subset and before and isinstance(before.get("data"), dict):
                    update = {k: entry[k] for k in ("date", "load_average", "commit")}
                    entry = {
                        **before,
                        "data": {**before["data"], **data},
                        "updates": [*before.get("updates", []), {**update, "items": sorted(data)}],
                    }
                results[section] = entry
                write_outputs(results)

            save(SECTIONS[section](args, Path(scratch), save))
    log(f"wrote {RESULTS_MD.relative_to(ROOT)} and {RESULTS_CSV.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
