/**
 * The daemon configuration as TypeScript code writes it: a deep-partial of
 * {@link DaemonConfig} with camelCase keys (`logLevel`, `cni.binDirs`), where
 * the TOML file has snake_case ones (`log_level`, `cni.bin_dirs`).
 *
 * Nothing here repeats the schema: the type is derived from
 * {@link DaemonConfig}, and {@link createDaemonConfig} maps each key through
 * {@link daemonConfigSchema}'s property names, then resolves the result with
 * {@link resolveDaemonConfig}: the same defaults and the same validation as
 * the TOML file. Keys of maps (runtime handler names, registry hosts) and the
 * contents of a runtime's `options` table are kept as they are.
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";
import { daemonConfigSchema, resolveDaemonConfig, type DaemonConfig } from "./daemon-config.js";

/**
 * `snake_case` to `camelCase`, at the type level.
 *
 * @public
 */
export type CamelCase<S extends string> = S extends `${infer Head}_${infer Tail}` ? `${Head}${Capitalize<CamelCase<Tail>>}` : S;

/**
 * A deep-partial of `T` with camelCase keys; arrays are given whole, and the
 * keys of maps (types with a string index) are kept.
 *
 * @public
 */
export type CamelCaseInput<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? string extends keyof T
      ? { [key: string]: CamelCaseInput<T[keyof T & string]> }
      : { [K in keyof T as K extends string ? CamelCase<K> : never]?: CamelCaseInput<T[K]> }
    : T;

/**
 * The daemon configuration given in code: every key optional, camelCase.
 *
 * @example
 * ```ts
 * const config = createDaemonConfig({ root: "/tmp/crikit/root", state: "/tmp/crikit/state", logLevel: "debug", cni: { confDir: "/tmp/crikit/net.d" } });
 * config.cni.conf_dir; // "/tmp/crikit/net.d"
 * ```
 *
 * @public
 */
export type DaemonConfigInput = CamelCaseInput<DaemonConfig>;

/** The part of a JSON Schema the mapping reads. */
interface SchemaNode {
  readonly properties?: Readonly<Record<string, SchemaNode>>;
  readonly additionalProperties?: SchemaNode | boolean;
}

const camel = (key: string): string => key.replace(/_([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function toSnake(value: unknown, schema: SchemaNode, path: string): unknown {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return value;
  const { properties, additionalProperties } = schema;
  if (properties !== undefined) {
    const byCamel = new Map(Object.keys(properties).map((k) => [camel(k), k]));
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v === undefined) continue;
      const snake = byCamel.get(key);
      const where = path === "" ? key : `${path}.${key}`;
      if (snake === undefined) {
        const hint = byCamel.has(camel(key)) ? ` (write ${JSON.stringify(camel(key))})` : "";
        throw invalidArgument(`invalid configuration: ${where}: unknown key${hint}`, where);
      }
      out[snake] = toSnake(v, properties[snake] ?? {}, where);
    }
    return out;
  }
  if (typeof additionalProperties === "object") {
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value)) {
      if (v !== undefined) out[key] = toSnake(v, additionalProperties, path === "" ? key : `${path}.${key}`);
    }
    return out;
  }
  // A free-form table (a runtime's options): kept as written.
  return value;
}

/**
 * The TOML-shaped (snake_case) table of a {@link DaemonConfigInput}, before
 * defaults and validation; what `parseDaemonConfig` would read from a file.
 *
 * @throws `InvalidArgument` naming a key the configuration does not have
 *   (a snake_case key gets a hint with its camelCase spelling).
 * @public
 */
export function daemonConfigTable(input: DaemonConfigInput): Record<string, unknown> {
  return toSnake(input, daemonConfigSchema as SchemaNode, "") as Record<string, unknown>;
}

/**
 * Resolves a configuration given in code: {@link daemonConfigTable}, then
 * {@link resolveDaemonConfig} (defaults and validation).
 *
 * @throws `InvalidArgument` naming the offending key.
 * @public
 */
export function createDaemonConfig(input: DaemonConfigInput = {}): DaemonConfig {
  return resolveDaemonConfig(daemonConfigTable(input));
}
