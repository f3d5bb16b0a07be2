/**
 * WebAssembly test modules, built in the suite (never downloaded): from
 * WebAssembly text with wabt's `wat2wasm`, or from C with clang for
 * `wasm32-wasi` against Debian's wasi-libc (`scripts/setup.sh` installs
 * them). Builds of the same source are cached for the process.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const cache = new Map<string, Buffer>();

function build(kind: "wat" | "c", source: string, compile: (src: string, out: string) => void): Buffer {
  const key = `${kind}\0${source}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const dir = mkdtempSync(join(tmpdir(), "crikit-wasm-"));
  try {
    const src = join(dir, `m.${kind}`);
    const out = join(dir, "m.wasm");
    writeFileSync(src, source);
    compile(src, out);
    const bytes = readFileSync(out);
    cache.set(key, bytes);
    return bytes;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A module from WebAssembly text (`wat2wasm`). */
export function wat2wasm(text: string): Buffer {
  return build("wat", text, (src, out) => execFileSync("wat2wasm", [src, "-o", out], { stdio: ["ignore", "ignore", "pipe"] }));
}

/** A WASI preview-1 command from C (`clang --target=wasm32-wasi`, wasi-libc). */
export function clangWasi(source: string): Buffer {
  return build("c", source, (src, out) =>
    execFileSync("clang", ["--target=wasm32-wasi", "-O2", "-Wl,--strip-all", "-o", out, src], { stdio: ["ignore", "ignore", "pipe"] }),
  );
}

/**
 * A WASI command in WebAssembly text that writes `text` to fd `fd` and
 * exits with `code` (no libc: `fd_write` and `proc_exit` directly).
 */
export function watPrintExit(text: string, code: number, fd = 1): string {
  const bytes = Buffer.from(text);
  const data = [...bytes].map((b) => `\\${b.toString(16).padStart(2, "0")}`).join("");
  return `(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "${data}")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const ${bytes.length}))
    (drop (call $fd_write (i32.const ${fd}) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const ${code}))))`;
}
