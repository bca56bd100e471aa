# unitsync: generate, check, build, test, bench.
BIN := node_modules/.bin
export NODE_EXTRA_CA_CERTS :=

.PHONY: all deps gen check lint typecheck gen-check breaking build sea python test fuzz drills up up-failure up-scripts picture bench clean

# System packages the tests use: Graphviz (graph -o dot is checked by dot), Python's gRPC (the
# Python client example), zsh (its completion script) and Chromium (pages and pictures are checked
# in it headless). Debian package names; installed only
# when missing.
APT_PACKAGES := graphviz python3-grpcio python3-grpc-tools zsh systemd chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

all: build

# Installed once when missing (order-only below).
node_modules:
	npm ci --no-audit --no-fund

deps: | node_modules
	@missing=$$(for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing $$missing"; \
		$(SUDO) apt-get update -qq && $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	fi

gen: | node_modules
	$(BIN)/buf generate

lint: | node_modules
	$(BIN)/buf lint

typecheck: | node_modules
	$(BIN)/tsc --noEmit -p .

# Fails when gen/ differs from what the proto generates now.
gen-check: | node_modules
	$(BIN)/buf generate
	@git diff --exit-code --stat -- gen || (echo "gen/ is stale: run 'make gen' and commit it" >&2; exit 1)
	@test -z "$$(git status --porcelain -- gen)" || (echo "gen/ has untracked files: run 'make gen' and commit it" >&2; exit 1)

# The contract stays wire- and source-compatible: see the script for which commit it compares with.
breaking: | node_modules
	BUF=$(BIN)/buf sh scripts/check-breaking.sh

check: lint typecheck gen-check breaking

build: | node_modules
	rm -rf dist
	$(BIN)/tsc -p .
	node scripts/bundle.mjs
	$(BIN)/esbuild src/launcher.ts --platform=node --format=cjs --target=node20 --log-level=warning --outfile=dist/launcher.cjs

# A standalone `unitsync` (Node single-executable application with its code cache): dist/sea/unitsync.
sea: build
	sh scripts/build-sea.sh

# Python client code for examples/python, generated from the proto (not committed).
python:
	sh examples/python/generate.sh

test: build
	$(BIN)/ava

# The long forms of the property, model-based and drill tests; each prints its figures as JSON
# lines at the end (`make test` runs the short forms). UNITSYNC_FUZZ_SEED replays a run.
FIGURES := $(CURDIR)/dist/figures.jsonl
UNITSYNC_FUZZ_RUNS ?= 10000

fuzz: build
	@rm -f $(FIGURES)
	UNITSYNC_FUZZ_RUNS=$(UNITSYNC_FUZZ_RUNS) UNITSYNC_FIGURES=$(FIGURES) $(BIN)/ava --timeout=20m dist/test/property-core.test.js dist/test/model-core.test.js
	@echo "figures:" && cat $(FIGURES)

drills: build
	@rm -f $(FIGURES)
	UNITSYNC_DRILLS=long UNITSYNC_FIGURES=$(FIGURES) $(BIN)/ava --timeout=20m --concurrency=1 dist/test/drill-wire.test.js dist/test/drill-faults.test.js dist/test/limits.test.js
	@echo "figures:" && cat $(FIGURES)

# The example plan: parallel steps, a lock, services with readiness, a retried step; then
# examples/plan/smoke.sh asks the services and up stops them, dependents first. Exit 0.
up: build
	WORKSPACE=$$(mktemp -d) node bin/unitsync.cjs up -f examples/unitsync.yaml --then sh examples/plan/smoke.sh

# The same plan with lint-config failing: only its dependents are not run, and up exits 1.
up-failure: build
	DEMO_FAILURE=1 WORKSPACE=$$(mktemp -d) node bin/unitsync.cjs up -f examples/unitsync.yaml --then sh examples/plan/smoke.sh

# The scripts of examples/ that call unitsync themselves, in parallel under one agent.
up-scripts: build
	node bin/unitsync.cjs up --dir examples

# docs/startup.svg: the example start-up (as `make up` runs it) drawn by `timeline -o svg`.
picture: build
	sh scripts/startup-picture.sh

# Figures, never pass/fail: a table on stdout and bench/results.json. BENCH_QUICK=1 for a short run.
bench: build
	node dist/bench/run.js

clean:
	rm -rf dist
