# `make bench`: native vs wasm JWT verification side by side in one Envoy (tests/bench/run_bench.py).
# `make bench-micro`: verify cost per algorithm, natively (criterion) and inside V8 (node:wasi).
BENCH_ARGS ?=

.PHONY: bench-noop bench-micro

bench-noop: setup
	cargo build --release --target $(WASM_TARGET) -p noop-filter

bench: wasm bench-noop
	$(PY) tests/bench/run_bench.py $(BENCH_ARGS)

bench-micro: setup
	cargo build --release --target $(WASM_TARGET) -p wasm-verify-bench
	node tests/bench/wasm-verify/run.mjs target/$(WASM_TARGET)/release/wasm-verify-bench.wasm 2
	cargo bench --bench verify -- --warm-up-time 1 --measurement-time 3
