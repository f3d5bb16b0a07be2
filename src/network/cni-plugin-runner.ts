/**
 * Running CNI plugins for `CniManager`: one plugin call with the CNI
 * environment (the binary looked up in the bin dirs, and looked up again
 * when a remembered one vanished), timed and reported on the
 * `crikit:network:plugin` diagnostics channel; DEL along a chain; and the
 * loopback network every pod gets.
 *
 * @packageDocumentation
 */
import { channel } from "node:diagnostics_channel";
import { performance } from "node:perf_hooks";
import type { Logger } from "../logger.js";
import type { CniAttachment } from "./attachment-cache.js";
import { buildPluginStdin, formatCniArgs } from "./cni-args.js";
import { toCniNetworkConfigList, type CniNetworkConfigList, type CniPluginConfig } from "./cni-config.js";
import { CniPluginError, isCniPluginError } from "./cni-error.js";
import type { CniExec } from "./cni-exec.js";
import type { CniCommand } from "./cni-version.js";

const loopbackList: CniNetworkConfigList = toCniNetworkConfigList({ cniVersion: "1.0.0", name: "cni-loopback", plugins: [{ type: "loopback" }] });
const diag = channel("crikit:network:plugin");

/** Where a plugin call attaches: the container, its netns and interface, and CNI_ARGS. */
export interface Attach {
  readonly containerId: string;
  readonly netns: string;
  readonly ifName: string;
  readonly cniArgs: ReadonlyArray<readonly [string, string]>;
}

/** Runs CNI plugins (see the file header). */
export class CniPluginRunner {
  readonly #exec: CniExec;
  readonly #binDirs: readonly string[];
  readonly #timeoutMs: number;
  readonly #log: Logger | undefined;
  readonly #pluginPaths = new Map<string, string>();

  constructor(exec: CniExec, binDirs: readonly string[], timeoutMs: number, log: Logger | undefined) {
    this.#exec = exec;
    this.#binDirs = binDirs;
    this.#timeoutMs = timeoutMs;
    this.#log = log;
  }

  /** ADD or DEL of the loopback network (`lo`) in `att`'s netns. */
  loopback(command: "ADD" | "DEL", att: Omit<Attach, "ifName">, signal: AbortSignal): Promise<string> {
    const p = loopbackList.plugins[0] as CniPluginConfig;
    return this.invoke(loopbackList, p, command, { ...att, ifName: "lo" }, buildPluginStdin(loopbackList, p), signal);
  }

  /**
   * DEL in reverse chain order. A failing plugin does not stop the others
   * (so a broken meta plugin cannot leak the main plugin's address); the
   * first failure is thrown at the end. Aborts and timeouts stop at once.
   */
  async delChain(list: CniNetworkConfigList, att: CniAttachment, prevResult: unknown, signal: AbortSignal): Promise<void> {
    let first: unknown;
    for (const p of [...list.plugins].reverse()) {
      const stdin = buildPluginStdin(list, p, { capabilityArgs: att.capabilityArgs, ...(prevResult !== undefined ? { prevResult } : {}) });
      try {
        await this.invoke(list, p, "DEL", att, stdin, signal);
      } catch (e) {
        if (signal.aborted || (isCniPluginError(e) && (e.canceled || e.timedOut))) throw e;
        first ??= e;
      }
    }
    if (first !== undefined) throw first;
  }

  async invoke(list: CniNetworkConfigList, plugin: CniPluginConfig, command: CniCommand, att: Attach | undefined, stdin: string, signal: AbortSignal): Promise<string> {
    signal.throwIfAborted();
    // Lookups are remembered; a path that stops working is looked up again below.
    let pluginPath = this.#pluginPaths.get(plugin.type) ?? (await this.#exec.findPlugin(plugin.type, this.#binDirs));
    if (pluginPath === undefined) {
      throw new CniPluginError({
        plugin: plugin.type,
        command,
        network: list.name,
        ...(att ? { containerId: att.containerId } : {}),
        notFound: true,
        reason: `plugin binary "${plugin.type}" not found in ${this.#binDirs.join(":")}`,
      });
    }
    const env: Record<string, string> = { CNI_COMMAND: command, CNI_PATH: this.#binDirs.join(":") };
    if (att) {
      env["CNI_CONTAINERID"] = att.containerId;
      env["CNI_NETNS"] = att.netns;
      env["CNI_IFNAME"] = att.ifName;
      env["CNI_ARGS"] = formatCniArgs(att.cniArgs);
    }
    const t0 = performance.now();
    try {
      let out;
      try {
        out = await this.#exec.exec({ pluginPath, plugin: plugin.type, network: list.name, command, env, stdin, timeoutMs: this.#timeoutMs, signal });
      } catch (e) {
        // The remembered binary vanished (plugins reinstalled): look it up once more.
        if (!isCniPluginError(e) || e.code !== "FailedPrecondition" || !this.#pluginPaths.has(plugin.type)) throw e;
        this.#pluginPaths.delete(plugin.type);
        const again = await this.#exec.findPlugin(plugin.type, this.#binDirs);
        if (again === undefined) throw e;
        pluginPath = again;
        out = await this.#exec.exec({ pluginPath, plugin: plugin.type, network: list.name, command, env, stdin, timeoutMs: this.#timeoutMs, signal });
      }
      this.#pluginPaths.set(plugin.type, pluginPath);
      const durationMs = performance.now() - t0;
      if (diag.hasSubscribers) diag.publish({ command, plugin: plugin.type, network: list.name, containerId: att?.containerId, durationMs });
      this.#log?.debug({ command, plugin: plugin.type, network: list.name, pod: att?.containerId, durationMs }, "CNI plugin call");
      return out.stdout;
    } catch (e) {
      const durationMs = performance.now() - t0;
      if (diag.hasSubscribers) diag.publish({ command, plugin: plugin.type, network: list.name, containerId: att?.containerId, durationMs, error: e });
      this.#log?.warn({ command, plugin: plugin.type, network: list.name, pod: att?.containerId, durationMs, err: e }, "CNI plugin call failed");
      throw e;
    }
  }
}
