"""Results kept between grading runs, one file per student x lesson, beside the CSV.

Each file holds the submission's SHA-256, the grading version (the lesson, its solution,
the grader's and course_utils's code, the limits: :func:`lesson_version`), the sandbox's
plain result (written as soon as the notebook has run, so that an interrupted run resumes
from there) and, once the lesson is scored, the points and reasons per exercise. A later
run reuses an entry only when both the hash and the version match; ``--force`` ignores the
store. Files are written atomically (temporary file, then rename); one that cannot be read
is treated as absent.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

from tools.grading.parallel import code_version

FORMAT = 2


def lesson_version(lesson_files: list[Path], limits: dict) -> str:
    """What a stored result depends on besides the submission itself."""
    digest = hashlib.sha256(f"format {FORMAT}\0{code_version()}\0".encode())
    for path in lesson_files:
        digest.update(path.read_bytes() + b"\0")
    digest.update(json.dumps(limits, sort_keys=True).encode())
    return digest.hexdigest()[:16]


class ResultStore:
    """The folder of stored results (``folder`` is created on first write)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)

    def _path(self, student: str, lesson: str) -> Path:
        key = hashlib.sha256(f"{student}\0{lesson}".encode()).hexdigest()[:32]
        return self.folder / f"{key}.json"

    def get(self, student: str, lesson: str, sha256: str, version: str) -> dict | None:
        """The stored entry for this exact submission and version, or None."""
        try:
            entry = json.loads(self._path(student, lesson).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(entry, dict):
            return None
        wanted = {"student": student, "lesson": lesson, "sha256": sha256, "version": version}
        if any(entry.get(k) != v for k, v in wanted.items()):
            return None
        return entry

    def last_seconds(self, student: str, lesson: str) -> float | None:
        """How long this student's lesson took in its sandbox when it was last run (any
        hash or version: an estimate for scheduling only), or None."""
        try:
            seconds = json.loads(self._path(student, lesson).read_text())["result"]["seconds"]
        except (OSError, ValueError, KeyError, TypeError):
            return None
        return float(seconds) if isinstance(seconds, int | float) else None

    def put(self, student: str, lesson: str, sha256: str, version: str, **fields) -> None:
        """Store ``result=`` and/or ``reasons=`` for this submission (merged with what is
        stored for the same hash and version)."""
        entry = self.get(student, lesson, sha256, version) or {
            "student": student,
            "lesson": lesson,
            "sha256": sha256,
            "version": version,
        }
        entry.update(fields)
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self._path(student, lesson)
        handle = tempfile.NamedTemporaryFile(
            "w", dir=self.folder, prefix=f".{path.name}.", delete=False
        )
        try:
            with handle:
                json.dump(entry, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(handle.name, path)
        except BaseException:
            Path(handle.name).unlink(missing_ok=True)
            raise
