# LMB: `make run` serves the app with everything it needs; `make test` tests it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint translations extract-messages bench clean axe-core

$(STAMP): requirements.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	touch $(STAMP)

translations: $(STAMP)
	$(BIN)/pybabel -q compile -d translations

run: $(STAMP) translations
	$(BIN)/python scripts/run.py

test: $(STAMP) translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Refresh the catalogues after changing user-visible text.
extract-messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i translations/messages.pot -d translations --no-fuzzy-matching --ignore-obsolete -w 88

# Fetch axe-core, which the browser tests use, again from the npm registry
# into tests/browser/vendor (committed; see the README there).
AXE_VERSION := 4.14.1
axe-core:
	cd $$(mktemp -d) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null \
	  && tar xzf axe-core-$(AXE_VERSION).tgz \
	  && cp package/axe.min.js package/LICENSE package/LICENSE-3RD-PARTY.txt \
	     $(CURDIR)/tests/browser/vendor/

clean:
	rm -rf $(VENV) instance
