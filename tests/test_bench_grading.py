"""bench.grading: the synthetic class and the report's arithmetic (no grading run here)."""

import nbformat

from bench import grading


def test_the_class_mixes_kinds_and_ends_with_one_endless_loop(tmp_path):
    kinds = grading.write_class(tmp_path, 9)
    assert list(kinds.values()).count("loops") == 1 and kinds["s008_loops"] == "loops"
    assert {"right", "blank", "wrong"} <= set(kinds.values())
    for name, kind in kinds.items():
        book = nbformat.read(tmp_path / name / grading.LESSON / f"{grading.LESSON}.ipynb", 4)
        nbformat.validate(book)
        (answer,) = [
            c for c in book.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "answer_0_1"
        ]
        if kind == "blank":
            assert "NotImplementedError" in answer.source
        else:
            assert answer.source == grading.ANSWERS[kind]


def test_report_throughput_and_projection():
    # 15 submissions; fixed cost 10 s; 1 job 70 s -> 15/min; 2 jobs 40 s -> 30/min;
    # 200 x 7 at 30/min: 7 x 10 s + 1400 / 30 min = 70 s + 2800 s = 0.797 h.
    data = {
        "students": 15,
        "cores": 2,
        "cell_timeout_s": 10,
        "fixed_s": 10.0,
        "runs": {"1": {"wall_s": 70.0}, "2": {"wall_s": 40.0}},
        "same_csv": True,
    }
    text, recs = grading.report({"date": "D", "commit": "abc", "data": data})
    assert "| 1 job | 70.0 s | 15.0 | 1.6 h |" in text
    assert "| 2 jobs (2 cores) | 40.0 s | 30.0 | 0.8 h |" in text
    assert "**2.00 x**" in text and "identical" in text
    assert "4 such machines: 0.2 h" in text  # 70 s + 2800 s / 4 = 770 s
    by_metric = {(r["config"], r["metric"]): r["median"] for r in recs}
    assert by_metric[("2 jobs", "per_minute")] == 30.0
    assert abs(by_metric[("2 jobs", "projection_200x7_h")] - 2870 / 3600) < 1e-12


def test_a_skipped_measurement_is_reported_as_such():
    text, recs = grading.report({"data": {"skipped": "no bwrap"}})
    assert "Not measured: no bwrap" in text and recs == []
