# make plan [STACK=dev]   render a stack offline into build/plan/<stack>/
# make test               the whole test suite, with every independent check
# make bench              plan timing and memory for shipped and synthetic stacks
PYTHON ?= python3
STACK ?= dev
VENV := .venv
PY := $(VENV)/bin/python
CHECKOV_VENV := .venv-checkov

.PHONY: plan test bench clean

$(VENV)/.installed: requirements.txt requirements-test.txt
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt -r requirements-test.txt
	touch $@

$(CHECKOV_VENV)/.installed: requirements-checkov.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --disable-pip-version-check -r requirements-checkov.txt
	touch $@

plan: $(VENV)/.installed
	$(PY) -m stacks.plan $(STACK)

test: $(VENV)/.installed $(CHECKOV_VENV)/.installed
	$(PY) -m pytest -q

bench: $(VENV)/.installed
	$(PY) -m stacks.bench

clean:
	rm -rf build $(VENV) $(CHECKOV_VENV)
