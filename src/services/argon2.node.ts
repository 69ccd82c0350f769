/**
 * The Argon2 WebAssembly module in Node (the admin CLI and the Node-side tests), resolved through
 * `#argon2` when the `workerd` condition does not apply: Node cannot import a `.wasm` file as a
 * module, so the package's Node entry reads and compiles it.
 */
export { default as loadArgon2 } from "@phi-ag/argon2/node";
