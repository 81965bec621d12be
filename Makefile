# The course's commands. A newcomer needs two of them (see README.md):
#   make lab    set everything up, then open JupyterLab on the lessons
#   make test   set everything up, then run the whole test suite
# Instructors also use: make lessons, make solutions, make slides, make grade SUBMISSIONS=...,
# make lock, and make bench (timings side by side with Stan; not part of the tests).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

VENV ?= .venv
PYTHON ?= $(shell sh tools/find_python.sh)
BIN := $(VENV)/bin
STAMP := $(VENV)/.course-installed
# nbgrader calls alembic by name and nbval starts kernels: the venv's bin comes first.
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: help setup lab test test-code test-solutions test-other-cpu test-lessons lint typecheck lessons solutions slides grade grade-scheduler grade-worker lock environment bench

help:
	@echo "make lab      set up the environment and open JupyterLab on the lessons"
	@echo "make test     set up the environment and run every test"
	@echo "make lessons  regenerate lessons/ from solutions/ (nbgrader)"
	@echo "make solutions  re-execute the solution notebooks in place (stored outputs)"
	@echo "make slides   build the offline lecture decks into build/slides/ (needs npm)"
	@echo "make grade SUBMISSIONS=/path [GRADES=grades.csv] [JOBS=N] [GRADE_ARGS=\"--force\"]  grade student notebooks (sandboxed, N at once)"
	@echo "make grade-scheduler / grade-worker SCHEDULER=tcp://HOST:8786 [JOBS=N]  a Dask cluster for make grade (--scheduler)"
	@echo "make lock     re-resolve requirements.lock and environment.yml from pyproject.toml"
	@echo "make bench [BENCH_ARGS=\"--only kernel\"]  time notebooks, models (vs Stan), fits in a kernel, widgets: bench/results.md"

# The virtual environment, rebuilt only when the lock or the project file changes; then
# the compile caches warmed (tools/warm_caches.py: every model the lessons fit compiled once
# into the caches a student's kernel uses, 2-4 minutes on 2 cores), redone when a
# solution notebook, the model builders or the script change. Skip the warm-up with
# `make setup SKIP_WARMUP=1` (or SKIP_WARMUP=1 in the environment).
WARM_STAMP := $(VENV)/.caches-warm
SKIP_WARMUP ?=
setup: $(STAMP) $(if $(SKIP_WARMUP),,$(WARM_STAMP))

$(STAMP): requirements.lock pyproject.toml
	@if [ -z "$(PYTHON)" ]; then exit 1; fi
	@if [ ! -x $(BIN)/python ]; then \
		echo "Creating $(VENV) with $(PYTHON)"; \
		"$(PYTHON)" -m venv $(VENV); \
	fi
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(WARM_STAMP): $(STAMP) tools/warm_caches.py course_utils/models.py $(wildcard solutions/0[4-6]_*/*.ipynb)
	@echo "Compiling the lessons' models once, so that no first fit waits for a compiler (SKIP_WARMUP=1 skips this)"
	@if $(BIN)/python -m tools.warm_caches; then touch $(WARM_STAMP); else \
		echo "warning: the warm-up failed; the lessons still work, their first fits compile (make setup retries)"; fi

lab: setup
	$(BIN)/python -m tools.lab

test: setup lint typecheck test-code test-solutions test-other-cpu test-lessons
	@echo "All test stages passed."

lint: setup
	$(BIN)/ruff check course_utils tests tools bench
	$(BIN)/ruff format --check course_utils tests tools bench

# The type checker on course_utils's annotations (settings: [tool.mypy] in pyproject.toml).
typecheck: setup
	$(BIN)/mypy

test-code: setup
	$(BIN)/python -m tools.run_pytest tests

# A cell gets at most NBVAL_CELL_TIMEOUT seconds (the slowest takes about 80 s cold): a
# hung kernel connection fails in minutes instead of holding the run for nbval's 2000 s.
NBVAL_CELL_TIMEOUT ?= 600

test-solutions: setup
	$(BIN)/python -m tools.run_pytest --nbval --nbval-sanitize-with tests/nbval_sanitize.cfg \
		--nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) --nbval-current-env solutions

# The sampler lessons a second time, as another CPU would run them: Numba compiles for a
# generic x86-64 (no FMA, no AVX: other NUTS draws on every machine), numpy keeps to its
# baseline instructions, and OpenBLAS runs its oldest x86-64 kernels (Prescott) instead of
# the ones it picks for this CPU. Outputs stored on a Zen 4 machine (AVX-512) once failed on
# a Zen 3 one by 1e-7 (a Metropolis chain started from an optimizer's mode); on the Zen 3
# machine, this setting reproduced the Zen 4 numbers. Outputs that depend on draws must
# agree with the stored ones within Monte Carlo error (course_utils/nbval_montecarlo.py),
# the rest exactly.
OTHER_CPU := NUMBA_CPU_NAME=generic NPY_DISABLE_CPU_FEATURES="X86_V3 X86_V4 AVX512_ICL AVX512_SPR" \
	OPENBLAS_CORETYPE=Prescott
SAMPLER_LESSONS := solutions/04_mcmc solutions/05_nuts_mixed_logit solutions/06_eight_schools \
	solutions/07_season_pass

test-other-cpu: setup
	$(OTHER_CPU) $(BIN)/python -m tools.run_pytest --nbval --nbval-sanitize-with \
		tests/nbval_sanitize.cfg --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) \
		--nbval-current-env $(SAMPLER_LESSONS)

test-lessons: setup
	$(BIN)/python -m tools.run_pytest --nbval-lax --nbval-cell-timeout=$(NBVAL_CELL_TIMEOUT) \
		--nbval-current-env lessons

lessons: setup
	$(BIN)/python -m tools.make_lessons

solutions: setup
	$(BIN)/python -m tools.execute_solutions

slides: setup
	$(BIN)/python -m tools.slides build

grade: setup
	@if [ -z "$(SUBMISSIONS)" ]; then echo "usage: make grade SUBMISSIONS=/path/to/submissions [GRADES=grades.csv]"; exit 2; fi
	$(BIN)/python -m tools.grade "$(SUBMISSIONS)" --output "$(or $(GRADES),grades.csv)" $(if $(JOBS),--jobs $(JOBS)) $(GRADE_ARGS)

# A Dask cluster for grading (README, "Grading"): the scheduler on one machine, workers on
# each machine (a checkout of the same commit after make setup), one single-threaded worker
# process per core unless JOBS=N.
grade-scheduler: setup
	$(BIN)/dask scheduler $(DASK_ARGS)

grade-worker: setup
	@if [ -z "$(SCHEDULER)" ]; then echo "usage: make grade-worker SCHEDULER=tcp://HOST:8786 [JOBS=N]"; exit 2; fi
	PYTHONPATH=$(CURDIR) $(BIN)/dask worker "$(SCHEDULER)" --nthreads 1 --nworkers $(or $(JOBS),$(shell nproc)) $(DASK_ARGS)

lock: setup
	$(BIN)/python -m tools.lock

# Benchmarks (the package bench/, `python -m bench`): adds the bench-only packages (pystan) of requirements-bench.lock
# to the course venv; students never install them. Options: BENCH_ARGS="--quick", "--repeats 5",
# "--only models widgets", "--setup" (also time a fresh clone's setup).
BENCH_STAMP := $(VENV)/.bench-installed

$(BENCH_STAMP): $(STAMP) requirements-bench.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-bench.lock
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)
