# Two entry points for a fresh machine: `make run` (demo) and `make test` (everything).
# Every target installs what it needs through tests/tools/setup.sh, which is idempotent.

SHELL := /bin/bash
CRATE := jwt_authn_wasm
WASM_TARGET := wasm32-wasip1
WASM_RAW := target/$(WASM_TARGET)/release/$(CRATE).wasm
WASM := build/$(CRATE).wasm
WASM_FEATURES := --enable-simd --enable-bulk-memory --enable-sign-ext --enable-nontrapping-float-to-int --enable-mutable-globals
VENV := .venv
PY := $(VENV)/bin/python
PYTEST := $(VENV)/bin/pytest
export PATH := $(CURDIR)/.tools/bin:$(HOME)/.cargo/bin:$(PATH)

.PHONY: setup build wasm dynamic-module validator lint unit integration test run bench soak fuzz clean

setup:
	@bash tests/tools/setup.sh

wasm: setup
	cargo build --release --target $(WASM_TARGET) --lib -p jwt-authn-wasm
	@mkdir -p build
	@# Envoy calls only the callbacks a module exports; the SDK exports them all, and each
	@# call into V8 costs about as much as the filter's own work on a cached token.
	wasm-metadce $(WASM_FEATURES) -f src/filter/exports.json $(WASM_RAW) -o build/$(CRATE).dce.wasm > /dev/null
	@# -Oz: 7 KB smaller than -O3, and the same speed in make bench (the hot work is in the host).
	@# --low-memory-unused (4 KB): Rust puts the stack first, so the lowest 1 KiB is only
	@# ever touched by a stack about to overflow. --converge repeats -Oz while it still shrinks (1 KB).
	wasm-opt -Oz --converge --low-memory-unused --strip-debug --strip-producers $(WASM_FEATURES) build/$(CRATE).dce.wasm -o $(WASM)
	@echo "built $(WASM) ($$(stat -c %s $(WASM)) bytes)"

# The same engine as an Envoy dynamic module (native; see README "Which build"). Its own
# profile: panics unwind so that every hook catches them, and thin LTO keeps the build short.
dynamic-module: setup
	cargo build --profile dynamic-module -p jwt-authn-dynamic-module
	@mkdir -p build
	@# A new file, not one rewritten in place: a running Envoy keeps the library it mapped.
	cp target/dynamic-module/libjwt_authn.so build/libjwt_authn.so.tmp && mv -f build/libjwt_authn.so.tmp build/libjwt_authn.so
	@echo "built build/libjwt_authn.so ($$(stat -c %s build/libjwt_authn.so) bytes)"

validator: setup
	cargo build --release --bin validate-config --bin convert-requestauthentication -p jwt-authn-wasm

build: wasm validator dynamic-module

lint: setup
	cargo fmt --all -- --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --all-targets -p jwt-authn-dynamic-module -- -D warnings
	@# The engine with the dynamic module's crypto backend (src/crypto/aws_lc.rs).
	cargo clippy --all-targets -p jwt-authn-wasm --features aws-lc -- -D warnings
	cargo clippy --release --target $(WASM_TARGET) --lib -p jwt-authn-wasm -- -D warnings

unit: setup
	cargo test --all
	@# The engine's tests against each module backend, ring (the wasm build's) and aws-lc-rs
	@# (the dynamic module's): `--all` unifies features, so there the engine has aws-lc-rs.
	cargo test --lib -p jwt-authn-wasm
	cargo test --lib -p jwt-authn-wasm --features aws-lc

integration: build
	$(PYTEST) -q tests

test: lint unit wasm-unit integration

run: build
	$(PY) tests/tools/demo.py

clean:
	cargo clean
	rm -rf build

# Deployment (image, push), benchmark and long-running targets live next to what they drive.
-include wasmplugin/image.mk
-include tests/bench/bench.mk
-include tests/soak.mk
-include tests/wasm_unit.mk
-include chart/crds.mk
