# Every target sets up what it needs: `make run` and `make test` work on a machine that
# has never seen the project, and are quick the second time.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
ORG    ?= orgs/riverside-health
# The example orgs are written as of this date; `make run TODAY=` judges by the real date.
TODAY  ?= 2026-11-23
TODAY_FLAG := $(if $(TODAY),--today $(TODAY))
BENCH_SIZES ?= 1000,10000,100000
BENCH_SCIM_PEOPLE ?= 10000
BENCH_STATE_SIZES ?= 10000

.PHONY: install postgres-server run test docs bench bench-state clean browser scim-demo-server scim-demo

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Validate, plan and apply the example org into the embedded state (.provisioner/<org>.db),
# printing the plan; a second `make run` shows "No changes".
run: $(STAMP)
	$(BIN)/provisioner validate $(ORG) $(TODAY_FLAG)
	$(BIN)/provisioner apply $(ORG) --auto-approve $(TODAY_FLAG)

# The HTML report is tested in Debian's chromium; as root, a machine without it gets it here.
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing chromium (Debian package) for the HTML report test"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "make test needs Debian's chromium: sudo apt-get install chromium" >&2; exit 1; fi; }


# The PostgreSQL state tests start a throwaway server (initdb + pg_ctl in a temp folder):
# Debian's postgresql package, installed once (as root, or through sudo).
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
postgres-server:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || \
		($(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends postgresql)

test: $(STAMP) browser postgres-server
	$(BIN)/python -m pytest -q

docs: $(STAMP)
	mkdir -p docs
	$(BIN)/provisioner rules --format markdown > docs/rules.md
	$(BIN)/python -m provisioner.schemadoc > schemas/document.schema.json

# A measurement, not a test: validate/plan/apply times and peak memory beside plain YAML parsing.
# The parse baseline is yaml-rs (Rust, YAML 1.2), a dependency (else PyYAML's CSafeLoader).
bench: $(STAMP)
	$(BIN)/python -m bench.run --sizes $(BENCH_SIZES)
	$(BIN)/python -m bench.scim --people $(BENCH_SCIM_PEOPLE)
	$(MAKE) bench-state

# Apply on SQLite and on a throwaway PostgreSQL server, beside bare executemany / COPY of the same rows.
bench-state: $(STAMP) postgres-server
	$(BIN)/python -m bench.state --sizes $(BENCH_STATE_SIZES) --today $(TODAY)

# Targets against a real SCIM service, locally: `make scim-demo-server` in one terminal,
# `make scim-demo` in another (a copy of the example org plus a SCIM Target; docs/targets.md).
DEMO := .provisioner/demo/riverside-health
scim-demo-server: $(STAMP)
	$(BIN)/python examples/scim-demo/serve.py --port 8089

scim-demo: $(STAMP)
	mkdir -p $(dir $(DEMO))
	[ -d $(DEMO) ] || { cp -r $(ORG) $(DEMO) && rm -rf $(DEMO)/.audit; }  # the copy is its own org: not the example's anchor
	rm -rf $(DEMO)/out
	cp examples/scim-demo/target.yaml $(DEMO)/demo-scim-target.yaml
	DEMO_SCIM_TOKEN=demo-token $(BIN)/provisioner apply $(DEMO) --auto-approve $(TODAY_FLAG) \
		--state sqlite:///.provisioner/demo/state.db

clean:
	rm -rf $(VENV) .provisioner orgs/riverside-health/.audit orgs/harbor-therapy/.audit build *.egg-info tests/targets/harness/scimmy/node_modules
