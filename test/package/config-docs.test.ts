/**
 * The configuration reference (docs/config.md) is generated from the config
 * types by `npm run docs:config`; the committed file must be what they give,
 * and it must cover every key the schema accepts.
 */
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { execa } from "execa";
import { daemonConfigSchema } from "../../src/config/index.js";

const repo = fileURLToPath(new URL("../..", import.meta.url));

describe("docs/config.md", () => {
  it("is what `npm run docs:config` writes from the current config types", async () => {
    const r = await execa("sh", ["-c", "npm run --silent docs:config -- --check"], { cwd: repo, reject: false });
    assert.equal(r.exitCode, 0, `${r.stderr}${r.stdout}`);
    assert.match(r.stdout, /docs\/config\.md: up to date/);
  });

  it("names every key of the schema, with its default", async () => {
    const text = await readFile(join(repo, "docs/config.md"), "utf8");
    for (const [key, s] of Object.entries(daemonConfigSchema.properties) as Array<[string, { type?: string; default?: unknown }]>) {
      if (s.type !== "object") assert.match(text, new RegExp(`\\| \`${key}\` \\|[^\\n]*\\| \`${JSON.stringify(s.default).replaceAll("[", "\\[").replaceAll("]", "\\]")}\` \\|`), key);
      else assert.match(text, new RegExp(`## \`\\[${key}(\\.<name>)?\\]\``), key);
    }
    for (const key of Object.keys(daemonConfigSchema.properties.cni.properties)) assert.match(text, new RegExp(`\\| \`${key}\` \\|`), `cni.${key}`);
  });
});
