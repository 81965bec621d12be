"""The environment report of lesson 00."""

from __future__ import annotations

import tomllib

from packaging.requirements import Requirement

from course_utils import environment


def test_report_is_all_ok_in_the_course_environment():
    report = environment.environment_report()
    assert list(report.columns) == ["check", "status", "detail"]
    assert len(report) == 1 + len(environment.KEY_PACKAGES) + 3
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
