/**
 * A small lab for running generated specs under the host's real runc:
 * one busybox rootfs, a bundle per container, container IDs prefixed
 * `crikit-spec-`, cgroups under a test-specific cgroupfs parent, and a
 * cleanup that force-deletes every container it started, unmounts what it
 * mounted and removes the cgroup directories and the temp dir.
 */
import { randomBytes } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import type { OciSpec } from "../../src/spec/index.js";
import { createTestRootfs, type TestRootfs } from "../helpers/rootfs.js";

const RUNC = ["/usr/sbin/runc", "/usr/bin/runc"].find((p) => existsSync(p));

/** The result of a foreground container run. */
export interface RunResult {
  exitCode: number | undefined;
  stdout: string;
  stderr: string;
}

/** A lab of runc containers with cleanup. */
export interface RuncLab {
  rootfs: TestRootfs;
  /** cgroupfs parent (absolute), for PodSandboxConfig.linux.cgroup_parent. */
  cgroupParent: string;
  /** A fresh container ID. */
  newId(label: string): string;
  /** Run a container in the foreground to completion, then delete it. */
  run(id: string, spec: OciSpec): Promise<RunResult>;
  /** Start a container detached; returns its init PID. */
  start(id: string, spec: OciSpec): Promise<number>;
  /** Run a command in a running container. */
  exec(id: string, args: string[]): Promise<RunResult>;
  /** Run a host command (mount, umount) and remember an undo step. */
  host(args: string[], undo?: string[]): Promise<void>;
  /** Clean up everything. */
  cleanup(): Promise<void>;
}

/** Fails with a clear message when runc is missing. */
export function requireRunc(): string {
  if (!RUNC) throw new Error("runc is not installed: run scripts/setup.sh (Debian package runc)");
  return RUNC;
}

/** Create a lab (throws when runc is missing). */
export function createRuncLab(): RuncLab {
  const runc = requireRunc();
  const rootfs = createTestRootfs();
  const tag = randomBytes(4).toString("hex");
  const cgroupParent = `/crikit-spec-${tag}`;
  const ids: string[] = [];
  const undo: string[][] = [];
  const bundle = (id: string, spec: OciSpec): string => {
    const dir = join(rootfs.dir, "bundles", id);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "config.json"), JSON.stringify(spec, null, 2));
    return dir;
  };
  const del = async (id: string): Promise<void> => {
    await execa(runc, ["delete", "-f", id], { reject: false, timeout: 20_000 });
  };
  return {
    rootfs,
    cgroupParent,
    newId: (label) => `crikit-spec-${tag}-${label}`,
    async run(id, spec) {
      ids.push(id);
      const dir = bundle(id, spec);
      try {
        const r = await execa(runc, ["run", "--bundle", dir, id], { reject: false, timeout: 30_000, stdin: "ignore" });
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
      } finally {
        await del(id);
      }
    },
    async start(id, spec) {
      ids.push(id);
      const dir = bundle(id, spec);
      // The detached container inherits runc's stdio: give both a file, not a
      // pipe, or waiting for runc would wait for the container too.
      const log = join(dir, "runc.out");
      const fd = openSync(log, "w");
      try {
        const r = await execa(runc, ["run", "-d", "--bundle", dir, id], {
          reject: false,
          timeout: 30_000,
          stdio: ["ignore", fd, fd] as unknown as ["ignore", "pipe", "pipe"],
        });
        if (r.exitCode !== 0) throw new Error(`runc run -d ${id} failed (${r.exitCode}): ${readFileSync(log, "utf8")}`);
      } finally {
        closeSync(fd);
      }
      const state = await execa(runc, ["state", id], { timeout: 10_000 });
      return (JSON.parse(state.stdout) as { pid: number }).pid;
    },
    async exec(id, args) {
      const r = await execa(runc, ["exec", id, ...args], { reject: false, timeout: 20_000, stdin: "ignore" });
      return { exitCode: r.exitCode, stdout: r.stdout, stderr: r.stderr };
    },
    async host(args, undoArgs) {
      const [cmd, ...rest] = args;
      await execa(cmd ?? "true", rest, { timeout: 10_000 });
      if (undoArgs) undo.push(undoArgs);
    },
    async cleanup() {
      for (const id of ids.reverse()) await del(id);
      for (const u of undo.reverse()) {
        const [cmd, ...rest] = u;
        await execa(cmd ?? "true", rest, { reject: false, timeout: 10_000 });
      }
      for (const ctrl of readdirSync("/sys/fs/cgroup")) {
        const d = join("/sys/fs/cgroup", ctrl, cgroupParent);
        if (!existsSync(d)) continue;
        for (const child of readdirSync(d, { withFileTypes: true })) if (child.isDirectory()) rmdirSync(join(d, child.name));
        rmdirSync(d);
      }
      rootfs.cleanup();
    },
  };
}
