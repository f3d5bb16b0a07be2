/**
 * Real implementations of the service's interfaces that need no root, for
 * unit tests of its orchestration: a container runtime whose containers are
 * host processes with their state in a directory, a pod network whose
 * network namespaces are files and whose addresses come from a counter, and
 * an image backend with one image whose rootfs is a directory. Each keeps a
 * journal of the calls that changed something, and takes injected failures
 * (`failNext`), as containerd's fakes take `InjectError`.
 */
import { spawn, execFile, type ChildProcess } from "node:child_process";
import { closeSync, openSync } from "node:fs";
import { mkdir, readFile, readdir, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { promisify } from "node:util";
import { notFound } from "../../src/errors.js";
import type { ImageRecord } from "../../src/image/index.js";
import type { ContainerCreateInput, ContainerRuntime, ExitWatch, RuntimeContainerStatus, RuntimeRecovery } from "../../src/runtime/index.js";
import type { ImageBackend, PodNetwork } from "../../src/server/index.js";

/** What a step failure injected with `failNext` throws. */
export class InjectedFailure extends Error {}

function take(fail: Set<string>, step: string): void {
  if (fail.delete(step)) throw new InjectedFailure(`injected failure: ${step}`);
}

interface DirState {
  id: string;
  args: string[];
  logPath: string;
  pid: number;
  startedAt?: string;
  finishedAt?: string;
  exitCode?: number;
}

/** A {@link ContainerRuntime} whose containers are plain host processes (`spec.process.args`), state in `dir`. */
export class DirRuntime implements ContainerRuntime {
  readonly failNext = new Set<string>();
  readonly journal: string[] = [];
  readonly #dir: string;
  readonly #listeners = new Set<(id: string) => void | Promise<void>>();
  readonly #procs = new Map<string, ChildProcess>();

  constructor(dir: string) {
    this.#dir = dir;
  }

  #file(id: string): string {
    return join(this.#dir, `${id}.json`);
  }

  async #read(id: string): Promise<DirState> {
    try {
      return JSON.parse(await readFile(this.#file(id), "utf8")) as DirState;
    } catch (err) {
      throw notFound(`container ${JSON.stringify(id)} not found`, err);
    }
  }

  async #write(st: DirState): Promise<void> {
    await mkdir(this.#dir, { recursive: true });
    await writeFile(this.#file(st.id), JSON.stringify(st));
  }

  #statusOf(st: DirState): RuntimeContainerStatus {
    if (st.finishedAt !== undefined) {
      return { id: st.id, state: "exited", pid: 0, ...(st.startedAt ? { startedAt: new Date(st.startedAt) } : {}), finishedAt: new Date(st.finishedAt), exitCode: st.exitCode ?? 255, reason: st.exitCode === 0 ? "Completed" : "Error" };
    }
    return { id: st.id, state: st.startedAt ? "running" : "created", pid: st.pid, ...(st.startedAt ? { startedAt: new Date(st.startedAt) } : {}) };
  }

  async create(input: ContainerCreateInput): Promise<{ pid: number }> {
    take(this.failNext, "create");
    await this.#write({ id: input.id, args: [...(input.spec?.process?.args ?? [])], logPath: input.logPath, pid: 0 });
    this.journal.push(`create ${input.id}`);
    return { pid: 0 };
  }

  async start(id: string): Promise<void> {
    take(this.failNext, "start");
    const st = await this.#read(id);
    const fd = openSync(st.logPath, "a");
    const child = spawn(st.args[0] ?? "true", st.args.slice(1), { stdio: ["ignore", fd, fd] });
    closeSync(fd);
    this.#procs.set(id, child);
    child.on("exit", (code, signal) => {
      this.#procs.delete(id);
      void (async () => {
        const cur = await this.#read(id).catch(() => undefined);
        if (cur === undefined) return;
        await this.#write({ ...cur, finishedAt: new Date().toISOString(), exitCode: code ?? 128 + (signal === "SIGKILL" ? 9 : 15) });
        for (const l of this.#listeners) await l(id);
      })();
    });
    await this.#write({ ...st, pid: child.pid ?? 0, startedAt: new Date().toISOString() });
    this.journal.push(`start ${id}`);
  }

  async status(id: string): Promise<RuntimeContainerStatus> {
    return this.#statusOf(await this.#read(id));
  }

  async #waitExit(id: string, ms: number): Promise<boolean> {
    const until = Date.now() + ms;
    for (;;) {
      if ((await this.#read(id)).finishedAt !== undefined) return true;
      if (Date.now() >= until) return false;
      await new Promise((r) => setTimeout(r, 10));
    }
  }

  async stop(id: string, opts: { timeoutMs?: number; stopSignal?: string } = {}): Promise<RuntimeContainerStatus> {
    const st = await this.#read(id);
    const child = this.#procs.get(id);
    if (st.finishedAt === undefined && child !== undefined) {
      child.kill((opts.stopSignal ?? "SIGTERM") as NodeJS.Signals);
      if (!(await this.#waitExit(id, opts.timeoutMs ?? 0))) {
        child.kill("SIGKILL");
        await this.#waitExit(id, 5000);
      }
    } else if (st.finishedAt === undefined) {
      await this.#write({ ...st, finishedAt: new Date().toISOString(), exitCode: 137 });
    }
    this.journal.push(`stop ${id}`);
    return this.status(id);
  }

  async remove(id: string): Promise<void> {
    take(this.failNext, "remove");
    this.#procs.get(id)?.kill("SIGKILL");
    await rm(this.#file(id), { force: true });
    this.journal.push(`remove ${id}`);
  }

  async watchExits(onExit: (id: string) => void | Promise<void>): Promise<ExitWatch> {
    this.#listeners.add(onExit);
    return {
      recheck: async () => {
        for (const id of await this.list()) if ((await this.#read(id)).finishedAt !== undefined) await onExit(id);
      },
      close: async () => void this.#listeners.delete(onExit),
    };
  }

  async execSync(id: string, cmd: readonly string[]): Promise<{ stdout: Uint8Array; stderr: Uint8Array; exitCode: number }> {
    await this.#read(id);
    const r = await promisify(execFile)(cmd[0] ?? "true", cmd.slice(1), { encoding: "buffer" }).catch((e: { stdout: Buffer; stderr: Buffer; code: number }) => e);
    return { stdout: new Uint8Array(r.stdout), stderr: new Uint8Array(r.stderr), exitCode: "code" in r && typeof r.code === "number" ? r.code : 0 };
  }

  async updateResources(id: string): Promise<void> {
    await this.#read(id);
  }

  async reopenLog(id: string): Promise<void> {
    await this.#read(id);
  }

  async recover(): Promise<RuntimeRecovery> {
    const containers: RuntimeContainerStatus[] = [];
    for (const id of await this.list()) containers.push(await this.status(id));
    return { containers, orphans: [] };
  }

  async list(): Promise<string[]> {
    const names = await readdir(this.#dir).catch(() => [] as string[]);
    return names.filter((n) => n.endsWith(".json")).map((n) => n.slice(0, -5));
  }

  /** Containers keep running, as with conmon. */
  async close(): Promise<void> {}

  /** Kills every process it started (test clean-up). */
  killAll(): void {
    for (const c of this.#procs.values()) c.kill("SIGKILL");
  }
}

/** A {@link PodNetwork} whose network namespaces are files in `dir` and whose addresses come from a counter. */
export class DirNetwork implements PodNetwork {
  readonly failNext = new Set<string>();
  readonly journal: string[] = [];
  readonly #dir: string;
  #next = 2;

  constructor(dir: string) {
    this.#dir = dir;
  }

  async status() {
    return { ready: true, reason: "", message: "", networks: [] } as unknown as Awaited<ReturnType<PodNetwork["status"]>>;
  }

  setPodCidrs(): void {}

  async createNetns(name: string): Promise<string> {
    take(this.failNext, "netns");
    await mkdir(this.#dir, { recursive: true });
    const path = join(this.#dir, name);
    await writeFile(path, "");
    this.journal.push("netns create");
    return path;
  }

  async removeNetns(path: string): Promise<void> {
    await rm(path, { force: true });
    this.journal.push("netns remove");
  }

  async netnsExists(path: string): Promise<boolean> {
    return readFile(path).then(
      () => true,
      () => false,
    );
  }

  async setUpPod(): Promise<{ ips: readonly string[] }> {
    take(this.failNext, "add");
    this.journal.push("cni add");
    return { ips: [`10.0.0.${this.#next++}`] };
  }

  async tearDownPod(): Promise<void> {
    this.journal.push("cni del");
  }
}

/** An {@link ImageBackend} holding one image, `example.com/app:1`, whose rootfs is a plain directory. */
export class DirImages implements ImageBackend {
  readonly failNext = new Set<string>();
  readonly journal: string[] = [];
  readonly image: ImageRecord = {
    id: "sha256:" + "a".repeat(64),
    repoTags: ["example.com/app:1"],
    repoDigests: [],
    size: 1,
    pinned: false,
    manifestDigest: "sha256:" + "b".repeat(64),
    chainIds: [],
    layers: [],
    config: { architecture: "amd64", os: "linux", rootfs: { type: "layers", diff_ids: [] }, config: { Cmd: ["sleep", "30"] } },
    pulledAt: new Date(0).toISOString(),
  } as unknown as ImageRecord;

  async init(): Promise<void> {}
  async status(ref: string): Promise<ImageRecord | undefined> {
    return ref === this.image.id || this.image.repoTags.includes(ref) ? this.image : undefined;
  }
  async list(): Promise<ImageRecord[]> {
    return [this.image];
  }
  async pull(): Promise<never> {
    throw notFound("this backend pulls nothing");
  }
  async remove(): Promise<void> {}
  async fsInfo(): Promise<never> {
    throw notFound("no image filesystem");
  }
  async mountRootfs(_ref: string, target: string): Promise<void> {
    take(this.failNext, "mount");
    await mkdir(target, { recursive: true });
    this.journal.push("mount");
  }
  async unmountRootfs(): Promise<void> {
    this.journal.push("unmount");
  }
}
