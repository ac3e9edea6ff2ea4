# Every target sets up what it needs: `make run` and `make test` work on a machine that
# has never seen the project, and are quick the second time.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ORG    ?= orgs/riverside-health
BENCH_SIZES ?= 1000,10000,100000

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

# A measurement, not a test: validate/plan/apply times and peak memory beside plain YAML parsing.
bench: $(STAMP)
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES)

clean:
	rm -rf $(VENV) .provisioner build *.egg-info
