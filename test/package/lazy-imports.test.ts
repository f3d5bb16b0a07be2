/**
 * Importing crikit loads no heavy dependency: execa, ajv, protobufjs,
 * tar-stream, smol-toml and node-pty load when a function first needs them
 * (src/lazy.ts). A new static import of one of them fails here. The
 * OpenTelemetry API (small, no dependencies of its own) is loaded by the
 * modules whose steps make spans.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const run = promisify(execFile);
const root = fileURLToPath(new URL("../..", import.meta.url));

/** Prints the packages (under node_modules) that importing `entry` resolved. */
const probe = `
import { registerHooks } from "node:module";
const seen = new Set();
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); const i = r.url.lastIndexOf("node_modules/"); if (i >= 0) { const [a, b] = r.url.slice(i + 13).split("/"); seen.add(a.startsWith("@") ? a + "/" + b : a); } return r; } });
await import(process.argv[1]);
console.log(JSON.stringify([...seen].sort()));
`;

describe("importing the compiled entry points", () => {
  for (const [entry, allowed] of [
    ["dist/src/index.js", ["@bufbuild/protobuf", "@opentelemetry/api"]],
    ["dist/src/naming/index.js", []],
    ["dist/src/stores/index.js", []],
    ["dist/src/reference/index.js", []],
    ["dist/src/config/index.js", []],
    ["dist/src/spec/index.js", []],
    ["dist/src/status/index.js", []],
    ["dist/src/cri-enums.js", []],
    ["dist/src/server/index.js", ["@bufbuild/protobuf", "@opentelemetry/api"]],
  ] as const) {
    it(`${entry} loads only ${allowed.length ? allowed.join(", ") : "crikit's own modules"}`, async () => {
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", probe, `${root}${entry}`], { cwd: root });
      assert.deepEqual(JSON.parse(stdout), allowed);
    });
  }
});

/** Prints whether importing `entry` evaluated the generated CRI descriptor (api_pb.js). */
const descriptorProbe = `
import { registerHooks } from "node:module";
let loaded = false;
registerHooks({ resolve(spec, ctx, next) { const r = next(spec, ctx); if (r.url.endsWith("/gen/runtime/v1/api_pb.js")) loaded = true; return r; } });
await import(process.argv[1]);
console.log(JSON.stringify(loaded));
`;

describe("the CRI descriptor (crikit/cri) is built only by entry points that handle CRI messages", () => {
  for (const [entry, loads] of [
    ["dist/src/spec/index.js", false],
    ["dist/src/status/index.js", false],
    ["dist/src/config/index.js", false],
    ["dist/src/cri-enums.js", false],
    ["dist/src/cri.js", true],
  ] as const) {
    it(`${entry} ${loads ? "builds" : "does not build"} it`, async () => {
      const { stdout } = await run(process.execPath, ["--input-type=module", "-e", descriptorProbe, `${root}${entry}`], { cwd: root });
      assert.equal(JSON.parse(stdout), loads);
    });
  }
});
