# pushmetrics: `make demo` runs the demo, `make test` every test suite, `make bench` the
# benchmarks, `make dist` the packages users install. Each installs what it needs first
# (scripts/deps.sh).
SHELL := /bin/bash
.DEFAULT_GOAL := help
LANGS := rust c python node docs dist

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

# One suite: make test-rust, test-c, test-python, test-node, test-docs or test-dist. A
# static pattern rule, because make looks up no implicit rule for a phony target.
$(addprefix test-,$(LANGS)): test-%: deps
	@bash tests/run.sh $*

bench: deps
	@bash bench/run.sh

# The wheel, the sdist, the npm packages and the C tarball (scripts/dist.sh).
dist:
	@bash scripts/dist.sh

lint:
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings

# The C library: header, shared and static libraries, pkg-config file and CMake package.
PREFIX ?= /usr/local
.PHONY: install
install:
	@bash ffi/install.sh "$(PREFIX)"
