# On Windows without make: py -m venv .venv; .venv\Scripts\pip install -e .[lab]; .venv\Scripts\jupyter lab
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOK := notebooks/00-start-here.ipynb
# Jupyter refuses to run as root unless told; containers and CI machines often are root.
ROOT_FLAG := $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

.PHONY: lab test fuzz bench dashboard lint clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.lab-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[lab]"
	touch $@

$(VENV)/.test-installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $@ $(VENV)/.lab-installed

lab: $(VENV)/.lab-installed
	PLOTLY_RENDERER=plotly_mimetype+notebook $(BIN)/jupyter lab $(ROOT_FLAG) $(NOTEBOOK)

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# The property-based fuzz tests of `make test`, with many more random inputs per property.
FUZZ_EXAMPLES ?= 2000
fuzz: $(VENV)/.test-installed
	O365DIAG_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest -q -p no:cacheprovider --timeout 0 tests/test_fuzz.py $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check o365diag tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

dashboard: $(VENV)/.lab-installed
	PLOTLY_RENDERER=plotly_mimetype+notebook $(BIN)/voila --no-browser notebooks/

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
