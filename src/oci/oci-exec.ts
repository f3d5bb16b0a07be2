/**
 * Exec in a container of the OCI adapter: the process to run is the
 * container's own (from its bundle) with the command, the extra
 * environment and the terminal; the session is `exec-sync.ts`'s (output
 * collected) or `exec-stream.ts`'s (the client's streams).
 *
 * @packageDocumentation
 */
import type { StreamingIO } from "../streaming/runtime.js";
import type { AdapterParts } from "./conmon-container.js";
import { runExecStream } from "./exec-stream.js";
import { runExecSync, type ExecSyncResult } from "./exec-sync.js";

/** Options of an ExecSync. */
export interface ExecSyncOptions {
  timeoutMs?: number;
  env?: readonly string[];
  maxOutputBytes?: number;
}

function envOf(base: Record<string, unknown>): string[] {
  return (base["env"] as string[] | undefined) ?? [];
}

/** Runs `cmd` in the container and collects its output; `timeoutMs` 0 means no limit. */
export async function execSyncIn(x: AdapterParts, id: string, cmd: readonly string[], base: Record<string, unknown>, opts: ExecSyncOptions, signal: AbortSignal): Promise<ExecSyncResult> {
  const proc: Record<string, unknown> = { ...base, args: [...cmd], terminal: false };
  if (opts.env) proc["env"] = [...envOf(base), ...opts.env];
  const o = x.options;
  return runExecSync({
    binary: x.cli.binary,
    globalArgs: x.cli.globalArgs,
    id,
    process: proc,
    workDir: x.state.containerDir(id),
    timeoutMs: opts.timeoutMs ?? 0,
    ...(opts.maxOutputBytes !== undefined ? { maxOutputBytes: opts.maxOutputBytes } : {}),
    drainMs: o.execDrainMs ?? 1000,
    signal,
    ...(o.execVia === "runtime" ? {} : { conmon: { path: o.conmon ?? "conmon", runtimePath: await x.runtimePath() } }),
  });
}

/** Runs `cmd` in the container with the client's streams (a terminal when `io.tty`, with TERM set); resolves with its exit code. */
export function execStreamIn(x: AdapterParts, id: string, cmd: readonly string[], base: Record<string, unknown>, io: StreamingIO, signal: AbortSignal): Promise<number> {
  const proc: Record<string, unknown> = { ...base, args: [...cmd], terminal: io.tty };
  if (io.tty && !envOf(base).some((e) => e.startsWith("TERM="))) proc["env"] = [...envOf(base), "TERM=xterm"];
  return runExecStream({
    binary: x.cli.binary,
    globalArgs: x.cli.globalArgs,
    id,
    process: proc,
    workDir: x.state.containerDir(id),
    io,
    signal,
    drainMs: x.options.execDrainMs ?? 1000,
  });
}
