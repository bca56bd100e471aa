# unitsync: generate, check, build, test, bench.
BIN := node_modules/.bin
export NODE_EXTRA_CA_CERTS :=

.PHONY: all gen check lint typecheck gen-check build test up bench clean

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

up: build
	node bin/unitsync.cjs up --dir examples

clean:
	rm -rf dist
