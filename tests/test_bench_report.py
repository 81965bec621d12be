"""bench.report: results.md and results.csv from the stored bench/results.json."""

import csv
import json
import re

import pytest

from bench import report
from bench.common import RESULTS_CSV, RESULTS_JSON, TEMPLATES


@pytest.fixture(scope="module")
def stored():
    return json.loads(RESULTS_JSON.read_text())


def test_every_template_belongs_to_a_section_and_every_section_has_one():
    names = {path.stem for path in TEMPLATES.glob("*.md")}
    assert names == {"header", *report.REPORTS}


def test_render_of_the_stored_results_fills_every_placeholder(stored):
    text, records = report.render(stored)
    assert not re.search(r"\$\{?[a-z_]+", text), "a $placeholder was left in results.md"
    for name in report.REPORTS:
        if name in stored:  # each measured section shows up, with its measuring date
            assert stored[name]["date"] in text, name
    assert {record["section"] for record in records} == {
        name for name in stored if name in report.REPORTS
    }


def test_the_stored_csv_is_what_render_writes(stored):
    """results.csv in the repository is the render of results.json (nobody edited either)."""
    _, records = report.render(stored)
    with RESULTS_CSV.open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(records)
    for row, record in zip(rows, records, strict=True):
        assert row["section"] == record["section"] and row["metric"] == record["metric"]
        assert row["item"] == record["item"] and row["config"] == record["config"]


def test_the_stored_markdown_is_what_render_writes(stored):
    """results.md is generated: after editing bench/notes.md or a template, run
    `python -m bench --render`."""
    text, _ = report.render(stored)
    assert (RESULTS_JSON.parent / "results.md").read_text() == text
