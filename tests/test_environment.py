"""The environment report of lesson 00."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from packaging.requirements import Requirement

from course_utils import environment


def test_report_is_all_ok_in_the_course_environment():
    report = environment.environment_report()
    assert list(report.columns) == ["check", "status", "detail"]
    assert len(report) == 1 + len(environment.KEY_PACKAGES) + 4
    assert (report["status"] == "ok").all(), report.to_string()


def test_pinned_versions_are_those_of_pyproject(root):
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    lines = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        lines += extra
    expected = {Requirement(x).name.lower(): str(Requirement(x).specifier)[2:] for x in lines}
    assert environment.pinned_versions() == expected


def test_a_wrong_version_is_reported(monkeypatch):
    wrong = {**environment.pinned_versions(), "pymc": "0.1"}
    monkeypatch.setattr(environment, "pinned_versions", lambda: wrong)
    report = environment.environment_report().set_index("check")
    assert report.loc["pymc", "status"] == "PROBLEM"
    assert "course pins 0.1" in report.loc["pymc", "detail"]


def test_broken_data_is_reported(monkeypatch, tmp_path):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path))
    report = environment.environment_report().set_index("check")
    assert report.loc["data files", "status"] == "PROBLEM"
    assert "data file is missing" in report.loc["data files", "detail"]


def test_code_generation_follows_numbas_cpu_override(monkeypatch):
    from numba.core import config

    host = environment.code_generation()
    monkeypatch.setattr(config, "CPU_NAME", "generic")
    monkeypatch.setattr(config, "CPU_FEATURES", "")
    generic = environment.code_generation()
    assert generic["cpu"] == "generic" and generic["features"] != host["features"]


def _solutions_executed_on(folder: Path, *generations: dict) -> Path:
    for number, generation in enumerate(generations):
        lesson = folder / f"0{number}_lesson"
        lesson.mkdir(parents=True)
        metadata = {environment.METADATA_KEY: {"executed_on": generation}}
        (lesson / f"0{number}_lesson.ipynb").write_text(json.dumps({"metadata": metadata}))
    return folder


def test_report_says_whether_draws_match_the_stored_outputs(monkeypatch, tmp_path):
    here = environment.code_generation()
    other = {**here, "cpu": "another-cpu", "features": "0" * 12}
    cases = [
        (_solutions_executed_on(tmp_path / "same", here, here), "match them"),
        (_solutions_executed_on(tmp_path / "other", other), "will differ in their last digits"),
        (tmp_path / "none", "no stored solution outputs"),
    ]
    read_stored = environment.stored_code_generation
    for folder, expected in cases:
        stored = read_stored(folder)
        monkeypatch.setattr(environment, "stored_code_generation", lambda stored=stored: stored)
        row = environment.environment_report().set_index("check").loc["MCMC draws"]
        assert row["status"] == "ok" and expected in row["detail"], row["detail"]


def test_the_stored_solutions_record_what_executed_them(root):
    stored = environment.stored_code_generation(root / "solutions")
    assert len(stored) == 1, "re-run `make solutions` on one machine: outputs from several CPUs"
    assert set(stored[0]) == {"cpu", "features", "numba"}
