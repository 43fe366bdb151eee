# Developer shortcuts; the README's two commands (bootstrap.py demo / test) need no make.
PY := .venv/bin/python
RUN := .venv/bin

.PHONY: install test test-all lint format typecheck check demo sandbox lock clean

install:
	python3 bootstrap.py install

test: install          ## the suite as CI runs it (slow soak loops left out)
	$(PY) -m pytest

test-all: install      ## everything, the slow soak loops too
	$(PY) -m pytest -m ""

lint: install
	$(RUN)/ruff check .
	$(RUN)/ruff format --check .

format: install
	$(RUN)/ruff format .
	$(RUN)/ruff check --fix .

typecheck: install
	$(RUN)/mypy

check: lint typecheck test

demo: install
	$(RUN)/ledgersync demo

sandbox: install
	$(RUN)/ledgersync sandbox

lock: install          ## re-pin constraints.txt after changing pyproject.toml
	$(PY) -m pip install -q uv
	$(RUN)/uv pip compile pyproject.toml --extra dev --extra bench --python-version 3.11 --no-header -o constraints.txt

clean:
	rm -rf .venv .mypy_cache .ruff_cache .pytest_cache
