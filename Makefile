# carevis: the one entry point. `make help` lists the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.carevis-built
RUST_SOURCES := $(shell find rust/src -name '*.rs') Cargo.toml pyproject.toml

.DEFAULT_GOAL := help
.PHONY: help dev system-deps test test-rust test-python test-wheel wheel lint fmt bench demo clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  make %-12s %s\n", $$1, $$2}'

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(STAMP): $(BIN)/python $(RUST_SOURCES)
	$(BIN)/pip install -q 'maturin>=1.7,<2.0'
	$(BIN)/pip install -q -e '.[dev,bench,dask]'
	touch $(STAMP)

dev: $(STAMP) ## Build the Rust extension (release) and install carevis into .venv

system-deps: ## Install the system packages the GL tests need (Xvfb, Mesa EGL), if missing
	@bash .ci/system-deps

test: dev system-deps ## Run every test: Rust, Python (GL included) and the wheel without Rust
	cargo test --lib --quiet
	$(BIN)/python -m pytest -q
	$(MAKE) --no-print-directory test-wheel

test-rust: ## Rust unit and property tests only
	cargo test --lib --quiet

test-python: dev system-deps ## Python tests only
	$(BIN)/python -m pytest -q

WHEEL_PROFILE ?= release
wheel: $(BIN)/python ## Build an abi3 manylinux wheel into dist/ (installs with no Rust)
	$(BIN)/pip install -q 'maturin>=1.7,<2.0' 'ziglang>=0.13'
	rm -f dist/carevis-*.whl
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/maturin build --profile $(WHEEL_PROFILE) --zig \
	  --compatibility manylinux2014 --interpreter $(BIN)/python --out dist

# make test builds the wheel with the quicker wheel-check profile (Cargo.toml): the same
# packaging and manylinux check, without the release build's whole-program optimisation.
test-wheel: ## Install a wheel in a fresh venv without cargo and run a small demo
	$(MAKE) --no-print-directory wheel WHEEL_PROFILE=wheel-check
	PYTHON=$(PYTHON) bash .ci/wheel-check

lint: dev ## ruff, mypy, rustfmt and clippy
	$(BIN)/ruff check python tests benches
	$(BIN)/ruff format --check python tests benches
	$(BIN)/mypy
	cargo fmt --check
	cargo clippy --lib --features python -- -D warnings

fmt: ## Format Rust and Python
	cargo fmt
	$(BIN)/ruff format python tests benches

bench: dev ## Run the benchmarks (carevis against its peers, ratios printed)
	$(BIN)/python benches/run_all.py

demo: dev ## Render the synthetic England to ./carevis-demo/ (video and poster)
	$(BIN)/carevis demo

clean: ## Remove build outputs
	rm -rf target $(VENV) python/carevis/*.so
