# pushmetrics: `make demo` runs the demo, `make test` every test suite, `make bench` the
# benchmarks, `make dist` the packages users install. Each installs what it needs first
# (scripts/deps.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help
LANGS := rust c python node docs dist lint

.PHONY: help deps demo test bench dist $(addprefix test-,$(LANGS)) lint

help:
	@echo "make demo   build the library and run the examples against a local Pushgateway"
	@echo "make test   run every test suite"
	@echo "make bench  run the benchmarks side by side with the incumbent libraries"
	@echo "make dist   build the wheel, the npm packages and the C tarball into dist/"

deps:
	@bash scripts/deps.sh

demo: deps
	@bash examples/demo.sh

test: deps
	@bash tests/run.sh $(LANGS)

# One suite: make test-rust, test-c, test-python, test-node, test-docs, test-dist or
# test-lint. A static pattern rule, because make looks up no implicit rule for a phony
# target.
$(addprefix test-,$(LANGS)): test-%: deps
	@bash tests/run.sh $*

bench: deps
	@bash bench/run.sh

# The wheel, the sdist, the npm packages and the C tarball (scripts/dist.sh).
dist:
	@bash scripts/dist.sh

# rustfmt, clippy -D warnings, ruff and tsc (tests/lint/run.sh); also a suite of make test.
lint:
	@bash tests/run.sh lint

# The C library: header, shared and static libraries, pkg-config file and CMake package.
PREFIX ?= /usr/local
.PHONY: install
install:
	@bash ffi/install.sh "$(PREFIX)"
