# `make bench`: native vs wasm JWT verification side by side in one Envoy (tests/bench/run_bench.py).
# `make bench-budget`: each worker's VM start and memory (also printed by `make bench`).
# `make bench-micro`: verify cost per algorithm, natively (criterion) and inside V8 (node:wasi).
# `make bench-instructions`: instructions per request per listener, under callgrind (load-independent).
BENCH_ARGS ?=

.PHONY: bench-noop bench-micro bench-budget bench-instructions

# The no-op filter gets the same export trimming and wasm-opt pass as the filter, so that
# "vs no-op wasm" compares like with like.
NOOP_WASM := build/noop_filter.wasm

bench-noop: setup
	cargo build --release --target $(WASM_TARGET) -p noop-filter
	@mkdir -p build
	wasm-metadce $(WASM_FEATURES) -f tests/bench/noop-filter/exports.json target/$(WASM_TARGET)/release/noop_filter.wasm -o build/noop_filter.dce.wasm > /dev/null
	wasm-opt -Oz --strip-debug --strip-producers $(WASM_FEATURES) build/noop_filter.dce.wasm -o $(NOOP_WASM)

bench: wasm bench-noop dynamic-module
	$(PY) tests/bench/run_bench.py $(BENCH_ARGS)
	$(PY) tests/bench/instructions.py $(INSTRUCTIONS_ARGS)
	$(PY) tests/bench/vm_budget.py

# The same listeners and goals counted in instructions per request (tests/bench/instructions.py).
INSTRUCTIONS_ARGS ?=
bench-instructions: wasm bench-noop dynamic-module
	$(PY) tests/bench/instructions.py $(INSTRUCTIONS_ARGS)

# VM start and memory per worker with a 100-key JWKS (tests/bench/vm_budget.py).
bench-budget: wasm bench-noop
	$(PY) tests/bench/vm_budget.py

bench-micro: setup
	cargo build --release --target $(WASM_TARGET) -p wasm-verify-bench
	node tests/bench/wasm-verify/run.mjs target/$(WASM_TARGET)/release/wasm-verify-bench.wasm 2

# The same cases natively, in the dynamic module's profile, with each module backend: ring and
# aws-lc-rs (the dynamic module's). `make bench-native-crypto BENCH_SECONDS=1`.
BENCH_SECONDS ?= 2
.PHONY: bench-native-crypto
bench-native-crypto: setup
	cargo run -q --profile dynamic-module -p wasm-verify-bench -- $(BENCH_SECONDS)
	cargo run -q --profile dynamic-module -p wasm-verify-bench --features jwt-authn-wasm/aws-lc -- $(BENCH_SECONDS)

