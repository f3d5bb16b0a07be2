/**
 * WebAssembly modules: the `WebAssembly` global, typed (TypeScript's libs
 * declare it only with the DOM's), and a container's memory limit as a
 * module's own memory maximum.
 *
 * A module's linear memory lives outside the worker's JS heap, so the
 * worker's `resourceLimits` cannot bound it; the module's memory section
 * can: {@link capMemory} rewrites the maximum of each memory the module
 * defines to at most the limit (rounded down to 64 KiB pages), so a
 * `memory.grow` past it fails inside the module (`malloc` returns NULL)
 * instead of growing the daemon. A module that starts above the limit is
 * refused. Imported memories are left alone (the host would supply them).
 *
 * Binary layout (WebAssembly core spec, 5.5): the 8-byte header, then
 * sections `id:u8 size:u32leb content`; the memory section (id 5) is a
 * vector of limits `flags:u8 min:u32leb [max:u32leb]` (flag bit 0: a
 * maximum is present; bit 1: shared; bit 2: 64-bit, refused here).
 */

/** A compiled module (structured-cloneable to a worker). */
export interface WasmModule {
  readonly [Symbol.toStringTag]: string;
}
/** A linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
}
/** An instantiated module. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}
/** The part of the `WebAssembly` global this example uses. */
export const wasm = (globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule>; instantiate(module: WasmModule, imports: object): Promise<WasmInstance> };
}).WebAssembly;

/** Bytes per page of linear memory. */
export const PAGE = 65536;
const MEMORY_SECTION = 5;

function readLeb(b: Uint8Array, at: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = b[at++];
    if (byte === undefined) throw new Error("truncated WebAssembly module");
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/**
 * The module with each defined memory's maximum at most `limitBytes`; the
 * module itself when it defines no memory.
 *
 * @throws when a memory's minimum is above the limit, or memories are 64-bit
 */
export function capMemory(module: Uint8Array, limitBytes: number): Uint8Array {
  const maxPages = Math.floor(limitBytes / PAGE);
  let at = 8;
  while (at < module.length) {
    const id = module[at] ?? 0;
    const [size, content] = readLeb(module, at + 1);
    if (id !== MEMORY_SECTION) {
      at = content + size;
      continue;
    }
    let [count, p] = readLeb(module, content);
    const body: number[] = leb(count);
    while (count-- > 0) {
      const flags = module[p] ?? 0;
      if (flags & 0x04) throw new Error("64-bit memories are not supported");
      const [min, afterMin] = readLeb(module, p + 1);
      let max = Infinity;
      p = afterMin;
      if (flags & 0x01) [max, p] = readLeb(module, p);
      if (min > maxPages) {
        throw new Error(`the module needs ${min * PAGE} bytes of memory at start, above the memory limit of ${limitBytes} bytes`);
      }
      body.push(flags | 0x01, ...leb(min), ...leb(Math.min(max, maxPages)));
    }
    const section = [MEMORY_SECTION, ...leb(body.length), ...body];
    const out = new Uint8Array(at + section.length + module.length - p);
    out.set(module.subarray(0, at));
    out.set(section, at);
    out.set(module.subarray(p), at + section.length);
    return out;
  }
  return module;
}
