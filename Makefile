# Two commands for a new user: `make dev` (the whole stack) and `make test` (everything CI runs).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.setup-stamp

.PHONY: setup dev test lint typecheck pytest pytest-strawberry-lowest clean

setup: $(STAMP)

# Re-installs only when pyproject.toml changed (or the venv is new).
$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	@touch $(STAMP)

dev: setup
	$(BIN)/chorus dev

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: setup
	$(BIN)/mypy

pytest: setup
	$(BIN)/pytest

# The kit and subgraph tests again on the lowest strawberry pyproject.toml allows (the venv
# has the newest): installed alone from PyPI into a folder put first on PYTHONPATH.
# Only tests that train no model (not the generation subgraph's: they train a tiny GPT-2).
# The kit's tracing test (tests/subgraphs/kit/test_tracing.py) has never been in this set.
STRAWBERRY_LOWEST := 0.319.0
LOWEST := .strawberry-lowest
STRAWBERRY_TESTS := tests/test_public_api.py tests/subgraphs/kit \
	--ignore=tests/subgraphs/kit/test_tracing.py tests/subgraphs/training \
	tests/subgraphs/dialogue/test_app.py tests/subgraphs/dialogue/test_custom_actions.py \
	tests/subgraphs/dialogue/test_form_understanding.py tests/subgraphs/dialogue/test_story_runner.py

$(LOWEST)/.installed-$(STRAWBERRY_LOWEST): $(STAMP)
	rm -rf $(LOWEST)
	$(BIN)/python -m pip install --quiet --no-deps --target $(LOWEST) \
		strawberry-graphql==$(STRAWBERRY_LOWEST)
	@touch $@

pytest-strawberry-lowest: $(LOWEST)/.installed-$(STRAWBERRY_LOWEST)
	PYTHONPATH=$(CURDIR)/$(LOWEST):$(CURDIR) $(BIN)/python -c 'import sys, importlib.metadata as m; \
		v = m.version("strawberry-graphql"); print("strawberry", v); sys.exit(v != "$(STRAWBERRY_LOWEST)")'
	PYTHONPATH=$(CURDIR)/$(LOWEST):$(CURDIR) $(BIN)/pytest -q $(STRAWBERRY_TESTS)

test: lint typecheck pytest pytest-strawberry-lowest

clean:
	rm -rf $(VENV) $(LOWEST) .pytest_cache .mypy_cache .ruff_cache
