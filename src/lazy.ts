/**
 * Heavy dependencies loaded where they are used, not when crikit is imported.
 *
 * Importing a pure building block (a name, a store, a spec) should cost what
 * it is; execa, ajv, protobufjs, tar-stream and smol-toml together add about
 * 300 ms and 40 MB to a process that loads them. Synchronous callers load
 * CommonJS builds through `require` (every one of these ships one, except
 * execa); asynchronous callers `import()` execa on first use.
 *
 * @packageDocumentation
 */
import { createRequire } from "node:module";
import type * as Execa from "execa";

const require = createRequire(import.meta.url);

/**
 * A function that loads module `id` with `require` on its first call and
 * returns the same module afterwards.
 *
 * @internal
 */
export function lazyRequire<T>(id: string): () => T {
  let mod: T | undefined;
  return () => (mod ??= require(id) as T);
}

let execaModule: Promise<typeof Execa> | undefined;

/**
 * execa's `execa` function, imported on the first call.
 *
 * @internal
 */
export async function loadExeca(): Promise<typeof Execa.execa> {
  execaModule ??= import("execa");
  return (await execaModule).execa;
}
