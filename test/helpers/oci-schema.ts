/**
 * Validates OCI runtime-spec `config.json` documents against the v1.2.1
 * JSON schemas in `../shared/oci-schemas/runtime-spec-v1.2.1`. The schemas
 * declare `"$schema": "http://json-schema.org/draft-04/schema#"`, so they
 * are compiled with ajv's draft-04 class (`ajv-draft-04`), with
 * `ajv-formats` for any `format` keyword.
 */
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import Ajv04 from "ajv-draft-04";
import addFormats from "ajv-formats";

const schemaDir = fileURLToPath(new URL("../../../shared/oci-schemas/runtime-spec-v1.2.1/", import.meta.url));

type Validate = ((data: unknown) => boolean) & { errors?: unknown[] | null };

let cached: Validate | undefined;

function compile(): Validate {
  const ajv = new Ajv04.default({ allErrors: true, strict: false });
  addFormats.default(ajv);
  for (const f of readdirSync(schemaDir).filter((n) => n.endsWith(".json") && n !== "config-schema.json")) {
    const schema = JSON.parse(readFileSync(join(schemaDir, f), "utf8")) as Record<string, unknown>;
    ajv.addSchema(schema, f);
  }
  const root = JSON.parse(readFileSync(join(schemaDir, "config-schema.json"), "utf8")) as Record<string, unknown>;
  return ajv.compile(root) as Validate;
}

/**
 * Validation errors of `spec` against config-schema.json (an empty list
 * when it is valid). The spec is round-tripped through JSON first, as a
 * runtime would read it.
 */
export function ociSchemaErrors(spec: unknown): string[] {
  cached ??= compile();
  const ok = cached(JSON.parse(JSON.stringify(spec)));
  if (ok) return [];
  return (cached.errors ?? []).map((e) => JSON.stringify(e));
}

/** Throws with the schema errors when `spec` is not a valid config.json. */
export function assertValidOciSpec(spec: unknown): void {
  const errors = ociSchemaErrors(spec);
  if (errors.length > 0) throw new Error(`config.json fails the OCI runtime-spec v1.2.1 schema:\n${errors.join("\n")}`);
}
