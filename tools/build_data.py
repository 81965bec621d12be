"""Write the course's CSV files in data/ from the counts in course_utils.data.

The files are deterministic: running this again gives the same bytes, and the loaders in
``course_utils.data`` check those bytes by SHA-256. See data/README.md for the layout.

Usage: python -m tools.build_data [--check]
  --check  write nothing; exit 1 if a shipped file differs from what this script builds.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import sys

import numpy as np
import pandas as pd

from course_utils.data import (
    EIGHT_SCHOOLS,
    SEASON_PASS_COUNTS,
    TUTORING_COUNTS,
    data_dir,
)

#: Seed of the fixed shuffle of the season-pass contacts (their order carries no meaning).
SEASON_PASS_SHUFFLE_SEED = 20_240_301


def tutoring() -> pd.DataFrame:
    """One row per student: within a site, method 0 first, and passing students first."""
    rows = []
    for (site, method), (students, passed) in sorted(TUTORING_COUNTS.items()):
        for k in range(students):
            rows.append((site, method, int(k < passed)))
    frame = pd.DataFrame(rows, columns=["site_id", "method", "passed"])
    frame.insert(1, "student_id", np.arange(1, len(frame) + 1))
    return frame


def eight_schools() -> pd.DataFrame:
    """One row per school, A to H, with integer-valued y and sigma."""
    return pd.DataFrame(
        [(school, int(y), int(sigma)) for school, (y, sigma) in EIGHT_SCHOOLS.items()],
        columns=["school", "y", "sigma"],
    )


def season_pass() -> pd.DataFrame:
    """One row per contact, expanded from the grouped counts, in a fixed shuffled order."""
    rows = []
    for (promo, channel), (bought, n) in SEASON_PASS_COUNTS.items():
        rows += [(channel, promo, "YesPass")] * bought
        rows += [(channel, promo, "NoPass")] * (n - bought)
    frame = pd.DataFrame(rows, columns=["Channel", "Promo", "Pass"])
    order = np.random.default_rng(SEASON_PASS_SHUFFLE_SEED).permutation(len(frame))
    return frame.iloc[order].reset_index(drop=True)


BUILDERS = {
    "tutoring.csv": tutoring,
    "eight_schools.csv": eight_schools,
    "season_pass.csv": season_pass,
}


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """Serialize a frame as UTF-8 CSV with Unix line endings and no index."""
    buffer = io.StringIO()
    frame.to_csv(buffer, index=False, lineterminator="\n")
    return buffer.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    args = parser.parse_args(argv)
    folder = data_dir()
    status = 0
    for name, build in BUILDERS.items():
        content = csv_bytes(build())
        path = folder / name
        digest = hashlib.sha256(content).hexdigest()
        if args.check:
            if not path.is_file() or path.read_bytes() != content:
                print(f"{path}: differs from what tools/build_data.py builds")
                status = 1
        else:
            path.write_bytes(content)
            print(f"wrote {path} ({len(content)} bytes, sha256 {digest})")
    return status


if __name__ == "__main__":
    sys.exit(main())
