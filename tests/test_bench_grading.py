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
        "runs": {"1": {"wall_s": 70.0}, "2": {"wall_s": 40.0}, "regrade": {"wall_s": 35.0}},
        "same_csv": True,
    }
    text, recs = grading.report({"date": "D", "commit": "abc", "data": data})
    assert "| 1 job | 70.0 s | 15.0 | 1.6 h |" in text
    assert "| 2 jobs (2 cores) | 40.0 s | 30.0 | 0.8 h |" in text
    assert "**2.00 x** on a first run" in text and "identical" in text
    # re-grade: 15 submissions in 35 - 10 s -> 36/min, 2.40 x; 70 s + 1400 / 36 min = 0.7 h
    assert "| 2 jobs, the class re-graded | 35.0 s | 36.0 | 0.7 h |" in text
    assert "**2.40 x** on a re-grade" in text
    assert "4 such machines: 0.2 h" in text  # 70 s + 2800 s / 4 = 770 s
    by_metric = {(r["config"], r["metric"]): r["median"] for r in recs}
    assert by_metric[("2 jobs", "per_minute")] == 30.0
    assert abs(by_metric[("2 jobs", "projection_200x7_h")] - 2870 / 3600) < 1e-12


def test_the_projection_counts_the_lessons_of_the_course_measured():
    # 8 lessons at 30/min: 8 x 10 s + 1600 / 30 min = 80 s + 3200 s = 0.911 h.
    data = {
        "students": 40,
        "project_lessons": 8,
        "cores": 2,
        "cell_timeout_s": 10,
        "fixed_s": 10.0,
        "runs": {"1": {"wall_s": 170.0}, "2": {"wall_s": 90.0}},
        "same_csv": True,
    }
    text, recs = grading.report({"date": "D", "commit": "abc", "data": data})
    assert "200 students x 8 lessons" in text and "8 fixed costs plus 1,600 submissions" in text
    assert "| 2 jobs (2 cores) | 90.0 s | 30.0 | 0.9 h |" in text
    by_metric = {(r["config"], r["metric"]): r["median"] for r in recs}
    assert abs(by_metric[("2 jobs", "projection_200x8_h")] - 3280 / 3600) < 1e-12


def test_a_skipped_measurement_is_reported_as_such():
    text, recs = grading.report({"data": {"skipped": "no bwrap"}})
    assert "Not measured: no bwrap" in text and recs == []


def test_the_course_projection_uses_each_lessons_own_cost():
    # lesson A: 3 s fixed + 4 s a notebook; lesson B: 45 s + 45 s. With 2 x the
    # throughput: 3 + 200 * 4 / 2 + 45 + 200 * 45 / 2 = 4948 s; 2 machines: 3 + 200 + 45 + 2250.
    costs = {
        "A": {"wall_s": 7.0, "fixed_s": 3.0, "notebook_s": 4.0, "full_marks": True},
        "B": {"wall_s": 90.0, "fixed_s": 45.0, "notebook_s": 45.0, "full_marks": False},
    }
    assert abs(grading.projection_by_lesson(costs, 2.0) - 4948 / 3600) < 1e-12
    assert abs(grading.projection_by_lesson(costs, 2.0, 2) - 2498 / 3600) < 1e-12
    data = {
        "students": 15,
        "cores": 2,
        "cell_timeout_s": 10,
        "fixed_s": 10.0,
        "runs": {"1": {"wall_s": 70.0}, "2": {"wall_s": 40.0}},
        "same_csv": True,
        "lessons": costs,
    }
    text, recs = grading.report({"date": "D", "commit": "abc", "data": data})
    assert "| B | 90.0 s | 45.0 s | 45.0 s | **no** |" in text
    assert "with 2 jobs **1.4 h** at lesson 00's first-run speed-up (2.00 x)" in text
    assert "Target: under 3 h on one 2-core machine: **met** (1.4 h)" in text
    by_metric = {(r["config"], r["metric"]): r["median"] for r in recs}
    assert abs(by_metric[("2 jobs", "projection_200_h")] - 4948 / 3600) < 1e-12


def test_the_heavy_lessons_speed_up_applies_to_the_lessons_that_fit_models():
    # 6 students; fixed 100 s; 1 job 400 s -> 300 s; 2 jobs 280 s -> 180 s: 1.67 x.
    heavy = {
        "lesson": "07_season_pass",
        "students": 6,
        "fixed_s": 100.0,
        "runs": {
            "1": {"wall_s": 400.0, "full_marks": True},
            "2": {"wall_s": 280.0, "full_marks": True},
        },
    }
    assert abs(grading.heavy_speedup(heavy, 2) - 300 / 180) < 1e-12
    costs = {
        "00_start_here": {"wall_s": 7.0, "fixed_s": 3.0, "notebook_s": 4.0, "full_marks": True},
        "07_season_pass": {
            "wall_s": 130,
            "fixed_s": 100.0,
            "notebook_s": 30.0,
            "full_marks": True,
        },
    }
    data = {
        "students": 40,
        "project_lessons": 2,
        "cores": 2,
        "cell_timeout_s": 10,
        "fixed_s": 10.0,
        "runs": {"1": {"wall_s": 170.0}, "2": {"wall_s": 90.0}},  # 2.00 x
        "same_csv": True,
        "lessons": costs,
        "heavy": heavy,
    }
    text, recs = grading.report({"date": "D", "commit": "abc", "data": data})
    # 3 + 200 * 4 / 2 + 100 + 200 * 30 / (300 / 180) = 3 + 400 + 100 + 3600 = 4103 s
    assert "**1.67 x**" in text and "the course takes **1.1 h** with 2 jobs" in text
    by_metric = {(r["config"], r["metric"]): r["median"] for r in recs}
    assert abs(by_metric[("2 jobs", "projection_200_h")] - 4103 / 3600) < 1e-12


def test_full_marks_reads_the_csv():
    head = "student,lesson,exercise,points,max_points,reason\n"
    assert grading._full_marks(head + 's,L,e1,2,2,""\ns,L,e2,1.0,1,\n')
    assert not grading._full_marks(head + 's,L,e1,2,2,\ns,L,e2,0,1,"wrong, see: x"\n')
    assert not grading._full_marks(head)
