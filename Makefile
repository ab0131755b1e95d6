# ruralsim: `make run` sets up and runs the baseline; `make test` sets up and tests.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
EXPERIMENTS := $(sort $(basename $(notdir $(wildcard experiments/*.yaml))))

.PHONY: findings run test lint graph validate bench bench-national experiments figures report report-check calibrate venv clean FORCE

$(STAMP): setup.cfg pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "ruralsim needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test,dask,lint,pinned]'
	@touch $(STAMP)

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/ruralsim run experiments/baseline.yaml --out results/baseline

# the tests in TEST_WORKERS processes (pytest-xdist; 1: in this one)
TEST_WORKERS ?= 2
test: $(STAMP)
	$(BIN)/python -m pytest -q $(if $(filter-out 1,$(TEST_WORKERS)),-n $(TEST_WORKERS),)

# ruff on sim/, tests/ and bench/ and mypy on sim/ (rules in pyproject.toml); both always run, and
# any finding of either fails
lint: $(STAMP)
	@status=0; $(BIN)/ruff check sim tests bench || status=1; $(BIN)/mypy || status=1; exit $$status

# the import graph of sim/: layers, cycles, imports against the layer order, largest modules
graph:
	$(PYTHON) bench/import_graph.py

# every validation case, slow ones included; writes results/validation/report.md; fails if a case fails
validate: $(STAMP)
	$(BIN)/ruralsim validate --out results/validation

# every benchmark runs; the target fails at the end if any goal was missed
bench: $(STAMP)
	@fail=0; for b in bench_cli bench_county bench_township bench_sweep bench_region bench_figures; do \
	  $(BIN)/python bench/$$b.py || fail=1; done; \
	if [ $$fail -ne 0 ]; then echo "make bench: at least one goal missed"; exit 1; fi

# the national year's time and memory on 2 workers (a 200-county sample; COUNTIES=0: the whole country)
bench-national: $(STAMP)
	$(BIN)/python bench/bench_national.py --counties $(or $(COUNTIES),200)

# every config in experiments/ into results/<name>/ with its figures (resumes what is there)
experiments: $(addprefix results/,$(EXPERIMENTS))

# RUNFLAGS=--fresh starts a folder again after its experiment config changed
RUNFLAGS ?=
results/%: experiments/%.yaml $(STAMP) FORCE
	$(BIN)/ruralsim run $< --out $@ $(RUNFLAGS)

# re-run the shipped experiments and their sensitivities; write docs/findings.md (numbers with 95% intervals)
# and the findings' digest in README.md
FINDINGS_REPLICATIONS ?= 5
findings: $(STAMP)
	$(BIN)/ruralsim findings --replications $(FINDINGS_REPLICATIONS) --out results/findings --doc docs/findings.md --readme README.md $(RUNFLAGS)

# the rollout comparison report (results/rollout_strategies/report.md and report.html);
# PREVIEW="--counties 8 --replications 2" gives a quick first look in its own folder; RANKING: the
# ranking sensitivity's hypercube (the accounting inputs re-evaluated on the stored outputs: seconds;
# add --ranking-runs M for capital and adoption, each sample a preview-size run)
PREVIEW ?=
RANKING ?= --ranking-sensitivity 256
report: $(STAMP)
	$(BIN)/ruralsim compare experiments/rollout_strategies.yaml \
	  --out results/rollout_strategies$(if $(PREVIEW),_preview,) $(PREVIEW) $(RANKING) $(RUNFLAGS)

# Rural Taobao's rollout fitted to the reported points by least squares, then history-matched, each
# with every point held out in turn: fit.csv, residuals.csv, holdout.csv, fitted.yaml, summary.md and
# figures in results/rural_taobao_2015_calibration/ and results/rural_taobao_2015_history/; both
# summaries are written into docs/rollout.md. The least-squares values are written into
# experiments/rural_taobao_2015.yaml (--apply: the numbers only, its comments kept). About 3 minutes on
# 2 cores (the independent evaluations run on every core).
CALIBRATE = $(BIN)/ruralsim calibrate experiments/rural_taobao_2015.yaml \
  --targets experiments/rural_taobao_2015_targets.csv --leave-one-out --doc docs/rollout.md
calibrate: $(STAMP)
	$(CALIBRATE) --method least_squares --apply --out results/rural_taobao_2015_calibration
	$(CALIBRATE) --method history_matching --out results/rural_taobao_2015_history

# the report in a headless Chromium at 1280 px: summary, tables and figures visible, no horizontal
# overflow; writes report_check.png (screenshot) and report_check.pdf (printed) beside it. Needs
# Chromium (Debian: apt-get install chromium), so it is not part of `make test`; run `make report` first
report-check: $(STAMP)
	$(BIN)/python bench/report_check.py results/rollout_strategies$(if $(PREVIEW),_preview,)/report.html

# redraw the figures of every results folder from its files
figures: $(STAMP)
	@fail=0; for d in results/*/; do [ -f "$$d/manifest.json" ] || continue; \
	  if grep -q '"kind": "rollout"' "$$d/manifest.json"; then \
	    echo "$$d: a rollout's figures are drawn again with its report (make report)"; continue; fi; \
	  $(BIN)/ruralsim plot "$$d" || fail=1; done; exit $$fail

FORCE:

clean:
	rm -rf $(VENV) results/*/ .pytest_cache .hypothesis *.egg-info
