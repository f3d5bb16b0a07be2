/**
 * Test support: validators for OCI image-spec v1.1.1 documents from the
 * schemas in shared/oci-schemas (JSON Schema draft-04, hence ajv-draft-04).
 * Nested `id`s are dropped and each file gets a flat id, so the schemas'
 * relative `$ref`s ("defs.json#/...") resolve between the files.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import AjvDraft04 from "ajv-draft-04";
import type { ValidateFunction } from "ajv";
import addFormats from "ajv-formats";

const dir = join(import.meta.dirname, "..", "..", "..", "shared", "oci-schemas", "image-spec-v1.1.1");
const base = "https://opencontainers.org/schema/";

function stripIds(v: unknown, root: boolean): unknown {
  if (Array.isArray(v)) return v.map((x) => stripIds(x, false));
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "id" && !root && typeof x === "string") continue;
    if (k === "$schema") continue;
    out[k] = stripIds(x, false);
  }
  return out;
}

type Ajv04 = InstanceType<typeof AjvDraft04.default>;
let ajv: Ajv04 | undefined;

function load(): Ajv04 {
  if (ajv) return ajv;
  const a = new AjvDraft04.default({ allErrors: true, strict: false });
  addFormats.default(a);
  for (const f of readdirSync(dir).filter((n) => n.endsWith(".json"))) {
    const s = stripIds(JSON.parse(readFileSync(join(dir, f), "utf8")), true) as Record<string, unknown>;
    s.id = `${base}${f}`;
    a.addSchema(s);
  }
  ajv = a;
  return a;
}

export function ociValidator(file: "image-manifest-schema.json" | "image-index-schema.json" | "config-schema.json" | "content-descriptor.json"): ValidateFunction {
  const v = load().getSchema(`${base}${file}`);
  if (!v) throw new Error(`schema ${file} did not load`);
  return v as ValidateFunction;
}
