# Set-up and everyday commands. Each target creates .venv when it is missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP_RUN := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test validate baselines lint bench clean

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

## test: install the test extras and run the test suite (tests marked slow are skipped)
test: $(STAMP_TEST)
	$(BIN)/python -m pytest

## validate: the validation suite, slow cases included, then write docs/validation.md
validate: $(STAMP_TEST)
	$(BIN)/python -m pytest tests/validation --runslow
	$(BIN)/python -m tools.validation --jobs 2

## baselines: rewrite tests/baselines/ after a change that is meant to move the numbers
baselines: $(STAMP_TEST)
	$(BIN)/python -m tools.validation --update-baselines

## bench: every script in benchmarks/, one line of figures each (minutes; not part of test)
bench: $(STAMP_TEST)
	@for script in benchmarks/bench_*.py; do $(BIN)/python $$script || exit 1; done

lint: $(STAMP_TEST)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis
