"""bench/results.md and bench/results.csv from bench/results.json: a header, then each
measured section's Markdown (its prose in bench/templates/), then bench/notes.md."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable

from bench import grading, kernel, models, notebooks, setup_time, widgets
from bench.common import BENCH, NOTES, RESULTS_CSV, RESULTS_JSON, RESULTS_MD, fill

#: Each section's report (its results, and all results for sections that quote another),
#: in the order results.md shows them.
REPORTS: dict[str, Callable[[dict, dict], tuple[str, list[dict]]]] = {
    "models": models.report,
    "kernel": kernel.report,
    "notebooks": notebooks.report,
    "course": notebooks.report_course,
    "widgets": widgets.report,
    "setup": setup_time.report,
    "grading": grading.report,
}
CSV_FIELDS = ["section", "item", "config", "metric", "median", "min", "max", "n", "p95"]


def render(results: dict) -> tuple[str, list[dict]]:
    """bench/results.md text and bench/results.csv records from all sections measured."""
    info = results.get("machine", {})
    parts = [
        fill(
            "header",
            date=info.get("date"),
            options=results.get("options", ""),
            cpu=info.get("cpu"),
            cores=info.get("cores"),
            ram_gb=info.get("ram_gb"),
            os=info.get("os"),
            python=info.get("python"),
            compiler=info.get("compiler"),
            packages=", ".join(f"{k} {v}" for k, v in info.get("packages", {}).items()),
            load_average=info.get("load_average"),
        )
    ]
    recs: list[dict] = []
    for name, report in REPORTS.items():
        if name in results:
            text, section_records = report(results[name], results)
            parts.append(text)
            recs += section_records
    if NOTES.exists():  # hand-written reading of the numbers, kept across runs
        parts.append(NOTES.read_text().strip())
    return "\n\n".join(parts) + "\n", recs


def write_outputs(results: dict) -> None:
    """bench/results.json, bench/results.md and bench/results.csv."""
    BENCH.mkdir(exist_ok=True)
    RESULTS_JSON.write_text(json.dumps(results, indent=1, default=float) + "\n")
    text, recs = render(results)
    RESULTS_MD.write_text(text)
    with RESULTS_CSV.open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=CSV_FIELDS, extrasaction="ignore")
        writer.writeheader()
        for record in recs:
            writer.writerow({k: record.get(k) for k in CSV_FIELDS})
