/**
 * What the OCI adapter learns before it creates a container: the facts of
 * the bundle's config.json, the binaries' paths, and whether `start` can be
 * runc's exec fifo (see `fast-paths.ts`).
 *
 * Negative `process.oomScoreAdj` in a bundle is clamped to 0 when this
 * process lacks CAP_SYS_RESOURCE (the runtime would otherwise fail with
 * "can't get final child's PID from pipe").
 *
 * @packageDocumentation
 */
import { access, constants as fsConstants, readFile, writeFile } from "node:fs/promises";
import { basename, delimiter, join } from "node:path";
import { failedPrecondition } from "../errors.js";
import { parseExactJson, stringifyExactJson } from "../spec/index.js";
import type { BundleFacts, OciLogger } from "./oci-runtime-types.js";
import { hasEffectiveCapability } from "./proc.js";

const capSysResource = 24;

/**
 * Reads the bundle's config.json once: clamps a negative
 * `process.oomScoreAdj` when CAP_SYS_RESOURCE is missing, and notes what
 * start and stop need (poststart hooks, own PID namespace).
 */
export async function inspectBundle(bundle: string, log: OciLogger | undefined): Promise<BundleFacts> {
  const file = join(bundle, "config.json");
  const text = await readFile(file, "utf8");
  let cfg: { process?: { oomScoreAdj?: number }; hooks?: { poststart?: unknown[] }; linux?: { namespaces?: { type?: string; path?: string }[] } };
  try {
    cfg = parseExactJson(text) as typeof cfg;
  } catch {
    // The runtime reports a bad config; assume nothing.
    return { hasPoststartHooks: true, ownPidNs: false };
  }
  const facts: BundleFacts = {
    hasPoststartHooks: (cfg.hooks?.poststart?.length ?? 0) > 0,
    ownPidNs: (cfg.linux?.namespaces ?? []).some((n) => n.type === "pid" && (n.path === undefined || n.path === "")),
  };
  const adj = cfg.process?.oomScoreAdj;
  if (adj === undefined || adj >= 0 || (await hasEffectiveCapability(capSysResource))) return facts;
  log?.warn({ bundle, oomScoreAdj: adj }, "clamping negative oomScoreAdj to 0: CAP_SYS_RESOURCE is missing");
  if (cfg.process) cfg.process.oomScoreAdj = 0;
  await writeFile(file, stringifyExactJson(cfg));
  return facts;
}

/** The process of the bundle's config.json, without its console size: the base of every exec. */
export async function bundleProcess(bundle: string): Promise<Record<string, unknown>> {
  const cfg = JSON.parse(await readFile(join(bundle, "config.json"), "utf8")) as { process?: Record<string, unknown> };
  const p = { ...(cfg.process ?? {}) };
  delete p["consoleSize"];
  return p;
}

/** A binary's absolute path: as given when it has a slash, else the first executable match in PATH. */
export async function resolveInPath(bin: string, what = "binary"): Promise<string> {
  if (bin.includes("/")) {
    try {
      await access(bin, fsConstants.X_OK);
    } catch (e) {
      throw failedPrecondition(`${what} "${bin}" is not an executable file (${(e as NodeJS.ErrnoException).code ?? "unknown error"})`);
    }
    return bin;
  }
  for (const dir of (process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(delimiter)) {
    const p = join(dir, bin);
    try {
      await access(p, fsConstants.X_OK);
      return p;
    } catch {
      // next
    }
  }
  throw failedPrecondition(`${what} "${bin}" was not found in PATH`);
}

/**
 * The runtime root holding runc's exec fifos, when the runtime is runc
 * (the only runtime whose `start` is known to be just the fifo) and
 * NOTIFY_SOCKET is unset (runc's start would then also wait on it).
 */
export function execFifoRoot(runtimePath: string, runtimeRoot: string | undefined): string | undefined {
  if (basename(runtimePath) !== "runc" || process.env["NOTIFY_SOCKET"] !== undefined) return undefined;
  return runtimeRoot ?? (process.geteuid?.() === 0 ? "/run/runc" : undefined);
}
