/**
 * Starts Debian's docker-registry (distribution 2.8) on 127.0.0.1 on a free
 * port with a temporary storage root, optionally behind htpasswd basic auth,
 * and pushes OCI layouts into it with skopeo. Stops it by pid.
 */
import { execa } from "execa";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface TestRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  port: number;
  dir: string;
  pid: number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const a = s.address();
      const port = typeof a === "object" && a ? a.port : 0;
      s.close(() => resolve(port));
    });
  });
}

export interface RegistryOptions {
  /** htpasswd basic auth with one user. */
  auth?: { username: string; password: string };
  /** Bearer-token auth: the token service's realm URL, service and issuer names, and the PEM certificate its tokens are signed with. */
  token?: { realm: string; service: string; issuer: string; rootCertBundle: string };
}

export async function startRegistry(options: RegistryOptions = {}): Promise<TestRegistry> {
  const bin = "/usr/bin/docker-registry";
  const dir = await mkdtemp(join(tmpdir(), "crikit-registry-"));
  const port = await freePort();
  let auth = "";
  if (options.auth) {
    const htp = await execa("htpasswd", ["-Bbn", options.auth.username, options.auth.password]);
    await writeFile(join(dir, "htpasswd"), `${htp.stdout.trim()}\n`);
    auth = `auth:\n  htpasswd:\n    realm: crikit-test\n    path: ${join(dir, "htpasswd")}\n`;
  } else if (options.token) {
    const t = options.token;
    auth = `auth:\n  token:\n    realm: ${t.realm}\n    service: ${t.service}\n    issuer: ${t.issuer}\n    rootcertbundle: ${t.rootCertBundle}\n`;
  }
  const cfg = `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, "data")}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n${auth}`;
  await writeFile(join(dir, "config.yml"), cfg);
  const proc = execa(bin, ["serve", join(dir, "config.yml")], { reject: false, stdio: "ignore" });
  const pid = proc.pid;
  if (pid === undefined) throw new Error(`cannot start ${bin}: install Debian's docker-registry (scripts/setup.sh)`);
  const stop = async (): Promise<void> => {
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      // already gone
    }
    await proc;
    await rm(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      const r = await fetch(`http://127.0.0.1:${port}/v2/`);
      await r.body?.cancel();
      if (r.status === 200 || r.status === 401) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`docker-registry did not answer on 127.0.0.1:${port}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { host: `127.0.0.1:${port}`, port, dir, pid, stop };
}

/** Pushes `oci:layoutDir:tag` to `registry/name:tag` with skopeo, keeping digests. */
export async function pushLayout(layoutDir: string, tag: string, dest: string, options: { all?: boolean; creds?: string } = {}): Promise<void> {
  const args = ["copy", "--quiet", "--preserve-digests", "--dest-tls-verify=false"];
  if (options.all) args.push("--all");
  if (options.creds) args.push("--dest-creds", options.creds);
  args.push(`oci:${layoutDir}:${tag}`, `docker://${dest}`);
  await execa("skopeo", args, { env: { HOME: tmpdir() } });
}
