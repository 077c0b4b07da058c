# trailpost: ship AWS CloudTrail logs from S3 into Elasticsearch and OpenSearch.
#
#   make ingest DATE=2013-12-07   the blog's pipeline end to end (local stack unless configured otherwise)
#   make test                     type-check, unit tests, integration tests on the local stack, Deno run
#   make up | down | status       the local emulator stack (LocalStack + OpenSearch on 127.0.0.1)

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
export PATH := $(CURDIR)/node_modules/.bin:$(PATH)

TSX  := node --import tsx
DENO := deno run --allow-all --quiet
TEST := node --import tsx --test --test-reporter=spec

.PHONY: help install up down status test test-suites standalone typecheck unit integration deno-check bench clean ingest

help:
	@sed -n '1,8p' Makefile | sed 's/^# \{0,1\}//'

# --- set-up ------------------------------------------------------------------------------------------------------

node_modules: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch node_modules

install: node_modules
	$(TSX) scripts/emulators.ts install

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

test-suites: standalone typecheck unit integration deno-check

# Nothing may read the shared notes beside a developer's clone: no tracked file names them, and every Node process
# of the tests (scripts they start included) refuses to open them.
STANDALONE := NODE_OPTIONS="--import=$(CURDIR)/test/support/standalone.mjs"

standalone:
	node test/support/standalone.mjs --scan

typecheck: node_modules
	tsc --noEmit -p tsconfig.json
	tsc --noEmit -p tsconfig.lib.json

unit: node_modules
	$(STANDALONE) $(TEST) $$(find test/unit -name '*.test.ts' | sort)

# One file at a time: they share one LocalStack and one engine on a 2-core machine.
integration: node_modules
	$(TSX) scripts/emulators.ts up
	$(STANDALONE) $(TEST) --test-concurrency=1 $$(find test/integration -name '*.test.ts' | sort)

# Every script loads and answers --help under Deno too (test/integration/deno.test.ts runs them end to end).
deno-check: node_modules
	for script in scripts/blog.ts scripts/copy.ts scripts/gunzip.ts scripts/split.ts scripts/bulk.ts scripts/ingest.ts scripts/emulators.ts; do \
	  $(DENO) $$script --help > /dev/null || { echo "deno: $$script --help failed"; exit 1; }; \
	done
	@echo "deno: all scripts load"

# Speed and memory against the blog's gzip | jq pipeline, measured side by side (not part of make test).
# RECORDS, RUNS, BIG_MB and SEARCH_PORT reach the script through the environment, never through the shell.
bench: node_modules
	$(TSX) bench/split.ts

# --- the blog, end to end ----------------------------------------------------------------------------------------

ingest: node_modules
	$(TSX) scripts/blog.ts $(if $(DATE),--date $(DATE)) $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))
