"""Grading student notebooks so that a student's code cannot beat, see or change the grade.

The pieces, in the order a grading run uses them:

``spec``
    Reads the hidden tests of a lesson's solution notebook into probes: for each exercise,
    the expressions to evaluate in the student's notebook (their side) and in a trusted run
    of the solution (expected values, tolerances). Plain data, no code objects.
``sandbox``
    Runs a Jupyter kernel under bubblewrap (no network, unprivileged, read-only view of the
    Python environment, ``course_utils`` and ``data/``, a private scratch folder) and
    executes cells in it with per-cell and per-notebook time limits and an output cap. The
    client side stays in the grader's process and talks to the kernel over unix sockets.
``harness``
    The code sent into a kernel to evaluate probes; it returns plain data only (JSON).
``plain``
    Decodes that data in the grader, with type and size limits.
``runner``
    One notebook run: a submission (or the solution) with probe cells in place of its
    check cells; returns plain observations. ``grade_submission`` is the unit a parallel
    grader can send to a worker.
``scoring``
    Compares observations with the expected values using ``course_utils.checks`` in the
    grader's own process, and words the reasons.
``parallel``
    Where the per-submission tasks run: this process (``--jobs 1``), spawned local worker
    processes (``--jobs N``) or a Dask cluster (``--scheduler``); plain data in and out.
``store``
    Results kept per student x lesson beside the CSV with the submission's SHA-256 and the
    grading version: re-runs grade only what changed, interrupted runs resume.
``progress``
    The progress bar (rich): done/total, failures so far, ETA.
``grader``
    The class run: snapshot of the submissions, one trusted reference run per lesson,
    every submission, the CSV.
``feedback``
    A student's HTML page per lesson (hidden expected values redacted) and the class
    report per exercise (CSV and PNG).

This package imports nothing from the other modules of ``tools/`` except ``notebooks``.
"""
