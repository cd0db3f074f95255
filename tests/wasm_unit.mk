# `make wasm-unit`: the module's crypto in the runtime Envoy runs it in. The library's unit
# tests named wycheproof (Wycheproof vectors through the PublicKey constructors and
# signature::verify_raw, ring alone and cross-checked against the ring-backed stand-in host)
# are built for wasm32-wasip1 and run in V8 by node (tests/bench/wasm-verify/run.mjs is
# cargo's runner), so a miscompiled or differently behaving ring on wasm32 fails here.

.PHONY: wasm-unit

wasm-unit: setup
	CARGO_TARGET_WASM32_WASIP1_RUNNER="node tests/bench/wasm-verify/run.mjs" \
		cargo test --release --target $(WASM_TARGET) --lib -p jwt-authn-wasm wycheproof
