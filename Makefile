# coproduce: two commands from a fresh clone — `make demo` and `make test`.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# Two stamps: the demo needs only the package; tests and linters need `.[dev]` on top.
RUNTIME := $(VENV)/.installed
STAMP   := $(VENV)/.installed-dev
PYTEST_WORKERS ?= 2
# Python keeps the bytecode it compiles. Where the environment sets PYTHONDONTWRITEBYTECODE,
# every process (each test worker, each `coproduce` a test starts, the demo) compiles Django
# and the project again: ~3x the CPU of a cached start (bench/bench_startup.py, RESULTS.md).
unexport PYTHONDONTWRITEBYTECODE
# The one set of makemessages options (tests/test_catalogues.py uses the same).
MESSAGES_ARGS := -l es -l sv --no-obsolete --no-location --ignore=static

.PHONY: demo test lint typecheck migrations-check pytest pytest-unit pytest-browser bench clean messages

# The venv is made without ensurepip and filled by uv, falling back to pip where uv cannot
# run (tools/make_venv.py says why: about 12 s less to the demo's first page, bench/RESULTS.md).
# Nothing is compiled up front: Python writes the bytecode of what the demo imports.
$(BIN)/python:
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "coproduce needs Python 3.11 or newer (found %s); run make PYTHON=python3.12 ..." % sys.version.split()[0]'
	$(PYTHON) tools/make_venv.py create $(VENV)

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/python tools/make_venv.py install $(VENV) -e .
	@touch $@

$(STAMP): pyproject.toml $(RUNTIME)
	$(BIN)/python tools/make_venv.py install $(VENV) -e '.[dev]'
	@touch $@

## Set up and run the demo on http://127.0.0.1:8000 (SQLite in ./var/); installs only what
## the demo needs (no test or lint tools).
demo: $(RUNTIME)
	COPRODUCE_MODE=demo $(BIN)/coproduce demo $(DEMO_ARGS)

## Set up and run every check: lint, types, migrations, unit and browser tests.
test: $(STAMP) lint typecheck migrations-check pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools

typecheck: $(STAMP)
	COPRODUCE_MODE=test $(BIN)/mypy src/coproduce

migrations-check: $(STAMP)
	COPRODUCE_MODE=test $(BIN)/coproduce makemigrations --check --dry-run
	COPRODUCE_MODE=test $(BIN)/coproduce openapi --check

## Update the es and sv catalogues from the code (GNU gettext needed) and compile them;
## translate what is new in src/coproduce/locale/*/LC_MESSAGES/django.po, then run it again.
messages: $(STAMP)
	COPRODUCE_MODE=test $(BIN)/coproduce rules messages
	COPRODUCE_MODE=test $(BIN)/coproduce instruments messages
	COPRODUCE_MODE=test $(BIN)/coproduce mme --messages
	cd src/coproduce && COPRODUCE_MODE=test ../../$(BIN)/coproduce makemessages $(MESSAGES_ARGS)
	cd src/coproduce && COPRODUCE_MODE=test ../../$(BIN)/coproduce compilemessages

pytest: pytest-unit pytest-browser

# The slowest tests are listed at the end (--durations): where CI time goes.
pytest-unit: $(STAMP)
	COPRODUCE_MODE=test $(BIN)/pytest -m "not browser" -n $(PYTEST_WORKERS) --durations=15

# Browser tests run in their own processes (one chromium and one live server thread each);
# each process seeds the demo once and puts it back from a snapshot for every next test.
pytest-browser: $(STAMP)
	COPRODUCE_MODE=test $(BIN)/pytest -m browser -n $(PYTEST_WORKERS) --durations=10

bench: $(STAMP)
	@echo "See bench/README.md"

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache
