# On Windows without make: py -m venv .venv; .venv\Scripts\pip install -e .[lab]; .venv\Scripts\jupyter lab
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
NOTEBOOK := notebooks/00-start-here.ipynb

.PHONY: lab test bench dashboard lint typecheck clean

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
	$(BIN)/jupyter lab $(NOTEBOOK)

test: $(VENV)/.test-installed
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check o365diag tests benchmarks
	$(BIN)/mypy

bench: $(VENV)/.test-installed
	$(BIN)/python -m benchmarks

dashboard: $(VENV)/.lab-installed
	$(BIN)/voila --no-browser notebooks/00-start-here.ipynb

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache
