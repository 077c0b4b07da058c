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

.PHONY: help install up down status test typecheck unit integration deno-check clean ingest

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

test: typecheck unit integration deno-check

typecheck: node_modules
	tsc --noEmit -p tsconfig.json
	tsc --noEmit -p tsconfig.lib.json

unit: node_modules
	$(TEST) $$(find test/unit -name '*.test.ts' | sort)

# One file at a time: they share one LocalStack and one engine on a 2-core machine.
integration: node_modules
	$(TSX) scripts/emulators.ts up
	$(TEST) --test-concurrency=1 $$(find test/integration -name '*.test.ts' | sort)

deno-check: node_modules
	$(DENO) scripts/emulators.ts status

clean:
	rm -rf work

# --- the blog, end to end ----------------------------------------------------------------------------------------

ingest: node_modules
	$(TSX) scripts/blog.ts $(if $(DATE),--date $(DATE)) $(if $(FROM),--from $(FROM)) $(if $(TO),--to $(TO))
