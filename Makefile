# billpay: two commands on a fresh machine.
#   make run   - install, migrate, seed the demo organization, serve http://127.0.0.1:8000
#   make test  - install what the tests need (Debian packages, .venv), run the whole suite, then the
#                clock-sensitive suites at several faked instants
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEBS := postgresql redis-server chromium tesseract-ocr tesseract-ocr-eng tesseract-ocr-deu tesseract-ocr-fra poppler-utils tzdata faketime gcc libc6-dev

.PHONY: run test venv system-deps bench clean lock

$(STAMP): pyproject.toml requirements.lock
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip >/dev/null
	$(BIN)/pip install -q -c requirements.lock -e '.[test]'
	touch $(STAMP)

venv: $(STAMP)

# Installs the Debian packages the product and its tests use, only those missing.
system-deps:
	@bash scripts/system-deps.sh $(DEBS)

run: system-deps venv
	BILLPAY_DATA_DIR=$${BILLPAY_DATA_DIR:-./data} $(BIN)/billpay demo

# The whole suite, then the clock-sensitive suites again under libfaketime at hard instants (any hour,
# any date must pass: scripts/test-at-instants.sh says which).
test: system-deps venv
	$(BIN)/ruff check --no-cache src tests bench
	$(BIN)/python -m pytest -p no:cacheprovider $(PYTEST_ARGS)
	bash scripts/test-at-instants.sh

bench: venv
	$(BIN)/pip install -q -c requirements.lock -e '.[test,bench]'
	$(BIN)/python -m bench

lock:
	$(BIN)/pip freeze --exclude-editable | grep -v '^billpay' > requirements.lock

clean:
	rm -rf $(VENV) data .pytest_cache .hypothesis
