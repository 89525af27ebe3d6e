# crmculture: `make demo` and `make test` set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-dev
CORE_STAMP := $(VENV)/.installed-core
export HYPOTHESIS_PROFILE ?= ci

.PHONY: help install install-core test-setup demo test lint format typecheck pytest docs test-slow bench clean

help:
	@echo "make demo       run the built-in example culture end to end (installs the core only)"
	@echo "make test       lint, type-check and run the test suite (derandomized hypothesis)"
	@echo "make install-core  install crmculture into .venv (make install: with the dev tools)"
	@echo "make bench      run the benchmarks (prints medians and ratios)"
	@echo "make docs       build the documentation (mkdocs --strict) into site/"
	@echo "make test-slow  run the slow tests too, with the larger hypothesis profile"

# Two installs into the same .venv: the core (attrs, cattrs, networkx, PyYAML: what `make demo`
# and the command line need, about 50 MB) and the developer set `.[dev]` (linters, type checker,
# docs, pandas, pyarrow, dask: what `make test` needs). Each has its own stamp, so `make demo`
# never pulls the developer set and `make test` after `make demo` adds it; the developer set
# includes the core, so `make demo` after `make test` has nothing to install.
$(CORE_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $(CORE_STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP) $(CORE_STAMP)

install: $(STAMP)

install-core: $(CORE_STAMP)

demo: $(CORE_STAMP)
	@$(BIN)/crmculture demo
	@echo
	@echo "The command line is installed in $(VENV)/bin. Try it:"
	@echo "  $(BIN)/crmculture example acme -o acme.yaml"
	@echo "  $(BIN)/crmculture check acme.yaml"
	@echo "  $(BIN)/crmculture --help"
	@echo "or put it on your PATH first: source $(BIN)/activate"

test: lint typecheck pytest docs

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks examples conftest.py
	$(BIN)/ruff format --check src tests benchmarks examples conftest.py

format: $(STAMP)
	$(BIN)/ruff format src tests benchmarks examples
	$(BIN)/ruff check --fix src tests benchmarks examples

typecheck: $(STAMP)
	$(BIN)/mypy src tests/typing

pytest: $(STAMP) test-setup
	$(BIN)/pytest -q -m "not slow" -p no:cacheprovider tests
	$(BIN)/pytest -q -p no:cacheprovider --doctest-modules src/crmculture
	$(BIN)/pytest -q -p no:cacheprovider --doctest-glob='*.md' README.md docs

# Debian packages the tests and docs need: Graphviz draws the org diagrams when the site is
# built; headless Chromium (Debian's `chromium`, never a browser download) opens the built pages
# and the HTML report in tests. Installed when missing, with sudo when not run as root.
test-setup:
	@command -v dot >/dev/null && command -v chromium >/dev/null || { \
	    sudo=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	    $$sudo apt-get update -qq && \
	    DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq graphviz chromium >/dev/null; }

docs: $(STAMP) test-setup
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet -d site

test-slow: $(STAMP) test-setup
	HYPOTHESIS_PROFILE=dev $(BIN)/pytest -q -p no:cacheprovider

bench: $(STAMP)
	$(BIN)/python benchmarks/evaluator.py
	$(BIN)/python benchmarks/decisions.py
	$(BIN)/python benchmarks/journeys.py
	$(BIN)/python benchmarks/analysis.py
	$(BIN)/python benchmarks/batch.py
	$(BIN)/python benchmarks/dask_scaling.py
	$(BIN)/python benchmarks/hostile.py
	$(BIN)/python benchmarks/cli_stream.py
	$(BIN)/python benchmarks/quality.py
	$(BIN)/python benchmarks/replay.py
	$(BIN)/python benchmarks/drift.py
	$(BIN)/python benchmarks/adherence.py
	$(BIN)/python benchmarks/as_of.py
	$(BIN)/python benchmarks/service.py
	$(BIN)/python benchmarks/org_customers.py

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache site
