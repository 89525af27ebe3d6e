# crmculture: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
export HYPOTHESIS_PROFILE ?= ci

.PHONY: help install demo test lint format typecheck pytest docs test-slow bench clean

help:
	@echo "make demo       run the built-in example culture end to end"
	@echo "make test       lint, type-check and run the test suite (derandomized hypothesis)"
	@echo "make bench      run the benchmarks (prints medians and ratios)"
	@echo "make docs       build the documentation (mkdocs --strict) into site/"
	@echo "make test-slow  run the slow tests too, with the larger hypothesis profile"

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/crmculture demo

test: lint typecheck pytest docs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples conftest.py
	$(BIN)/ruff format --check src tests benchmarks examples conftest.py

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks examples
	$(BIN)/ruff check --fix src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy src tests/typing

pytest: $(STAMP)
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider tests
	$(BIN)/pytest -q -p no:cacheprovider --doctest-modules src/crmculture
	$(BIN)/pytest -q -p no:cacheprovider --doctest-glob='*.md' README.md docs

docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

test-slow: $(STAMP)
	HYPOTHESIS_PROFILE=dev $(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/evaluator.py
	$(BIN)/python benchmarks/decisions.py
	$(BIN)/python benchmarks/journeys.py
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/hostile.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache site
