# The two commands of the README: `make run` and `make test`. Everything else they need
# (a virtual environment, the packages) they set up themselves.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
PYTEST_ARGS ?=
# The suite runs on two workers (pytest-xdist), this machine's two cores; each worker has a
# database, a Redis database and servers of its own (tests/conftest.py). A module stays on
# one worker, so what a module builds once (the simulated year) is built once. The order is
# random (pytest-randomly; the header prints the seed, `-p randomly --randomly-seed=N`
# repeats it, `-p no:randomly` turns it off), except that modules marked `long` are handed
# out first, longest first (tests/conftest.py): started last, a two-minute module would
# leave one worker idle while the other finishes it.
PYTEST_WORKERS ?= 2
# Python keeps the bytecode it compiles (__pycache__/, ignored by git) even where the
# environment asks it not to: the suite starts some thirty Python processes (servers,
# workers, commands), and each would otherwise compile the project's 250 modules afresh.
unexport PYTHONDONTWRITEBYTECODE
# mkdocs-material prints a notice about its successor on every build; the notice is known.
export NO_MKDOCS_2_WARNING := 1

.PHONY: run test install browser lint format diagram docs docs-serve clean

run: $(STAMP)
	$(BIN)/pairwise db upgrade
	$(BIN)/pairwise demo
	$(BIN)/pairwise demo-history --pairs 200
	$(BIN)/pairwise run $(RUN_ARGS)

test: lint browser
	$(BIN)/mkdocs build --strict --quiet
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist loadscope --no-loadscope-reorder $(PYTEST_ARGS)

install: $(STAMP)

$(STAMP):
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Pairwise needs Python 3.11 or newer; set PYTHON=python3.11 (or newer)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,docs]'
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

# The browser tests drive Debian's Chromium (Playwright's own browser download is not used);
# the funder report's PDF is laid out by WeasyPrint, which needs Pango.
browser:
	@ldconfig -p | grep -q libpangoft2-1.0 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 >/dev/null \
	    || { apt-get update -q >/dev/null && apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0 >/dev/null; }; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get install -y -q libpango-1.0-0 libpangoft2-1.0-0; \
	  else echo "Pango is missing (apt install libpangoft2-1.0-0): the funder report cannot be made."; fi; }
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get install -y -q chromium >/dev/null \
	    || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }; \
	  elif command -v sudo >/dev/null 2>&1; then sudo apt-get install -y -q chromium; \
	  else echo "Chromium is missing (apt install chromium): the browser tests will be skipped."; fi; }

# Style, the architecture (the layer contracts in pyproject.toml: lint-imports), and types
# (mypy, configured in pyproject.toml).
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

diagram: $(STAMP)
	$(BIN)/pairwise diagram --readme README.md
	$(BIN)/pairwise diagram --readme docs/concepts/lifecycle.md

# The documentation site, into site/: first what is generated from the code (the lifecycle
# diagram, the OpenAPI document), then the pages. Tests fail when a committed copy drifts.
docs: diagram
	$(BIN)/pairwise openapi --output docs/api/openapi.json
	$(BIN)/mkdocs build --strict

docs-serve: $(STAMP)
	$(BIN)/mkdocs serve

clean:
	rm -rf $(VENV) instance site .pytest_cache .ruff_cache
