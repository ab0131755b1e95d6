# ruralsim: `make run` sets up and runs the baseline; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: run test validate bench venv clean

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ruralsim needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/ruralsim run experiments/baseline.yaml --out results/baseline

test: $(STAMP)
	$(BIN)/python -m pytest -q

validate: $(STAMP)
	$(BIN)/python -m pytest -q -m slow -o addopts=""

bench: $(STAMP)
	$(BIN)/python bench/bench_county.py

clean:
	rm -rf $(VENV) results/*/ .pytest_cache .hypothesis *.egg-info
