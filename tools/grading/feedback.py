"""What students and the instructor get back: one HTML page per student and lesson, and a
class report per exercise (CSV and PNG).

The page is the student's own notebook (as submitted, from the snapshot) with a table of
points per exercise and, at each exercise's check cell, the points and the check's
message. It is written here, offline, as one self-contained file: markdown rendered with
raw HTML escaped, code and text outputs escaped, PNG images embedded; no script, no
student HTML, nothing fetched from the network.

The messages are the CSV's reasons with every number that is a hidden test's expected
value (or bound, tolerance, reference) replaced by ``…`` (:func:`redact`); the student's
own value after ``label =`` and the numbers in the checks' labels (the hidden inputs,
which the lessons show) are kept.
"""

from __future__ import annotations

import base64
import binascii
import csv
import html
import math
import re
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import mistune
import nbformat
import numpy as np

from tools.grading.plain import PlainError, decode

NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?(?!\w|\.\d)")
HIDDEN = "…"
MAX_OUTPUT_CHARS = 20_000
MAX_SECRETS = 100_000
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_markdown = mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])


# -- the hidden values ----------------------------------------------------------------


def _numbers(value: Any, out: list[float]) -> None:
    if len(out) > MAX_SECRETS:
        return
    if isinstance(value, bool):
        return
    if isinstance(value, int | float | np.number):
        if math.isfinite(float(value)):
            out.append(float(value))
    elif isinstance(value, str):
        out += [float(m) for m in NUMBER.findall(value)[:100]]
    elif isinstance(value, np.ndarray) and value.dtype.kind in "iuf":
        out += [float(v) for v in value.ravel()[:MAX_SECRETS] if np.isfinite(v)]
    elif isinstance(value, dict):
        for item in value.values():
            _numbers(item, out)
    elif isinstance(value, list | tuple):
        for item in value:
            _numbers(item, out)
    elif hasattr(value, "to_numpy"):  # pandas
        try:
            _numbers(np.asarray(value.to_numpy(), dtype=float), out)
        except (TypeError, ValueError):
            pass


def hidden_numbers(expected: list[dict]) -> list[float]:
    """Every number in one exercise's trusted expected values (all probes)."""
    out: list[float] = []
    for values in expected:
        for key, encoded in values.items():
            if key == "points":  # where a model is evaluated: the students' own inputs
                continue
            try:
                _numbers(decode(encoded), out)
            except (PlainError, TypeError, ValueError):
                _numbers(encoded, out)
    return out


def _matches(token: str, secrets: list[float]) -> bool:
    try:
        shown = float(token)
    except ValueError:
        return False
    digits = len(re.sub(r"[^0-9]", "", token.lower().split("e")[0]).lstrip("0")) or 1
    for secret in secrets:
        if shown == secret:
            return True
        # the token may be the secret rounded to the digits shown (e.g. :.4g)
        if secret != 0 and float(f"{secret:.{min(digits, 17)}g}") == shown:
            return True
        if secret != 0 and float(f"{abs(secret):.{min(digits, 17)}g}") == abs(shown):
            return True
    return False


def _hold(text: str, pattern: str) -> tuple[str, list[str]]:
    """``text`` with every match of ``pattern`` replaced by a placeholder without digits."""
    kept: list[str] = []

    def keep(match: re.Match) -> str:
        kept.append(match.group(0))
        return "\x00" + "".join(chr(97 + int(d)) for d in str(len(kept) - 1)) + "\x00"

    return re.sub(pattern, keep, text), kept


def _restore(text: str, kept: list[str]) -> str:
    def back(match: re.Match) -> str:
        return kept[int("".join(str(ord(c) - 97) for c in match.group(1)))]

    return re.sub("\x00([a-j]+)\x00", back, text)


def redact(reason: str, secrets: list[float], labels: list[str]) -> str:
    """``reason`` with every number that shows a hidden value replaced by ``…``.

    Kept: the check labels (their numbers are the hidden inputs, shown in the lessons) and
    the student's own value right after ``label = ``."""
    if not reason or not secrets:
        return reason
    labels = sorted({lb for lb in labels if lb}, key=len, reverse=True)
    if not labels:
        protected, kept = reason, []
    else:
        names = "|".join(re.escape(lb) for lb in labels)
        protected, kept = _hold(reason, f"(?:{names})(?: = {NUMBER.pattern})?")
    redacted = NUMBER.sub(
        lambda m: HIDDEN if _matches(m.group(0), secrets) else m.group(0), protected
    )
    return _restore(redacted, kept)


# -- the student's page ---------------------------------------------------------------

STYLE = """
body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;
color:#222;line-height:1.45}
pre{background:#f6f8fa;padding:.6rem;overflow-x:auto;white-space:pre-wrap;
word-break:break-word;border-radius:4px}
.output pre{background:#fff;border-left:3px solid #ddd}
.error pre{border-left-color:#c33}
table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.25rem .5rem;
text-align:left;vertical-align:top}
.grade{border:2px solid;border-radius:6px;padding:.5rem .8rem;margin:.8rem 0}
.full{border-color:#2a7;background:#effaf3}.lost{border-color:#c53;background:#fdf1ed}
.cell{margin:.6rem 0}img{max-width:100%}
"""


def _text(value: Any) -> str:
    text = "".join(value) if isinstance(value, list) else str(value)
    text = _ANSI.sub("", text)
    if len(text) > MAX_OUTPUT_CHARS:
        text = text[:MAX_OUTPUT_CHARS] + "\n… (output shortened)"
    return html.escape(text)


def _png(data: Any) -> str:
    text = "".join(data) if isinstance(data, list) else str(data)
    text = re.sub(r"\s", "", text)
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return ""
    if not raw.startswith(b"\x89PNG\r\n\x1a\n") or len(raw) > 5 * 2**20:
        return ""
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(raw).decode()}">'


def _outputs(cell: nbformat.NotebookNode) -> str:
    parts = []
    for output in cell.get("outputs", []):
        kind = output.get("output_type")
        if kind == "stream":
            parts.append(f'<div class="output"><pre>{_text(output.get("text", ""))}</pre></div>')
        elif kind in ("execute_result", "display_data"):
            data = output.get("data", {})
            if "image/png" in data and (image := _png(data["image/png"])):
                parts.append(f'<div class="output">{image}</div>')
            elif "text/plain" in data:
                parts.append(f'<div class="output"><pre>{_text(data["text/plain"])}</pre></div>')
        elif kind == "error":
            text = f"{output.get('ename', '')}: {output.get('evalue', '')}"
            parts.append(f'<div class="output error"><pre>{_text(text)}</pre></div>')
    return "".join(parts)


def _grade_box(exercise: str, points: float, max_points: float, message: str) -> str:
    kind = "full" if points >= max_points else "lost"
    shown = html.escape(message) if message else "All checks passed."
    return (
        f'<div class="grade {kind}"><strong>{html.escape(exercise)}: '
        f"{points:g} / {max_points:g} points</strong><br>{shown}</div>"
    )


def render_page(
    student: str,
    lesson: str,
    rows: list,
    notebook_path: Path | None,
    answer_ids: dict[str, str],
) -> str:
    """One student's page for one lesson. ``rows``: the lesson's rows (``Row``) of this
    student; ``answer_ids``: check cell id -> answer cell id (where a box goes when the
    check cell was deleted)."""
    earned = sum(r.points for r in rows)
    possible = sum(r.max_points for r in rows)
    title = f"{lesson}: {student}"
    table = "".join(
        f"<tr><td>{html.escape(r.exercise)}</td><td>{r.points:g} / {r.max_points:g}</td>"
        f"<td>{html.escape(r.student_reason) or 'All checks passed.'}</td></tr>"
        for r in rows
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>{html.escape(title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{html.escape(lesson)}</h1>",
        f"<p>Feedback for <strong>{html.escape(student)}</strong>: "
        f"<strong>{earned:g} of {possible:g} points</strong>. Each exercise was checked on "
        "inputs you have not seen; the messages say which check failed, not the expected "
        "values.</p>",
        f"<table><tr><th>Exercise</th><th>Points</th><th>Message</th></tr>{table}</table>",
        "<h2>Your notebook</h2>",
    ]
    by_exercise = {r.exercise: r for r in rows}
    placed: set[str] = set()
    notebook = None
    if notebook_path is not None:
        try:
            notebook = nbformat.read(notebook_path, as_version=4)
        except Exception:  # an invalid notebook: the table says why
            notebook = None
    if notebook is None:
        parts.append("<p>(The notebook could not be read.)</p>")
    else:
        check_ids = set(by_exercise)
        present = {
            str((c.metadata.get("nbgrader") or {}).get("grade_id", "")) for c in notebook.cells
        }
        after_answer = {a: g for g, a in answer_ids.items() if g not in present and a}
        for cell in notebook.cells:
            meta = cell.metadata.get("nbgrader")
            grade_id = str(meta.get("grade_id", "")) if isinstance(meta, dict) else ""
            source = "".join(cell.source) if isinstance(cell.source, list) else cell.source
            if cell.cell_type == "markdown":
                parts.append(f'<div class="cell">{_markdown(source)}</div>')
            elif cell.cell_type == "code":
                parts.append(f'<div class="cell"><pre><code>{_text(source)}</code></pre>')
                parts.append(_outputs(cell) + "</div>")
            exercise = grade_id if grade_id in check_ids else after_answer.get(grade_id)
            if exercise and exercise not in placed:
                row = by_exercise[exercise]
                parts.append(_grade_box(exercise, row.points, row.max_points, row.student_reason))
                placed.add(exercise)
    parts.append("</body></html>")
    return "\n".join(parts)


def write_pages(report, folder: Path, answer_ids: dict[str, dict[str, str]]) -> int:
    """``folder/<student>/<lesson>.html`` for every submission of ``report``; the count."""
    rows = defaultdict(list)
    for row in report.rows:
        rows[(row.student, row.lesson)].append(row)
    written = 0
    for item in report.items:
        mine = rows.get((item.student, item.lesson))
        if not mine:
            continue
        page = render_page(
            item.student, item.lesson, mine, item.snapshot, answer_ids.get(item.lesson, {})
        )
        target = Path(folder) / item.student / f"{item.lesson}.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page, encoding="utf-8")
        written += 1
    return written


# -- the class report -----------------------------------------------------------------

REPORT_COLUMNS = [
    "lesson",
    "exercise",
    "students",
    "max_points",
    "mean_points",
    "mean_share",
    "full_marks_share",
    "common_failures",
]


def failure_kind(reason: str) -> str:
    """A reason with numbers and quoted text made generic, so that alike failures count
    together ("f(x) = 0.31, but that is not right." -> "f(x) = #, but that is not right.")."""
    text = re.sub(r"'[^']*'", "'…'", reason.split("; ")[0])
    protected, kept = _hold(text, r"\([^()]*\)")  # call arguments: the hidden inputs
    return _restore(NUMBER.sub("#", protected), kept)[:120]


def class_report(rows: list) -> list[dict]:
    """Per lesson and exercise: students, mean points and share, share of full marks, and
    the three most common failure reasons (with counts)."""
    groups: dict[tuple[str, str], list] = defaultdict(list)
    for row in rows:
        groups[(row.lesson, row.exercise)].append(row)
    table = []
    for (lesson, exercise), members in sorted(groups.items()):
        max_points = max(r.max_points for r in members)
        mean = sum(r.points for r in members) / len(members)
        full = sum(r.points >= r.max_points for r in members) / len(members)
        failures = Counter(
            failure_kind(r.reason) for r in members if r.points < r.max_points and r.reason
        )
        common = "; ".join(f"{kind} ({n})" for kind, n in failures.most_common(3))
        table.append(
            {
                "lesson": lesson,
                "exercise": exercise,
                "students": len(members),
                "max_points": f"{max_points:g}",
                "mean_points": f"{mean:.3g}",
                "mean_share": f"{mean / max_points:.3f}" if max_points else "",
                "full_marks_share": f"{full:.3f}",
                "common_failures": common,
            }
        )
    return table


def write_class_report(rows: list, csv_path: Path, png_path: Path) -> list[dict]:
    """The class report as CSV and as a bar chart (PNG); returns the table."""
    from tools.grading.grader import neutralise

    table = class_report(rows)
    with Path(csv_path).open("w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
        writer.writeheader()
        for entry in table:
            writer.writerow({k: neutralise(str(v)) for k, v in entry.items()})
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [f"{e['lesson']} {e['exercise']}" for e in table]
    y = np.arange(len(table))
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.35 * max(len(table), 1)))
    ax.barh(y - 0.2, [float(e["mean_share"] or 0) for e in table], 0.4, label="mean score")
    ax.barh(y + 0.2, [float(e["full_marks_share"]) for e in table], 0.4, label="full marks")
    ax.set_yticks(y, names)
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("share of the class")
    ax.set_title("Which exercises were hard")
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(png_path, dpi=100)
    plt.close(fig)
    return table
