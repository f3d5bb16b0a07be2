/**
 * JSON that keeps 64-bit integers exact.
 *
 * CRI resources are int64 (`cpu_quota`, `memory_limit_in_bytes`, ...) and the
 * OCI runtime spec carries them as JSON numbers, which runc and crun read as
 * Go `int64`/`uint64`. A JavaScript `number` holds integers exactly only up to
 * 2^53, so `JSON.stringify` of `Number(2n ** 63n - 1n)` writes
 * `9223372036854776000`. These two functions are the exact counterparts:
 *
 * - {@link stringifyExactJson} writes a `bigint` as its decimal digits (a JSON
 *   number, not a string), through `JSON.rawJSON`;
 * - {@link parseExactJson} reads every integer literal that a `number` cannot
 *   hold exactly as a `bigint` (through the reviver's source text), and
 *   everything else as `JSON.parse` does.
 *
 * Spec generation keeps values that fit a `number` exactly as numbers and
 * only the larger ones as bigints, so specs stay plain objects for the
 * common case.
 *
 * @packageDocumentation
 */

interface RawJsonApi {
  rawJSON(text: string): unknown;
}

/** The reviver's third argument (JSON.parse source text access). */
interface ReviverContext {
  source?: string;
}

const INTEGER = /^-?(0|[1-9][0-9]*)$/;

/**
 * `JSON.stringify`, except that a `bigint` anywhere in `value` is written as
 * a JSON number with all its digits.
 *
 * @example
 * ```ts
 * stringifyExactJson({ quota: 2n ** 63n - 1n }); // '{"quota":9223372036854775807}'
 * ```
 *
 * @public
 */
export function stringifyExactJson(value: unknown, space?: number): string {
  const raw = (JSON as unknown as RawJsonApi).rawJSON;
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? raw(v.toString()) : v), space);
}

/**
 * `JSON.parse`, except that an integer literal outside the safe range of
 * `number` (beyond ±(2^53 - 1)) becomes a `bigint` with its exact value.
 *
 * @example
 * ```ts
 * parseExactJson('{"quota":9223372036854775807}'); // { quota: 9223372036854775807n }
 * ```
 *
 * @public
 */
export function parseExactJson(text: string): unknown {
  return JSON.parse(text, function (this: unknown, _k: string, v: unknown, ctx?: ReviverContext) {
    if (typeof v === "number" && !Number.isSafeInteger(v) && ctx?.source !== undefined && INTEGER.test(ctx.source)) return BigInt(ctx.source);
    return v;
  } as (this: unknown, k: string, v: unknown) => unknown);
}

/**
 * An int64 from a CRI request as a spec number: a `number` when it is
 * exact as one, else the `bigint` itself (written exactly by
 * {@link stringifyExactJson}).
 *
 * @public
 */
export function specInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
