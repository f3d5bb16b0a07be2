/**
 * The error a failed OCI runtime (runc, crun) or conmon command becomes.
 *
 * Classification reads the runtime's own stderr. The strings below were
 * collected by running runc 1.1.5 and crun 1.8.1 against missing, created,
 * running, paused and stopped containers:
 *
 * | kind            | runc                                                        | crun                                                                    |
 * | --------------- | ----------------------------------------------------------- | ----------------------------------------------------------------------- |
 * | `NotFound`      | `container does not exist`                                  | ``error opening file `ROOT/ID/status`: No such file or directory``, `cannot open directory 'ROOT/ID'` |
 * | `AlreadyExists` | `container with given ID already exists`                    | ``container `ID` already exists``                                        |
 * | `NotRunning`    | `container not running`, `cannot exec in a stopped container`, `cannot start a container in the paused state`, `cannot start an already running container`, `container not paused` | ``the container `ID` is not in `created` or `stopped` state``, `cannot open ... exec.fifo`, `container not running` |
 * | `Other`         | anything else                                               | anything else                                                           |
 *
 * The kinds map to {@link CrikitError} codes: `NotFound` to NotFound,
 * `AlreadyExists` to AlreadyExists, `NotRunning` to FailedPrecondition and
 * `Other` to Unavailable: the runtime (or conmon) could not do it this time,
 * its own message says why, and a retry may succeed.
 *
 * This file is pure.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { ErrorCodeName } from "../errors.js";

/**
 * What a runtime failure means, read from the runtime's stderr.
 *
 * @public
 */
export type RuntimeErrorKind = "NotFound" | "AlreadyExists" | "NotRunning" | "Other";

const kindToCode: Readonly<Record<RuntimeErrorKind, ErrorCodeName>> = {
  NotFound: "NotFound",
  AlreadyExists: "AlreadyExists",
  NotRunning: "FailedPrecondition",
  Other: "Unavailable",
};

const patterns: ReadonlyArray<readonly [RegExp, RuntimeErrorKind]> = [
  [/container does not exist|does not exist$/m, "NotFound"],
  [/error opening file `[^`]*\/status`: No such file or directory/, "NotFound"],
  [/cannot open directory '[^']*': No such file or directory/, "NotFound"],
  [/already exists/, "AlreadyExists"],
  [/not running|cannot exec in a stopped container|in the paused state|already running|has stopped|not paused|is not in `created` or `stopped` state|cannot open `[^`]*exec\.fifo`|container is stopped/, "NotRunning"],
];

/**
 * Classify a runtime's stderr text.
 *
 * @public
 */
export function classifyRuntimeError(stderr: string): RuntimeErrorKind {
  for (const [re, kind] of patterns) if (re.test(stderr)) return kind;
  return "Other";
}

/**
 * The human part of a runtime's stderr: runc logs in logfmt
 * (`time=... level=error msg="..."`), crun writes plain lines. Returns the last
 * non-empty message.
 *
 * @public
 */
export function runtimeErrorMessage(stderr: string): string {
  const lines = stderr.split("\n").map((l) => l.trim()).filter((l) => l !== "");
  const msgs = lines.map((l) => {
    const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(l);
    return m?.[1] !== undefined ? m[1].replace(/\\(.)/g, "$1") : l;
  });
  const errs = lines.filter((l) => /level=(error|fatal)/.test(l));
  if (errs.length > 0) {
    const last = errs[errs.length - 1] ?? "";
    const m = /\bmsg="((?:[^"\\]|\\.)*)"/.exec(last);
    if (m?.[1] !== undefined) return m[1].replace(/\\(.)/g, "$1");
  }
  return msgs[msgs.length - 1] ?? "";
}

/**
 * Facts about one failed command, as given to {@link RuntimeCommandError}.
 *
 * @public
 */
export interface RuntimeCommandFailure {
  /** The whole command line, binary first. */
  argv: readonly string[];
  /** Exit code, when the command exited. */
  exitCode?: number | undefined;
  /** Signal name, when the command was killed by one. */
  signal?: string | undefined;
  /** The command's stderr (only its tail is kept). */
  stderr: string;
  /** Whether the command was stopped by a timeout. */
  timedOut?: boolean;
  /** The underlying error (an ExecaError, a Node error). */
  cause?: unknown;
  /** Override the classification read from stderr. */
  kind?: RuntimeErrorKind;
}

const runtimeBrand = Symbol.for("crikit.RuntimeCommandError");

/** How many characters of stderr a {@link RuntimeCommandError} keeps. */
const stderrTailChars = 4096;

/**
 * A failed runtime (runc, crun) or conmon command, shaped like execa's
 * `ExecaError`: `argv`, `exitCode`, `signal`, the tail of `stderr`, and the
 * underlying error as `cause`. It is a {@link CrikitError} whose code follows
 * {@link RuntimeErrorKind}; a timed-out command is `DeadlineExceeded`.
 *
 * @example
 * ```ts
 * try { await cli.kill(id, "SIGTERM"); }
 * catch (e) { if (isRuntimeCommandError(e) && e.kind === "NotRunning") { ... } }
 * ```
 *
 * @public
 */
export class RuntimeCommandError extends CrikitError {
  /** The command line, binary first. */
  readonly argv: readonly string[];
  /** Exit code, when the command exited. */
  readonly exitCode: number | undefined;
  /** Signal name, when the command was killed by one. */
  readonly signal: string | undefined;
  /** The last 4 KiB of the command's stderr. */
  readonly stderrTail: string;
  /** What the failure means. */
  readonly kind: RuntimeErrorKind;
  /** Whether the command was stopped by a timeout. */
  readonly timedOut: boolean;

  constructor(failure: RuntimeCommandFailure) {
    const kind = failure.kind ?? classifyRuntimeError(failure.stderr);
    const what = runtimeErrorMessage(failure.stderr);
    const cmd = [basename(failure.argv[0] ?? "runtime"), subcommandOf(failure.argv)].filter((s) => s !== "").join(" ");
    const how = failure.timedOut
      ? "timed out"
      : failure.signal !== undefined
        ? `was killed by ${failure.signal}`
        : `failed (exit code ${failure.exitCode ?? "unknown"})`;
    super(failure.timedOut ? "DeadlineExceeded" : kindToCode[kind], `${cmd} ${how}${what ? `: ${what}` : ""}`, {
      cause: failure.cause,
      details: { argv: failure.argv, exitCode: failure.exitCode, signal: failure.signal, kind },
    });
    this.argv = Object.freeze([...failure.argv]);
    this.exitCode = failure.exitCode;
    this.signal = failure.signal;
    this.stderrTail = failure.stderr.length > stderrTailChars ? failure.stderr.slice(-stderrTailChars) : failure.stderr;
    this.kind = kind;
    this.timedOut = failure.timedOut ?? false;
    Object.defineProperty(this, runtimeBrand, { value: true });
  }

  /** `instanceof` by brand, so it also matches a RuntimeCommandError from another copy of crikit, and no other CrikitError. */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isRuntimeCommandError(v);
  }
}
Object.defineProperty(RuntimeCommandError.prototype, "name", { value: "RuntimeCommandError", enumerable: false });

/**
 * Whether `v` is a {@link RuntimeCommandError}.
 *
 * @public
 */
export function isRuntimeCommandError(v: unknown): v is RuntimeCommandError {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[runtimeBrand] === true;
}

function basename(p: string): string {
  const i = p.lastIndexOf("/");
  return i < 0 ? p : p.slice(i + 1);
}

const subcommands = new Set(["create", "start", "state", "list", "kill", "delete", "pause", "resume", "update", "exec", "ps", "events", "run", "spec"]);
function subcommandOf(argv: readonly string[]): string {
  for (const a of argv.slice(1)) if (subcommands.has(a)) return a;
  return "";
}
