"""Load the course's data sets from ``data/``, checked against what they must contain.

Every loader verifies the file's SHA-256 checksum first. When the checksum does not match,
the file's content is validated to say what is wrong (missing rows, a changed count, an
unknown level), so an edited or truncated file never gives a silent wrong answer.

The counts below are the single source of truth for the shipped files:
``tools/build_data.py`` writes the CSV files from them, and the loaders validate against
them.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pandas as pd

from course_utils import validation

__all__ = [
    "CHANNEL_LEVELS",
    "CHECKSUMS",
    "EIGHT_SCHOOLS",
    "PASS_LEVELS",
    "PROMO_LEVELS",
    "SEASON_PASS_COUNTS",
    "TUTORING_COUNTS",
    "DataFileError",
    "data_dir",
    "load_eight_schools",
    "load_season_pass",
    "load_tutoring",
    "validate_all",
]

#: Tutoring experiment, per site: (site, method) -> (students, passed).
TUTORING_COUNTS: dict[tuple[int, int], tuple[int, int]] = {
    (1, 0): (2, 1),
    (1, 1): (2, 0),
    (2, 0): (1, 1),
    (2, 1): (3, 2),
    (3, 0): (3, 3),
    (3, 1): (1, 1),
    (4, 0): (3, 3),
    (4, 1): (1, 0),
    (5, 0): (1, 0),
    (5, 1): (3, 0),
    (6, 0): (2, 0),
    (6, 1): (2, 0),
}

#: Eight schools (BDA3, section 5.5): school -> (estimated effect y, standard error sigma).
EIGHT_SCHOOLS: dict[str, tuple[float, float]] = {
    "A": (28.0, 15.0),
    "B": (8.0, 10.0),
    "C": (-3.0, 16.0),
    "D": (7.0, 11.0),
    "E": (-1.0, 9.0),
    "F": (1.0, 11.0),
    "G": (18.0, 10.0),
    "H": (12.0, 18.0),
}

#: Levels of the season-pass factors; the first level of each is the baseline.
CHANNEL_LEVELS: tuple[str, ...] = ("Mail", "Park", "Email")
PROMO_LEVELS: tuple[str, ...] = ("NoBundle", "Bundle")
PASS_LEVELS: tuple[str, ...] = ("NoPass", "YesPass")

#: Season passes: (promo, channel) -> (bought, contacts).
SEASON_PASS_COUNTS: dict[tuple[str, str], tuple[int, int]] = {
    ("NoBundle", "Mail"): (359, 637),
    ("NoBundle", "Park"): (284, 333),
    ("NoBundle", "Email"): (27, 512),
    ("Bundle", "Mail"): (242, 691),
    ("Bundle", "Park"): (639, 862),
    ("Bundle", "Email"): (38, 121),
}

#: SHA-256 of each shipped file, as written by ``tools/build_data.py``.
CHECKSUMS: dict[str, str] = {
    "tutoring.csv": "b71c265aaa6c6f8ca6579a37dbe567da361483256fcfd9b3b5fa2d092e2ea522",
    "eight_schools.csv": "a1c28881a82a652fba1d3afc6254761fa95fd7f16f2ccab1fc7a7075dc8a8a0e",
    "season_pass.csv": "10d7cbd574a593db32ce883fc5074d5735936febf60021ef777be1fe34cd032e",
}


class DataFileError(ValueError):
    """A course data file is missing, unreadable or does not hold the expected data."""


def data_dir() -> Path:
    """Return the folder with the course's CSV files.

    It is ``data/`` at the top of the course repository, or the folder named by the
    environment variable ``COURSE_DATA_DIR`` when that is set.
    """
    override = os.environ.get("COURSE_DATA_DIR")
    if override:
        return Path(override)
    return Path(__file__).resolve().parent.parent / "data"


def _path(name: str) -> Path:
    path = data_dir() / name
    if not path.is_file():
        raise DataFileError(
            f"{path}: data file is missing. It ships with the course in data/; restore it "
            f"with `git checkout -- data/{name}` or rebuild it with `python tools/build_data.py`."
        )
    return path


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _read_csv(path: Path, columns: list[str]) -> pd.DataFrame:
    try:
        frame = pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataFileError(f"{path}: cannot be read as CSV ({err}).") from err
    if list(frame.columns) != columns:
        raise DataFileError(f"{path}: expected columns {columns}, found {list(frame.columns)}.")
    if frame.isna().any().any():
        bad = frame.columns[frame.isna().any()].tolist()
        raise DataFileError(f"{path}: missing values in column(s) {bad}.")
    return frame


def _check_levels(path: Path, frame: pd.DataFrame, column: str, allowed: tuple) -> None:
    unknown = sorted(set(frame[column]) - set(allowed), key=str)
    if unknown:
        raise DataFileError(f"{path}: column {column!r} has unknown values {unknown}.")


def _check_rows(path: Path, frame: pd.DataFrame, expected: int) -> None:
    if len(frame) != expected:
        raise DataFileError(
            f"{path}: expected {expected} data rows, found {len(frame)} "
            "(file truncated or edited?)."
        )


def _checksum_error(path: Path) -> DataFileError:
    return DataFileError(
        f"{path}: content is valid but the checksum does not match the shipped file "
        f"(sha256 {_sha256(path)}, expected {CHECKSUMS[path.name]}); it was edited. "
        f"Restore it with `git checkout -- data/{path.name}`."
    )


def load_tutoring() -> pd.DataFrame:
    """Load the tutoring experiment: 24 students in 6 sites, two tutoring methods.

    Returns
    -------
    pandas.DataFrame
        One row per student with integer columns ``site_id`` (1-6), ``student_id``
        (1-24), ``method`` (0 = old, 1 = new) and ``passed`` (0/1).

    Raises
    ------
    DataFileError
        If ``data/tutoring.csv`` is missing or does not hold the course's counts.
    """
    path = _path("tutoring.csv")
    columns = ["site_id", "student_id", "method", "passed"]
    frame = _read_csv(path, columns)
    if _sha256(path) == CHECKSUMS[path.name]:
        return frame.astype("int64")
    expected_rows = sum(students for students, _ in TUTORING_COUNTS.values())
    _check_rows(path, frame, expected_rows)
    _check_levels(path, frame, "method", (0, 1))
    _check_levels(path, frame, "passed", (0, 1))
    _check_levels(path, frame, "site_id", tuple({site for site, _ in TUTORING_COUNTS}))
    if frame["student_id"].duplicated().any():
        raise DataFileError(f"{path}: student_id values are not unique.")
    observed = frame.groupby(["site_id", "method"])["passed"].agg(["size", "sum"])
    for (site, method), (students, passed) in TUTORING_COUNTS.items():
        found: tuple[int, ...] = (0, 0)
        if (site, method) in observed.index:
            found = tuple(int(v) for v in observed.loc[(site, method)].to_numpy())
        if found != (students, passed):
            raise DataFileError(
                f"{path}: site {site}, method {method} should have {students} students "
                f"of whom {passed} passed; found {found[0]} and {found[1]}."
            )
    raise _checksum_error(path)


def load_eight_schools() -> pd.DataFrame:
    """Load the eight schools coaching experiment (Bayesian Data Analysis, 3rd ed.).

    Returns
    -------
    pandas.DataFrame
        One row per school with columns ``school`` (str, A-H), ``y`` (estimated
        coaching effect, float) and ``sigma`` (its standard error, float).

    Raises
    ------
    DataFileError
        If ``data/eight_schools.csv`` is missing or does not hold the published values.
    """
    path = _path("eight_schools.csv")
    frame = _read_csv(path, ["school", "y", "sigma"])
    frame = frame.astype({"school": "str", "y": "float64", "sigma": "float64"})
    if _sha256(path) == CHECKSUMS[path.name]:
        return frame
    _check_rows(path, frame, len(EIGHT_SCHOOLS))
    for row in frame.itertuples(index=False):
        expected = EIGHT_SCHOOLS.get(row.school)
        if expected is None:
            raise DataFileError(f"{path}: unknown school {row.school!r}.")
        if (row.y, row.sigma) != expected:
            raise DataFileError(
                f"{path}: school {row.school} should have y={expected[0]:g}, "
                f"sigma={expected[1]:g}; found y={row.y:g}, sigma={row.sigma:g}."
            )
    raise _checksum_error(path)


def _season_pass_categoricals(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.assign(
        Channel=pd.Categorical(frame["Channel"], categories=list(CHANNEL_LEVELS)),
        Promo=pd.Categorical(frame["Promo"], categories=list(PROMO_LEVELS)),
        Pass=pd.Categorical(frame["Pass"], categories=list(PASS_LEVELS)),
    )


def load_season_pass(grouped: bool = False) -> pd.DataFrame:
    """Load the season-pass sales: 3,156 customer contacts through three channels.

    Parameters
    ----------
    grouped : bool, default False
        False: one row per contact with categorical columns ``Channel`` (Mail, Park,
        Email), ``Promo`` (NoBundle, Bundle) and ``Pass`` (NoPass, YesPass); the first
        level of each is the baseline. True: the 6-row binomial table with columns
        ``promo`` and ``channel`` (categoricals as above), ``bought`` and ``n`` (integers).

    Raises
    ------
    TypeError
        If ``grouped`` is not True or False.
    DataFileError
        If ``data/season_pass.csv`` is missing or does not hold the course's counts.
    """
    grouped = validation.boolean("grouped", grouped)
    path = _path("season_pass.csv")
    frame = _read_csv(path, ["Channel", "Promo", "Pass"])
    if _sha256(path) != CHECKSUMS[path.name]:
        _validate_season_pass(path, frame)
        raise _checksum_error(path)
    frame = _season_pass_categoricals(frame)
    if not grouped:
        return frame
    return _group_season_pass(frame)


def _group_season_pass(frame: pd.DataFrame) -> pd.DataFrame:
    table = (
        frame.assign(bought=(frame["Pass"] == "YesPass").astype("int64"))
        .groupby(["Promo", "Channel"], observed=True)["bought"]
        .agg(bought="sum", n="size")
        .reset_index()
        .rename(columns={"Promo": "promo", "Channel": "channel"})
    )
    return table.astype({"bought": "int64", "n": "int64"})


def _validate_season_pass(path: Path, frame: pd.DataFrame) -> None:
    expected_rows = sum(n for _, n in SEASON_PASS_COUNTS.values())
    _check_rows(path, frame, expected_rows)
    _check_levels(path, frame, "Channel", CHANNEL_LEVELS)
    _check_levels(path, frame, "Promo", PROMO_LEVELS)
    _check_levels(path, frame, "Pass", PASS_LEVELS)
    table = _group_season_pass(_season_pass_categoricals(frame))
    for row in table.itertuples(index=False):
        expected = SEASON_PASS_COUNTS[(row.promo, row.channel)]
        if (row.bought, row.n) != expected:
            raise DataFileError(
                f"{path}: {row.promo} via {row.channel} should have {expected[0]} passes "
                f"bought of {expected[1]} contacts; found {row.bought} of {row.n}."
            )


def validate_all() -> dict[str, str]:
    """Load every data set once; return ``{file name: "ok"}`` or raise ``DataFileError``."""
    load_tutoring()
    load_eight_schools()
    load_season_pass()
    return dict.fromkeys(CHECKSUMS, "ok")
