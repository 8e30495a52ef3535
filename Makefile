# Set-up and everyday commands. Each target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test
# The tests marked slow but those that tools.validation and test_docs' own step run
SLOW_TESTS := tests --ignore=tests/model_validation --deselect tests/test_docs.py

.PHONY: run test validate validate-power validate-ci baselines scenarios lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP_RUN): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(STAMP_TEST): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@ $(STAMP_RUN)

## run: install the project and run the baseline scenario; results land in results/
run: $(STAMP_RUN)
	$(BIN)/bordersim run scenarios/baseline.toml

## test: install the test extras, check the layers of sim/ (lint-imports), run the test suite
## on every CPU (tests marked slow are skipped), naming the slowest tests at the end; each
## test file runs on one CPU, so that a file's shared results (module fixtures) are made once
test: $(STAMP_TEST)
	$(BIN)/lint-imports
	$(BIN)/python -m pytest -n auto --dist loadfile --durations=15

## validate: every validation case, slow ones included, with the power check, then write
## docs/validation.md; and every other test marked slow but the docs' commands
validate: $(STAMP_TEST)
	$(BIN)/python -m pytest -n 2 --runslow -m slow $(SLOW_TESTS)
	$(BIN)/python -m tools.validation --jobs 2

## validate-power: every validation case judged at its theory values and again at them moved
## by +5% and by -5%; fails unless every case passes at theory and fails both ways
validate-power: $(STAMP_TEST)
	$(BIN)/python -m tools.validation --power --jobs 2

## validate-ci: the second step of CI after `make test` (which runs the fast cases): every test
## marked slow (hostile input, fuzzing, the shipped calibrations reproduced, ranking and
## selection, Sobol' indices against theory, ...), every shell block of the README and docs/
## run as printed in a fresh copy of the project, then the slow validation cases with the
## power check (docs untouched)
validate-ci: $(STAMP_TEST)
	$(BIN)/python -m pytest -n 2 --runslow -m slow $(SLOW_TESTS)
	$(BIN)/python -m pytest tests/test_docs.py --runslow -m slow
	$(BIN)/python -m tools.validation --power --slow --jobs 2

## baselines: rewrite tests/baselines/ after a change that is meant to move the numbers
baselines: $(STAMP_TEST)
	$(BIN)/python -m tools.baselines

## scenarios: rerun every shipped scenario and rewrite the table of scenarios/README.md
scenarios: $(STAMP_TEST)
	$(BIN)/python -m tools.scenario_table

## bench: every script in benchmarks/, one line of figures each (minutes; not part of test)
bench: $(STAMP_TEST)
	@for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

## lint: ruff (style, format) and lint-imports (each wing of sim/ imports only those below it)
lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
