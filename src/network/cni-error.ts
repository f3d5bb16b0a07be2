/**
 * The error a failed plugin call throws, in the style of execa's
 * `ExecaError`: what ran, how it ended, the plugin's own CNI error
 * (`{code, msg, details}` printed on stdout) and a tail of its stderr.
 *
 * Code mapping: timeout to `DeadlineExceeded`; abort to `Canceled`; a missing
 * plugin binary, and the CNI codes that say the configuration or the set-up
 * is wrong (1 incompatible version, 2 unsupported field, 4 invalid
 * environment, 6 decode failure, 7 invalid network config), to
 * `FailedPrecondition`: a retry fails the same way until someone fixes it;
 * 3 (unknown container) to `NotFound`; everything else (5 I/O failure,
 * 11 try again later, the STATUS codes 50 and 51, a plugin-specific code,
 * a plugin that exits non-zero without a CNI error or is killed by a
 * signal) to `Unavailable`: the network could not be set up this time, and
 * the kubelet's retry may well succeed.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { ErrorCodeName } from "../errors.js";
import type { CniCommand } from "./cni-version.js";

/**
 * A CNI error object as a plugin prints it on failure.
 *
 * @public
 */
export interface CniErrorJson {
  /** CNI spec version of the error object. */
  readonly cniVersion?: string;
  /**
   * Error code: 1 to 99 are reserved by the CNI spec (see {@link CniErrorCode}), 100 and up are
   * plugin-specific.
   */
  readonly code: number;
  /** Short description of the error. */
  readonly msg: string;
  /** Longer description, when the plugin gave one. */
  readonly details?: string;
}

/**
 * Well-known CNI error codes (CNI spec "Error").
 *
 * @public
 */
export const CniErrorCode = {
  IncompatibleVersion: 1,
  UnsupportedField: 2,
  UnknownContainer: 3,
  InvalidEnvironment: 4,
  IoFailure: 5,
  DecodeFailure: 6,
  InvalidNetworkConfig: 7,
  TryAgainLater: 11,
  PluginNotAvailable: 50,
  PluginNotAvailableExistingDamaged: 51,
} as const;

/**
 * Parses a plugin's stdout as a CNI error object.
 *
 * @returns `undefined` when stdout is not one.
 * @public
 */
export function parseCniErrorJson(stdout: string): CniErrorJson | undefined {
  let v: unknown;
  try {
    v = JSON.parse(stdout);
  } catch {
    return undefined;
  }
  if (typeof v !== "object" || v === null) return undefined;
  const o = v as Record<string, unknown>;
  if (typeof o["code"] !== "number" || typeof o["msg"] !== "string") return undefined;
  const e: { cniVersion?: string; code: number; msg: string; details?: string } = { code: o["code"], msg: o["msg"] };
  if (typeof o["details"] === "string" && o["details"] !== "") e.details = o["details"];
  if (typeof o["cniVersion"] === "string") e.cniVersion = o["cniVersion"];
  return e;
}

const brand = Symbol.for("crikit.CniPluginError");
const stderrTailBytes = 4096;

/**
 * Facts about a failed plugin call.
 *
 * @public
 */
export interface CniPluginErrorInit {
  /** Plugin type (binary name). */
  readonly plugin: string;
  /** Absolute path of the binary, when found. */
  readonly pluginPath?: string;
  /** The verb that failed. */
  readonly command: CniCommand;
  /** Network name. */
  readonly network: string;
  /** `CNI_CONTAINERID`, when the verb has one. */
  readonly containerId?: string;
  /** The plugin's exit code, if it exited. */
  readonly exitCode?: number;
  /** The signal that ended the plugin, such as `SIGKILL`, if any. */
  readonly signal?: string;
  /**
   * The call hit its timeout and the plugin's process group was killed; the code becomes `DeadlineExceeded`.
   */
  readonly timedOut?: boolean;
  /**
   * The caller's signal aborted the call and the plugin's process group was killed; the code becomes
   * `Canceled`.
   */
  readonly canceled?: boolean;
  /** The plugin binary was not found in the bin dirs; the code becomes `FailedPrecondition`. */
  readonly notFound?: boolean;
  /** The plugin's CNI error object, when it printed one. */
  readonly cniError?: CniErrorJson;
  /** The plugin's stderr (only its tail is kept). */
  readonly stderr?: string;
  /** What went wrong when no CNI error object explains it. */
  readonly reason?: string;
  /** The underlying error (from execa or the file system), kept as the error's `cause`. */
  readonly cause?: unknown;
}

function codeFor(i: CniPluginErrorInit): ErrorCodeName {
  if (i.timedOut) return "DeadlineExceeded";
  if (i.canceled) return "Canceled";
  if (i.notFound) return "FailedPrecondition";
  const c = i.cniError?.code;
  if (c === CniErrorCode.UnknownContainer) return "NotFound";
  if (c !== undefined && setupErrors.has(c)) return "FailedPrecondition";
  return "Unavailable";
}

/** CNI codes that say the configuration or the plugin's set-up is wrong. */
const setupErrors: ReadonlySet<number> = new Set([
  CniErrorCode.IncompatibleVersion,
  CniErrorCode.UnsupportedField,
  CniErrorCode.InvalidEnvironment,
  CniErrorCode.DecodeFailure,
  CniErrorCode.InvalidNetworkConfig,
]);

function messageFor(i: CniPluginErrorInit): string {
  const head = `CNI plugin "${i.plugin}" ${i.command} for network "${i.network}"`;
  if (i.cniError) {
    return `${head} failed: ${i.cniError.msg}${i.cniError.details ? `: ${i.cniError.details}` : ""} (CNI error code ${i.cniError.code})`;
  }
  if (i.timedOut) return `${head} timed out and was killed`;
  if (i.canceled) return `${head} was canceled`;
  if (i.notFound) return `${head} failed: ${i.reason ?? "plugin binary not found"}`;
  const how = i.signal ? `was killed by ${i.signal}` : i.exitCode !== undefined ? `exited with code ${i.exitCode}` : "failed";
  return `${head} ${how}${i.reason ? `: ${i.reason}` : ""}`;
}

/**
 * A plugin call failed. `cniError` holds the plugin's own error object
 * (code, msg, details) and `stderr` the tail of what it wrote to stderr.
 *
 * @public
 */
export class CniPluginError extends CrikitError {
  /** Plugin type (binary name). */
  readonly plugin: string;
  /** Absolute path of the binary, when it was found. */
  readonly pluginPath: string | undefined;
  /** The verb that failed. */
  readonly command: CniCommand;
  /** Network name. */
  readonly network: string;
  /** `CNI_CONTAINERID` (the pod sandbox ID), when the verb has one. */
  readonly containerId: string | undefined;
  /** The plugin's exit code, if it exited. */
  readonly exitCode: number | undefined;
  /** The signal that ended the plugin, if any. */
  readonly signal: string | undefined;
  /** The call hit its timeout and the plugin was killed. */
  readonly timedOut: boolean;
  /** The caller's signal aborted the call and the plugin was killed. */
  readonly canceled: boolean;
  /** The plugin's own CNI error object, when it printed one. */
  readonly cniError: CniErrorJson | undefined;
  /** Last 4 KiB of the plugin's stderr. */
  readonly stderr: string;

  /**
   * Builds the error; the code follows from `init`: a timeout is `DeadlineExceeded`, an abort `Canceled`, a
   * missing plugin binary and the CNI codes 1, 2, 4, 6 and 7 `FailedPrecondition`, CNI code 3 `NotFound`, anything
   * else (a plugin-specific code, a crash, a non-zero exit) `Unavailable`.
   */
  constructor(init: CniPluginErrorInit) {
    const stderr = (init.stderr ?? "").slice(-stderrTailBytes);
    super(codeFor(init), messageFor(init), {
      cause: init.cause,
      details: {
        plugin: init.plugin,
        command: init.command,
        network: init.network,
        ...(init.containerId !== undefined ? { containerId: init.containerId } : {}),
        ...(init.cniError ? { cniCode: init.cniError.code } : {}),
      },
    });
    this.plugin = init.plugin;
    this.pluginPath = init.pluginPath;
    this.command = init.command;
    this.network = init.network;
    this.containerId = init.containerId;
    this.exitCode = init.exitCode;
    this.signal = init.signal;
    this.timedOut = init.timedOut ?? false;
    this.canceled = init.canceled ?? false;
    this.cniError = init.cniError;
    this.stderr = stderr;
    Object.defineProperty(this, brand, { value: true });
  }

  /** `instanceof` by brand, so it works across copies of crikit and does not match other CrikitErrors. */
  static override [Symbol.hasInstance](v: unknown): boolean {
    return isCniPluginError(v);
  }
}
Object.defineProperty(CniPluginError.prototype, "name", { value: "CniPluginError", enumerable: false });

/**
 * Whether `v` is a {@link CniPluginError}, also one from another copy of crikit.
 *
 * @public
 */
export function isCniPluginError(v: unknown): v is CniPluginError {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[brand] === true;
}
