# unitsync: generate, check, build, test, bench.
BIN := node_modules/.bin
export NODE_EXTRA_CA_CERTS :=

.PHONY: all gen check lint typecheck gen-check build test fuzz drills up bench clean

all: build

# Installed once when missing (order-only below): CI runs `npm ci` itself.
node_modules:
	npm ci --no-audit --no-fund

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

check: lint typecheck gen-check

build: | node_modules
	rm -rf dist
	$(BIN)/tsc -p .
	$(BIN)/esbuild src/cli/bin.ts --bundle --platform=node --format=cjs --target=node20 --log-level=warning --outfile=dist/unitsync.cjs

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

up: build
	node bin/unitsync.cjs up --dir examples

clean:
	rm -rf dist
