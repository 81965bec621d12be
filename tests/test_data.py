"""The shipped data hold exactly the counts of the course brief; damage is reported clearly.

The expected counts are typed in here again from ../shared/COURSE.md, independently of the
constants in course_utils.data that the files were built from.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from course_utils import data

# site: (method 0 students, passed, method 1 students, passed), from COURSE.md lesson 1.
TUTORING_TABLE = {
    1: (2, 1, 2, 0),
    2: (1, 1, 3, 2),
    3: (3, 3, 1, 1),
    4: (3, 3, 1, 0),
    5: (1, 0, 3, 0),
    6: (2, 0, 2, 0),
}
SCHOOLS_Y = [28, 8, -3, 7, -1, 1, 18, 12]
SCHOOLS_SIGMA = [15, 10, 16, 11, 9, 11, 10, 18]
SEASON_PASS_TABLE = [
    ("NoBundle", "Mail", 359, 637),
    ("NoBundle", "Park", 284, 333),
    ("NoBundle", "Email", 27, 512),
    ("Bundle", "Mail", 242, 691),
    ("Bundle", "Park", 639, 862),
    ("Bundle", "Email", 38, 121),
]


def test_tutoring_has_the_lecture_counts():
    frame = data.load_tutoring()
    assert len(frame) == 24
    assert list(frame.columns) == ["site_id", "student_id", "method", "passed"]
    assert all(dtype == "int64" for dtype in frame.dtypes)
    assert frame["student_id"].is_unique
    for site, (n0, p0, n1, p1) in TUTORING_TABLE.items():
        for method, n, passed in ((0, n0, p0), (1, n1, p1)):
            rows = frame[(frame.site_id == site) & (frame.method == method)]
            assert (len(rows), rows.passed.sum()) == (n, passed), (site, method)
    rates = frame.groupby("method")["passed"].mean()
    assert rates[0] == pytest.approx(8 / 12) and rates[1] == pytest.approx(3 / 12)


def test_eight_schools_has_the_published_values():
    frame = data.load_eight_schools()
    assert list(frame["school"]) == list("ABCDEFGH")
    assert frame["y"].tolist() == SCHOOLS_Y
    assert frame["sigma"].tolist() == SCHOOLS_SIGMA
    assert frame["y"].dtype == "float64" and frame["sigma"].dtype == "float64"


def test_season_pass_rows_have_baseline_levels_first():
    frame = data.load_season_pass()
    assert frame.shape == (3156, 3)
    assert list(frame["Channel"].cat.categories) == ["Mail", "Park", "Email"]
    assert list(frame["Promo"].cat.categories) == ["NoBundle", "Bundle"]
    assert list(frame["Pass"].cat.categories) == ["NoPass", "YesPass"]
    assert (frame["Pass"] == "YesPass").sum() == 1589


def test_season_pass_grouped_is_the_binomial_table():
    table = data.load_season_pass(grouped=True)
    assert list(table.columns) == ["promo", "channel", "bought", "n"]
    rows = [(r.promo, r.channel, r.bought, r.n) for r in table.itertuples(index=False)]
    assert rows == SEASON_PASS_TABLE
    assert table["bought"].dtype == "int64" and table["n"].dtype == "int64"
    assert isinstance(table["channel"].dtype, pd.CategoricalDtype)
    # The grouped table is the Bernoulli rows counted, not a separate copy of the counts.
    rows = data.load_season_pass()
    crosstab = pd.crosstab([rows.Promo, rows.Channel], rows.Pass)
    assert crosstab["YesPass"].tolist() == table["bought"].tolist()


def test_season_pass_grouped_rejects_non_bool():
    with pytest.raises(TypeError, match="grouped must be True or False"):
        data.load_season_pass(grouped="yes")


def test_build_script_reproduces_the_shipped_files(root):
    result = subprocess.run(
        [sys.executable, "-m", "tools.build_data", "--check"],
        cwd=root,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def data_copy(tmp_path, monkeypatch, root) -> Path:
    """A writable copy of data/ that the loaders read instead of the shipped one."""
    folder = tmp_path / "data"
    shutil.copytree(root / "data", folder)
    monkeypatch.setenv("COURSE_DATA_DIR", str(folder))
    return folder


def test_missing_file_is_named(data_copy):
    (data_copy / "tutoring.csv").unlink()
    with pytest.raises(data.DataFileError, match=r"tutoring\.csv: data file is missing"):
        data.load_tutoring()


def test_truncated_file_is_reported(data_copy):
    path = data_copy / "season_pass.csv"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text("".join(lines[:1000]))
    with pytest.raises(data.DataFileError, match=r"season_pass\.csv: expected 3156 data rows"):
        data.load_season_pass()


def test_changed_count_is_reported(data_copy):
    path = data_copy / "tutoring.csv"
    frame = pd.read_csv(path)
    frame.loc[(frame.site_id == 5) & (frame.method == 1), "passed"] = 1
    frame.to_csv(path, index=False)
    with pytest.raises(data.DataFileError, match="site 5, method 1 should have 3 students"):
        data.load_tutoring()


def test_changed_value_is_reported(data_copy):
    path = data_copy / "eight_schools.csv"
    path.write_text(path.read_text().replace("A,28,15", "A,28,5"))
    with pytest.raises(data.DataFileError, match="school A should have y=28, sigma=15"):
        data.load_eight_schools()


def test_unknown_level_is_reported(data_copy):
    path = data_copy / "season_pass.csv"
    path.write_text(path.read_text().replace("Email", "E-mail", 1))
    with pytest.raises(data.DataFileError, match="'Channel' has unknown values"):
        data.load_season_pass(grouped=True)


def test_reordered_but_valid_file_fails_the_checksum(data_copy):
    path = data_copy / "tutoring.csv"
    header, *rows = path.read_text().splitlines(keepends=True)
    path.write_text(header + "".join(reversed(rows)))
    with pytest.raises(data.DataFileError, match="checksum does not match"):
        data.load_tutoring()


def test_not_a_csv_is_reported(data_copy):
    (data_copy / "eight_schools.csv").write_bytes(b"\x00\xff\xfe binary junk")
    with pytest.raises(data.DataFileError, match=r"eight_schools\.csv"):
        data.load_eight_schools()


def test_validate_all_reports_every_file():
    assert data.validate_all() == {
        "tutoring.csv": "ok",
        "eight_schools.csv": "ok",
        "season_pass.csv": "ok",
    }
