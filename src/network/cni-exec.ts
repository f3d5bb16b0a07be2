/**
 * Running a CNI plugin binary: the small {@link CniExec} interface the
 * adapter calls through, and its default, backed by a {@link ProcessRunner}
 * (by default the shared spawner process, so plugin calls do not fork the
 * daemon).
 *
 * Protocol (CNI spec "Execution"): the verb and the attachment go in the
 * environment (`CNI_COMMAND`, `CNI_CONTAINERID`, `CNI_NETNS`, `CNI_IFNAME`,
 * `CNI_ARGS`, `CNI_PATH`), the configuration on stdin; the result, or a CNI
 * error object, comes back on stdout; exit code 0 means success.
 *
 * Killing: each call has a timeout and an optional AbortSignal, both handed
 * to the runner. The plugin runs in its own process group, and when
 * the call is cut short the whole group gets SIGKILL, so a plugin that forked
 * (a shell script, an `iptables` child) cannot keep the call hanging.
 *
 * @packageDocumentation
 */
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join } from "node:path";
import { defaultRunner, type ProcessRunner } from "../process/index.js";
import { CniPluginError, parseCniErrorJson } from "./cni-error.js";
import type { CniCommand } from "./cni-version.js";

/**
 * One plugin call.
 *
 * @public
 */
export interface CniExecRequest {
  /** Absolute path of the plugin binary. */
  readonly pluginPath: string;
  /** Plugin type, for errors. */
  readonly plugin: string;
  /** Network name, for errors. */
  readonly network: string;
  /** The verb (`CNI_COMMAND`), for errors. */
  readonly command: CniCommand;
  /** The `CNI_*` variables (CNI_COMMAND included). */
  readonly env: Readonly<Record<string, string>>;
  /** The configuration JSON. */
  readonly stdin: string;
  /** Kill the plugin after this long. */
  readonly timeoutMs: number;
  /** Aborts the call; the plugin's process group is killed. */
  readonly signal?: AbortSignal;
}

/**
 * What a plugin printed when it succeeded.
 *
 * @public
 */
export interface CniExecOutput {
  /** The plugin's stdout: the result JSON for ADD, the version info for VERSION, usually empty for the other verbs. */
  readonly stdout: string;
  /** The plugin's stderr (diagnostics only). */
  readonly stderr: string;
}

/**
 * How the adapter runs plugins. Swap it for a fake in unit tests of
 * orchestration; the default is {@link createCniExec}.
 *
 * @public
 */
export interface CniExec {
  /** Finds the binary for `type` in `binDirs` (first match), or `undefined`. */
  findPlugin(type: string, binDirs: readonly string[]): Promise<string | undefined>;
  /**
   * Runs one plugin call.
   *
   * @throws {@link CniPluginError} when the plugin fails, times out or is aborted.
   */
  exec(req: CniExecRequest): Promise<CniExecOutput>;
}

/**
 * Options of {@link createCniExec}.
 *
 * @public
 */
export interface CniExecOptions {
  /**
   * Pass the runtime's own environment to plugins too (libcni does).
   * @defaultValue true
   */
  readonly inheritEnv?: boolean;
  /**
   * Largest stdout or stderr kept, in bytes.
   * @defaultValue 8 MiB
   */
  readonly maxBuffer?: number;
  /**
   * What runs the plugins.
   * @defaultValue {@link defaultRunner} (the shared spawner while one is held)
   */
  readonly runner?: ProcessRunner;
}

/**
 * The default {@link CniExec}: looks plugins up with `access(X_OK)` and runs
 * them through the runner.
 *
 * @public
 */
export function createCniExec(options: CniExecOptions = {}): CniExec {
  const inheritEnv = options.inheritEnv ?? true;
  const maxBuffer = options.maxBuffer ?? 8 * 2 ** 20;
  const runner = options.runner ?? defaultRunner;
  return {
    async findPlugin(type, binDirs) {
      for (const dir of binDirs) {
        const p = join(dir, type);
        try {
          await access(p, constants.X_OK);
          if ((await stat(p)).isFile()) return p;
        } catch {
          // not in this dir
        }
      }
      return undefined;
    },

    async exec(req) {
      const containerId = req.env["CNI_CONTAINERID"];
      const base = {
        plugin: req.plugin,
        pluginPath: req.pluginPath,
        command: req.command,
        network: req.network,
        ...(containerId !== undefined && containerId !== "" ? { containerId } : {}),
      };
      if (req.signal?.aborted) throw new CniPluginError({ ...base, canceled: true, cause: req.signal.reason });
      const r = await runner.run({
        file: req.pluginPath,
        env: req.env,
        extendEnv: inheritEnv,
        input: req.stdin,
        timeoutMs: req.timeoutMs,
        signal: req.signal,
        killSignal: "SIGKILL",
        processGroup: true,
        maxBuffer,
      });
      if (r.exitCode === 0) return { stdout: r.stdout, stderr: r.stderr };
      const cniError = parseCniErrorJson(r.stdout);
      const canceled = r.canceled && !r.timedOut;
      throw new CniPluginError({
        ...base,
        ...(r.exitCode !== undefined ? { exitCode: r.exitCode } : {}),
        ...(r.signal !== undefined ? { signal: r.signal } : {}),
        timedOut: r.timedOut,
        canceled,
        notFound: r.spawnError?.code === "ENOENT",
        ...(cniError ? { cniError } : {}),
        stderr: r.stderr,
        ...(r.spawnError !== undefined ? { reason: r.spawnError.message } : {}),
        ...(!cniError && r.stdout.trim() !== "" && r.exitCode !== undefined ? { reason: `stdout: ${r.stdout.trim().slice(0, 512)}` } : {}),
        cause: canceled ? req.signal?.reason : r.timedOut ? new DOMException(`CNI plugin ${req.plugin} timed out after ${req.timeoutMs} ms`, "TimeoutError") : r.spawnError,
      });
    },
  };
}
