/**
 * The `WebAssembly` global, typed (TypeScript declares it with the DOM only), and {@link capMemory}: a
 * module's memory is outside the worker's JS heap that `resourceLimits` bounds, so the container's limit
 * goes into the module's memory section (core spec 5.5: sections `id:u8 size:leb128 content`; section 5,
 * limits `flags:u8 min [max]`); `memory.grow` past it fails in the module (`malloc` returns NULL).
 */

/** A compiled module (structured-cloneable to a worker). */
export type WasmModule = { readonly [Symbol.toStringTag]: string };
/** A linear memory. */
export type WasmMemory = { readonly buffer: ArrayBuffer };
/** The part of the `WebAssembly` global this example uses. */
export const wasm = (globalThis as unknown as {
  WebAssembly: { compile(bytes: Uint8Array): Promise<WasmModule>; instantiate(m: WasmModule, imports: object): Promise<{ exports: Record<string, unknown> }> };
}).WebAssembly;

/** Bytes per page of linear memory. */
export const PAGE = 65536;

function readLeb(b: Uint8Array, at: number): [value: number, next: number] {
  for (let value = 0, shift = 0; ; shift += 7) {
    const byte = b[at++];
    if (byte === undefined) throw new Error("truncated WebAssembly module");
    value += (byte & 0x7f) * 2 ** shift;
    if ((byte & 0x80) === 0) return [value, at];
  }
}

function leb(value: number): number[] {
  const out = [value % 128];
  while ((value = Math.floor(value / 128)) > 0) {
    out[out.length - 1]! |= 0x80;
    out.push(value % 128);
  }
  return out;
}

/** The module with the maximum of each memory it defines at most `limitBytes`; throws when one starts above it. */
export function capMemory(module: Uint8Array, limitBytes: number): Uint8Array {
  const maxPages = Math.floor(limitBytes / PAGE);
  for (let at = 8; at < module.length; ) {
    const [size, content] = readLeb(module, at + 1);
    if (module[at] !== 5) {
      at = content + size;
      continue;
    }
    let [count, p] = readLeb(module, content);
    const body = leb(count);
    for (; count > 0; count--) {
      const flags = module[p] ?? 0;
      if (flags & 0x04) throw new Error("64-bit memories are not supported");
      let [min, max] = [0, Infinity];
      [min, p] = readLeb(module, p + 1);
      if (flags & 0x01) [max, p] = readLeb(module, p);
      if (min > maxPages) throw new Error(`the module needs ${min * PAGE} bytes of memory at start, above the memory limit of ${limitBytes} bytes`);
      body.push(flags | 0x01, ...leb(min), ...leb(Math.min(max, maxPages)));
    }
    const section = [5, ...leb(body.length), ...body];
    const out = new Uint8Array(at + section.length + module.length - p);
    out.set(module.subarray(0, at));
    out.set(section, at);
    out.set(module.subarray(p), at + section.length);
    return out;
  }
  return module;
}
