# Every target sets up what it needs: `make run` and `make test` work on a machine that
# has never seen the project, and are quick the second time.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ORG    ?= orgs/riverside-health

.PHONY: install run test docs bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/provisioner validate $(ORG)

test: $(STAMP)
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	mkdir -p docs
	$(BIN)/provisioner rules --format markdown > docs/rules.md

clean:
	rm -rf $(VENV) .provisioner build *.egg-info
