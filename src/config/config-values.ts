/**
 * Values inside the daemon configuration: `host:port` addresses and
 * `default_ulimits` entries.
 *
 * @packageDocumentation
 */
import type { ErrorObject } from "ajv";
import { invalidArgument } from "../errors.js";

/**
 * Splits a `host:port` address (`127.0.0.1:9090`, `[::1]:9090`); undefined
 * when it is not one.
 *
 * @public
 */
export function parseHostPort(address: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(address);
  if (m === null) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  return { host: m[1] ?? m[2] ?? "", port };
}

/** Whether a host names the loopback interface. */
export function isLoopback(host: string): boolean {
  return host === "localhost" || host === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

const ULIMIT_NAMES = ["as", "core", "cpu", "data", "fsize", "locks", "memlock", "msgqueue", "nice", "nofile", "nproc", "rss", "rtprio", "rttime", "sigpending", "stack"];

/**
 * Parses one `default_ulimits` entry, `NAME=SOFT:HARD` (or `NAME=LIMIT` for
 * both), into an OCI rlimit such as `{ type: "RLIMIT_NOFILE", soft: 1048576, hard: 1048576 }`.
 *
 * @throws `InvalidArgument` naming `field` for an unknown name, a value that
 *   is not a non-negative integer, or a soft limit above the hard one.
 * @public
 */
export function parseUlimit(text: string, field = "default_ulimits"): { type: string; soft: number; hard: number } {
  const m = /^([a-z]+)=(\d+)(?::(\d+))?$/.exec(text.trim());
  if (m === null) throw invalidArgument(`${field}: ${JSON.stringify(text)} is not NAME=SOFT:HARD (for instance "nofile=1048576:1048576")`, field);
  const [, name = "", softText = "", hardText] = m;
  if (!ULIMIT_NAMES.includes(name)) throw invalidArgument(`${field}: unknown limit ${JSON.stringify(name)} (known: ${ULIMIT_NAMES.join(", ")})`, field);
  const soft = Number(softText);
  const hard = hardText === undefined ? soft : Number(hardText);
  if (!Number.isSafeInteger(soft) || !Number.isSafeInteger(hard)) throw invalidArgument(`${field}: ${JSON.stringify(text)} is out of range`, field);
  if (soft > hard) throw invalidArgument(`${field}: soft limit ${soft} is above the hard limit ${hard}`, field);
  return { type: `RLIMIT_${name.toUpperCase()}`, soft, hard };
}

/** A schema validation error as one line naming the key. */
export function describeError(e: ErrorObject): string {
  const where = e.instancePath === "" ? "config" : e.instancePath.slice(1).replaceAll("/", ".");
  if (e.keyword === "additionalProperties") return `${where}: unknown key ${JSON.stringify(e.params["additionalProperty"])}`;
  if (e.keyword === "enum") return `${where}: must be one of ${(e.params["allowedValues"] as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`;
  return `${where}: ${e.message ?? "invalid"}`;
}
