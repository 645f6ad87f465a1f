# lexnorm: `make run` and `make test` set everything up on a fresh clone.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: setup run test bench clean

setup: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -r requirements.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check --disable-pip-version-check
	touch $(STAMP)

run: setup
	$(BIN)/lexnorm run --raw data/raw --out data/processed

test: setup
	$(BIN)/python -m pytest

bench: setup
	$(BIN)/python bench/all.py
	$(BIN)/python bench/alignment_eval.py

clean:
	rm -rf $(VENV) data/processed/*.parquet .pytest_cache
