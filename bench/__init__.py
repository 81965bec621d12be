"""Benchmarks: what students and instructors wait for, side by side with Stan (issues 8, 22).

One module per section; each measures into bench/results.json, and bench/results.md and
bench/results.csv are rendered from every section measured so far (the prose lives in
bench/templates/, one Markdown template per section):

* :mod:`bench.notebooks` -- *notebooks*: every lesson and solution notebook top to bottom in
  a fresh kernel, cold (empty pytensor and Numba caches) and warm; wall time, peak RSS of
  the kernel's process tree, cells that raised. *course*: every notebook in order (lessons,
  then solutions), each in a fresh kernel, sharing one set of compile caches that is empty
  at the start.
* :mod:`bench.models` -- *models*: every builder of course_utils.models fitted as the
  lessons fit it with nutpie and PyMC's own NUTS, each in a fresh process, cold and warm;
  the same model in Stan through pystan (bench/stan/*.stan), each compile from an empty
  httpstan cache, every sampling call with a new seed.
* :mod:`bench.kernel` -- *kernel*: what a student waits for inside one Jupyter kernel: the
  first fit in a fresh kernel with empty caches and after ``make setup``'s warm-up, and a
  repeated fit in the same kernel.
* :mod:`bench.widgets` -- *widgets*: every widget, time from a value change to the new PNG.
* :mod:`bench.setup_time` -- *setup* (only with ``--setup``): ``make setup`` on a fresh clone.

Usage: ``python -m bench [--quick] [--repeats N] [--only SECTION ...] [--setup]``
(``make bench BENCH_ARGS="..."``). Not part of the tests: it takes tens of minutes.
"""
