// Runs a wasm32-wasip1 command module in V8 through node:wasi, passing argv through.
// Usage: node run.mjs MODULE.wasm [ARGS...]
import { readFile } from "node:fs/promises";
import { argv, exit } from "node:process";
import { WASI } from "node:wasi";

const [, , path, ...args] = argv;
const wasi = new WASI({ version: "preview1", args: [path, ...args], env: {}, returnOnExit: true });
const module = await WebAssembly.compile(await readFile(path));
const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
exit(wasi.start(instance));
