# The two commands of the README. Everything else is a step they depend on.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
PORT ?= 8000

.PHONY: run test lint translations

## Set up what serving needs, build the sample index if there is none, serve on
## http://127.0.0.1:$(PORT) (PORT=8001 make run for another port)
run: $(VENV)/.installed
	$(BIN)/search-service reindex --sample --if-missing
	PORT=$(PORT) PATH="$(abspath $(BIN)):$$PATH" exec sh -c "exec $$(sed -n 's/^web: //p' Procfile)"

## Set up with the test tools and run the whole test suite (what .ci/run calls)
test: $(VENV)/.installed-test
	$(BIN)/ruff check search_service tests bench
	$(BIN)/lint-imports
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check search_service tests bench
	$(BIN)/ruff format --check search_service tests bench
	$(BIN)/lint-imports

## Refresh the page's catalogs from the templates and code: new texts arrive untranslated in
## every search_service/translations/<lang>/LC_MESSAGES/messages.po
CATALOGS := search_service/translations
translations: $(VENV)/.installed
	$(BIN)/pybabel --quiet extract --no-location -k lazy_gettext -F babel.cfg \
		--project=search_service --copyright-holder="" -o $(CATALOGS)/messages.pot .
	$(BIN)/pybabel --quiet update --no-fuzzy-matching --ignore-obsolete --width=100 -i $(CATALOGS)/messages.pot -d $(CATALOGS)

# The service and its runtime dependencies only: what `make run` needs. (The pip that venv
# bundles warns about how dependencies spell their extras: a current one does not.)
$(VENV)/.installed: setup.cfg pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "Python 3.11+ is required")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

# The test extras on top (pytest, ruff, import-linter, Playwright, schemathesis, hypothesis).
$(VENV)/.installed-test: $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@
