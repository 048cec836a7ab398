# calfrisk: two commands on a fresh machine with Python 3.11+ and make.
#   make demo   simulate the default cohort, train and evaluate the models, compare the runs,
#               predict on the example runner's log
#   make test   linters, the documentation site and the whole test suite
#               (make test-fast: without the slow tests)
# Both create (or reuse) the virtual environment .venv and install the project into it.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.calfrisk-installed
DEMO   ?= data/synthetic/demo

export MLFLOW_DISABLE_TELEMETRY := true

.PHONY: venv demo test test-fast lint docs bench sample example clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "calfrisk needs Python 3.11 or newer (set PYTHON=...)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev,dask]"
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/calfrisk simulate --config configs/cohort.yaml --out $(DEMO)/cohort --overwrite
	$(BIN)/calfrisk train --data $(DEMO)/cohort --config configs/train.yaml --experiment demo \
		--out $(DEMO)/model --overwrite --metrics-json $(DEMO)/metrics.json
	$(BIN)/calfrisk compare --experiment demo
	$(BIN)/calfrisk predict examples/runner_log.csv --profile examples/runner_profile.yaml \
		--model $(DEMO)/model --from 2025-10-18 --to 2025-10-31 --plot $(DEMO)/runner_risk.png

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

# The documentation site, strict: a broken link or reference, or a docstring the API pages cannot
# read, fails the build. (The two variables quiet MkDocs' plugins' notices about MkDocs 2.)
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 DISABLE_MKDOCS_2_WARNING=true $(BIN)/mkdocs build --strict --quiet

test: lint docs
	$(BIN)/python -m pytest

# The daily lane: everything but the tests marked slow (statistical, end to end, notebooks).
test-fast: lint
	$(BIN)/python -m pytest -m "not slow" -q

# The 1,000,000-runner scale run takes a quarter of an hour and ~5 GB of temporary disk:
# .venv/bin/python -m benchmarks.bench_scale (defaults: 100,000 and 1,000,000 runners).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[dev,dask,bench]"
	$(BIN)/python benchmarks/bench_simulate.py
	$(BIN)/python -m benchmarks.bench_features
	$(BIN)/python -m benchmarks.bench_train
	$(BIN)/python -m benchmarks.bench_predict
	$(BIN)/python -m benchmarks.bench_boosters
	$(BIN)/python -m benchmarks.bench_import
	$(BIN)/python -m benchmarks.bench_scale --sizes 100000 --dask-sizes 100000

# Regenerate the example runner (examples/) from the sample cohort (tests check it is up to date).
example: $(STAMP)
	$(BIN)/python -c "from calfrisk.simulate.export import EXAMPLE_ATHLETE as A, write_example; write_example('data/synthetic/sample', A, 'examples')"

# Regenerate the committed sample cohort (tests check that it regenerates identically).
sample: $(STAMP)
	$(BIN)/calfrisk simulate --config configs/sample.yaml --out data/synthetic/sample --overwrite --jobs 1

clean:
	rm -rf $(VENV) $(DEMO) site .pytest_cache .ruff_cache .hypothesis
