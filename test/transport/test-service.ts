/**
 * A tiny in-memory CRI service for the transport tests, and a helper that
 * starts a CriServer on a throwaway unix socket with a grpc-js client.
 *
 * ContainerStatus behaves by container id:
 * - "missing": throws CrikitError NotFound
 * - "enoent": reads a file that does not exist (a real Node ENOENT)
 * - "plain": throws a plain Error with internals in its message
 * - "slow": answers after `slowMs`, honouring the signal
 * - "wait": waits until the handler signal aborts, records the reason, rethrows it
 * ExecSync answers stdout of `Number(cmd[0])` bytes.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import type { TestContext } from "node:test";
import { CrikitError } from "../../src/errors.js";
import { ContainerEventType } from "../../src/cri.js";
import { CriServer } from "../../src/transport/index.js";
import type { CriServerOptions, ImageServiceImpl, RuntimeServiceImpl, TransportLogger } from "../../src/transport/index.js";
import { createCriClient } from "../helpers/cri-client.js";
import type { CriClient } from "../helpers/cri-client.js";

/** What the test service saw. */
export interface ServiceLog {
  abortReasons: unknown[];
  slowFinished: number;
  requestIds: string[];
}

/** Build the in-memory service. */
export function createTestService(opts: { slowMs?: number; events?: number } = {}): {
  runtime: RuntimeServiceImpl;
  image: ImageServiceImpl;
  seen: ServiceLog;
} {
  const seen: ServiceLog = { abortReasons: [], slowFinished: 0, requestIds: [] };
  const runtime: RuntimeServiceImpl = {
    version() {
      return { version: "0.1.0", runtimeName: "crikit-test", runtimeVersion: "0.0.1", runtimeApiVersion: "v1" };
    },
    status() {
      return { status: { conditions: [{ type: "RuntimeReady", status: true }, { type: "NetworkReady", status: true }] } };
    },
    startContainer() {
      return {};
    },
    async containerStatus(req, ctx) {
      switch (req.containerId) {
        case "missing":
          throw new CrikitError("NotFound", 'container "missing" not found');
        case "enoent":
          await readFile("/nonexistent-crikit-dir/secret-state.json");
          return {};
        case "unicode":
          throw new CrikitError("InvalidArgument", 'label "ключ" is 100% invalid: a/b?c=d, see #1');
        case "plain":
          throw new Error("boom: secret internal detail at /var/lib/crikit/x");
        case "slow":
          await delay(opts.slowMs ?? 300, undefined, { signal: ctx.signal });
          seen.slowFinished++;
          return {};
        case "wait":
          await new Promise<void>((_, reject) => {
            const onAbort = () => {
              seen.abortReasons.push(ctx.signal.reason);
              reject(ctx.signal.reason);
            };
            if (ctx.signal.aborted) onAbort();
            else ctx.signal.addEventListener("abort", onAbort, { once: true });
          });
          return {};
        default:
          return { status: { id: req.containerId } };
      }
    },
    execSync(req) {
      const n = Number(req.cmd[0] ?? "0");
      return { stdout: new Uint8Array(n), exitCode: 0 };
    },
    async *getContainerEvents(_req, ctx) {
      for (let i = 0; i < (opts.events ?? 5); i++) {
        await delay(5, undefined, { signal: ctx.signal });
        yield { containerId: `c${i}`, containerEventType: ContainerEventType.CONTAINER_STARTED_EVENT, createdAt: BigInt(i) };
      }
    },
    async *streamContainers(req) {
      yield { containers: [{ id: "first" }] };
      if (req.filter?.id === "fail") throw new CrikitError("NotFound", 'container "fail" not found');
      yield { containers: [{ id: "second" }] };
    },
    async *streamPodSandboxes(_req, ctx) {
      // A stream that lasts until the signal aborts (like GetContainerEvents in a real runtime).
      yield { podSandboxes: [{ id: "p0" }] };
      await new Promise<void>((_, reject) => {
        const onAbort = () => {
          seen.abortReasons.push(ctx.signal.reason);
          reject(ctx.signal.reason);
        };
        if (ctx.signal.aborted) onAbort();
        else ctx.signal.addEventListener("abort", onAbort, { once: true });
      });
    },
  };
  const image: ImageServiceImpl = {
    listImages() {
      return { images: [{ id: "sha256:abc", repoTags: ["busybox:latest"] }] };
    },
  };
  return { runtime, image, seen };
}

/** A temporary directory removed after the test. */
export async function tempDir(t: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "crikit-transport-"));
  t.after(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** A running server with a client, both cleaned up after the test. */
export interface Harness {
  server: CriServer;
  client: CriClient;
  seen: ServiceLog;
  socketPath: string;
  dir: string;
}

/** Start a ready server (unless `ready` says otherwise) with the test service. */
export async function startHarness(
  t: TestContext,
  options: Partial<CriServerOptions> & { slowMs?: number; events?: number } = {},
): Promise<Harness> {
  const dir = await tempDir(t);
  const socketPath = join(dir, "run", "crikit.sock");
  const svc = createTestService({ ...(options.slowMs === undefined ? {} : { slowMs: options.slowMs }), ...(options.events === undefined ? {} : { events: options.events }) });
  const server = new CriServer({ socketPath, runtime: svc.runtime, image: svc.image, ready: true, ...options });
  await server.listen();
  const client = createCriClient(socketPath);
  t.after(async () => {
    client.close();
    await server.destroy();
  });
  return { server, client, seen: svc.seen, socketPath, dir };
}

/** A logger that records every line. */
export function recordingLogger(): TransportLogger & { lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> } {
  const lines: Array<{ level: string; obj: Record<string, unknown>; msg: string | undefined }> = [];
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push({ level, obj: obj as Record<string, unknown>, msg });
  };
  return { lines, debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}
