# trailpost: ship AWS CloudTrail logs from S3 into Elasticsearch and OpenSearch.
#
#   make ingest DATE=2013-12-07   the blog's pipeline end to end (local stack unless configured otherwise)
#   make test                     type-check, unit tests, integration tests on the local stack, Deno run
#   make build                    dist/NAME.mjs: each script bundled into one file that runs without tsx
#   make fuzz SEED=1 N=5000       hostile records against the local engine: 0 mapping dead letters, exact round trip
#   make follow                   continuous ingestion live: simulated CloudTrail → S3 → SQS → 2 workers (Ctrl-C stops)
#   make bench-follow             workers' throughput (1, 2, 4) beside ingest, and PutObject→searchable latency
#   make up | down | status       the local emulator stack (LocalStack + OpenSearch on 127.0.0.1)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# Values given on the command line (make ingest DATE=…, make bench RECORDS=…, SEED, N, LOCALSTACK_PORT, …) are
# taken as written: make never expands them (a `$(shell …)` in one stays text) and recipes never name them, so no
# shell parses them either. They reach the programs only through the environment (exported, unchanged; values from
# the environment pass through unchanged as well), and the programs check them (lib/config.ts): a bad one exits 2
# naming it. A recipe must not write $(DATE) or the like: test/integration/make-injection.test.ts checks.
$(foreach v,$(filter-out MAKEFLAGS MAKEOVERRIDES,$(.VARIABLES)),$(if $(filter command line,$(origin $(v))),$(eval override $(v) := $$(value $(v)))$(eval export $(v))))
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

TSX  := node --import tsx
DENO := deno run --allow-all --quiet
TEST := node --import tsx --test --test-reporter=spec

.PHONY: help install build up down status test test-suites standalone typecheck unit integration deno-check fuzz bench bench-follow clean ingest follow

help:
	@sed -n '/^#/!q;p' Makefile | sed 's/^# \{0,1\}//'

# --- set-up ------------------------------------------------------------------------------------------------------

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

install: node_modules
	$(TSX) scripts/emulators.ts install

# --- built scripts -------------------------------------------------------------------------------------------------

# Each step script (and ingest, validate, report, setup, enqueue, worker, edge) bundled with lib/ and aws4fetch into
# dist/NAME.mjs, the worker thread into dist/runtime/ (package.json's "build": the list and the flags live there, so
# no make variable reaches that command). Node runs them without tsx's loader, which costs about 30 MB and 0.2 s of
# every run. Their first line starts Node with V8's young generation at 4 MB a semi-space instead of up to 16 MB, and
# WebAssembly compiled by Liftoff only (fetch's HTTP parser, llhttp, is WebAssembly; optimising it costs about 30 MB
# at start-up and no measured speed): run them as `./dist/ingest.mjs --date …`. The sources run unchanged under tsx
# and Deno. Not built: the ones that start the local emulators (blog, follow, emulators) and lambda.ts (its own
# bundle, see its header).
build: node_modules
	npm run --silent build

# --- local emulator stack ----------------------------------------------------------------------------------------

up: node_modules
	$(TSX) scripts/emulators.ts up

down: node_modules
	$(TSX) scripts/emulators.ts down

status: node_modules
	$(TSX) scripts/emulators.ts status

# --- tests -------------------------------------------------------------------------------------------------------

# Everything the run prints is captured in work/test-output.log, then searched for the tests' secrets.
test: node_modules
	@mkdir -p work
	$(MAKE) --no-print-directory test-suites 2>&1 | tee work/test-output.log
	$(TSX) test/support/check-secrets.ts work/test-output.log work

test-suites: standalone typecheck build unit integration deno-check

# Nothing may read the shared notes beside a developer's clone: no tracked file names them, and every Node process
# of the tests (scripts they start included) refuses to open them.
STANDALONE := NODE_OPTIONS="--import=$(CURDIR)/test/support/standalone.mjs"

standalone:
	node test/support/standalone.mjs --scan

typecheck: node_modules
	tsc --noEmit -p tsconfig.json
	tsc --noEmit -p tsconfig.lib.json

# Two files at a time (node's default is one less than the cores: one here): 90-95 s instead of 150 s, measured.
unit: node_modules
	$(STANDALONE) $(TEST) --test-concurrency=2 $$(find test/unit -name '*.test.ts' | sort)

# One file at a time: they share one LocalStack and one engine on a 2-core machine.
integration: node_modules
	$(TSX) scripts/emulators.ts up
	$(STANDALONE) $(TEST) --test-concurrency=1 $$(find test/integration -name '*.test.ts' | sort)

# Every script loads and answers --help under Deno too (test/integration/deno.test.ts runs them end to end). What
# the scripts share (scripts/runtime/) is loaded by them.
deno-check: node_modules
	for script in $(wildcard scripts/*.ts); do \
	  $(DENO) $$script --help > /dev/null || { echo "deno: $$script --help failed"; exit 1; }; \
	done
	@echo "deno: all scripts load"

# The mapping fuzz against the local engine with any seed and size: make fuzz SEED=42 N=20000 (make test runs seed 1, 5,000).
fuzz: node_modules
	$(TSX) scripts/emulators.ts up
	$(STANDALONE) $(TEST) test/integration/mapping-fuzz.test.ts

# Speed and memory against the blog's gzip | jq pipeline, measured side by side (not part of make test). It builds
# dist/ itself (npm run build), once its settings are checked.
# RECORDS, RUNS, BIG_MB and SEARCH_PORT reach the script through the environment, never through the shell.
bench: node_modules
	$(TSX) bench/bench.ts

# Workers' throughput and PutObject→searchable latency on the local stack (not part of make test).
bench-follow: node_modules
	$(TSX) bench/follow.ts

# --- the blog, end to end ----------------------------------------------------------------------------------------

# DATE, or FROM and TO, reach scripts/blog.ts through the environment (see the top of this file).
ingest: node_modules
	$(TSX) scripts/blog.ts

# --- continuous ingestion, live ---------------------------------------------------------------------------------

# WORKERS, EVERY (seconds between objects) and DURATION are read from the environment by follow.ts.
follow: node_modules
	$(TSX) scripts/follow.ts
