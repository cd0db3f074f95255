// Runs a wasm32-wasip1 command module in V8 through node:wasi, passing argv through.
// Usage: node run.mjs MODULE.wasm [ARGS...]
// Also serves as cargo's runner for the filter crate's own test binary on wasm32-wasip1
// (CARGO_TARGET_WASM32_WASIP1_RUNNER): that binary links proxy-wasm, whose host imports
// ("env") no test calls outside Envoy, so they are bound to functions that fail loudly.
import { readFile } from "node:fs/promises";
import { argv, exit } from "node:process";
import { WASI } from "node:wasi";

const [, , path, ...args] = argv;
const wasi = new WASI({ version: "preview1", args: [path, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(path));
const env = {};
for (const imp of WebAssembly.Module.imports(module)) {
  if (imp.module === "env" && imp.kind === "function") {
    env[imp.name] = () => {
      throw new Error(`host function ${imp.name} is not available outside Envoy`);
    };
  }
}
const instance = await WebAssembly.instantiate(module, { ...wasi.getImportObject(), env });
// The filter library also exports a reactor's `_initialize`, which wasi.start refuses
// next to `_start`; a command only needs `_start` and its memory.
const { _start, memory } = instance.exports;
exit(wasi.start({ exports: { _start, memory } }));
