/**
 * The Argon2 WebAssembly module for the Worker (resolved through `#argon2` under the `workerd`
 * condition). Wrangler turns the `.wasm` import into a `WebAssembly.Module` compiled at deploy time:
 * Workers refuse to compile WebAssembly from bytes at run time, so the module must arrive this way.
 */
import Argon2 from "@phi-ag/argon2";
import argon2Wasm from "@phi-ag/argon2/argon2.wasm";

export async function loadArgon2(): Promise<Argon2> {
  return new Argon2(await WebAssembly.instantiate(argon2Wasm));
}
