/**
 * User and group resolution against the image rootfs' `/etc/passwd` and
 * `/etc/group`, with the CRI's precedence:
 *
 * 1. `run_as_username`, else `run_as_user`, each optionally with
 *    `run_as_group` (a group without a user is an error, as the CRI says);
 * 2. else the image config's `User` (`name`, `uid`, `name:group`, `uid:gid`);
 * 3. else root.
 *
 * A numeric uid absent from `/etc/passwd` runs with gid 0; a user or group
 * *name* that is absent is an error. The supplemental groups always start
 * with the primary gid (containerd's fix for CVE-2023-25173); policy Merge
 * then adds every `/etc/group` entry listing the user by name, Strict adds
 * none; the request's `supplemental_groups` come last. Duplicates are
 * dropped, first occurrence kept.
 *
 * @packageDocumentation
 */
import { CrikitError } from "../errors.js";
import type { RootfsReader } from "./input.js";
import type { OciUser } from "./oci-types.js";

/** @public One `/etc/passwd` entry. */
export interface PasswdEntry {
  /** Login name (field 1). */
  name: string;
  /** User ID (field 3). */
  uid: number;
  /** Primary group ID (field 4). */
  gid: number;
  /** Home directory (field 6). */
  home: string;
  /** Login shell (field 7). */
  shell: string;
}

/** @public One `/etc/group` entry. */
export interface GroupEntry {
  /** Group name (field 1). */
  name: string;
  /** Group ID (field 3). */
  gid: number;
  /** User names listed as members (field 4, comma-separated in the file). */
  members: string[];
}

const utf8 = new TextDecoder();
const isId = (s: string): boolean => /^[0-9]+$/.test(s) && Number(s) <= 0xffffffff;

/**
 * Parse `/etc/passwd` text; comments, blank and malformed lines are skipped.
 *
 * @public
 */
export function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const f = line.split(":");
    const [name, , uid, gid, , home, shell] = f;
    if (!name || uid === undefined || gid === undefined || !isId(uid) || !isId(gid)) continue;
    out.push({ name, uid: Number(uid), gid: Number(gid), home: home ?? "", shell: (shell ?? "").trim() });
  }
  return out;
}

/**
 * Parse `/etc/group` text; comments, blank and malformed lines are skipped.
 *
 * @public
 */
export function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "" || line.startsWith("#")) continue;
    const [name, , gid, members] = line.split(":");
    if (!name || gid === undefined || !isId(gid)) continue;
    const list = (members ?? "").trim();
    out.push({ name, gid: Number(gid), members: list === "" ? [] : list.split(",").map((m) => m.trim()) });
  }
  return out;
}

/**
 * The user part of a CRI security context, and the image's user.
 *
 * @public
 */
export interface UserRequest {
  /** CRI `run_as_user`: the UID, used when `runAsUsername` is empty; need not exist in `/etc/passwd`. */
  runAsUser?: bigint | number | undefined;
  /**
   * CRI `run_as_username`: a user name that must exist in the image's `/etc/passwd`; wins over `runAsUser`.
   */
  runAsUsername?: string | undefined;
  /** CRI `run_as_group`: the primary GID; only valid with `runAsUser` or `runAsUsername`. */
  runAsGroup?: bigint | number | undefined;
  /** CRI `supplemental_groups`: GIDs appended after the primary GID and the `/etc/group` memberships. */
  supplementalGroups?: ReadonlyArray<bigint | number> | undefined;
  /** Supplemental groups policy. @defaultValue "Merge" */
  policy?: "Merge" | "Strict";
  /** The image config's `User`. */
  imageUser?: string | undefined;
  /** Request field prefix for errors. @defaultValue "linux.security_context" */
  field?: string;
}

function readEntries(rootfs: RootfsReader | undefined): { passwd: PasswdEntry[]; group: GroupEntry[] } {
  const p = rootfs?.readFile("/etc/passwd");
  const g = rootfs?.readFile("/etc/group");
  return { passwd: p ? parsePasswd(utf8.decode(p)) : [], group: g ? parseGroup(utf8.decode(g)) : [] };
}

/**
 * The OCI process user for a request, resolved against the image rootfs.
 *
 * @throws CrikitError InvalidArgument naming the field: run_as_group without a
 *   user, a run_as_username (or image user or group name) absent from the image.
 *
 * @public
 */
export function resolveUser(req: UserRequest, rootfs: RootfsReader | undefined): OciUser {
  const field = req.field ?? "linux.security_context";
  const hasUser = req.runAsUsername !== undefined && req.runAsUsername !== "";
  if (req.runAsGroup !== undefined && !hasUser && req.runAsUser === undefined) {
    throw new CrikitError("InvalidArgument", `${field}.run_as_group is set without run_as_user or run_as_username`, {
      details: { field: `${field}.run_as_group` },
    });
  }
  const db = readEntries(rootfs);
  let uid = 0;
  let gid = 0;
  let username: string | undefined;
  if (hasUser) {
    const name = req.runAsUsername ?? "";
    const e = db.passwd.find((p) => p.name === name);
    if (!e) {
      throw new CrikitError("InvalidArgument", `${field}.run_as_username "${name}" is not in the image's /etc/passwd`, {
        details: { field: `${field}.run_as_username` },
      });
    }
    ({ uid, gid } = e);
    username = e.name;
  } else if (req.runAsUser !== undefined) {
    uid = Number(req.runAsUser);
    const e = db.passwd.find((p) => p.uid === uid);
    gid = e?.gid ?? 0;
    username = e?.name;
  } else if (req.imageUser !== undefined && req.imageUser !== "") {
    const [u = "", g] = req.imageUser.split(":", 2);
    if (isId(u)) {
      uid = Number(u);
      const e = db.passwd.find((p) => p.uid === uid);
      gid = e?.gid ?? 0;
      username = e?.name;
    } else {
      const e = db.passwd.find((p) => p.name === u);
      if (!e) {
        throw new CrikitError("InvalidArgument", `image config user "${u}" is not in the image's /etc/passwd`, { details: { field: "image.config.User" } });
      }
      ({ uid, gid } = e);
      username = e.name;
    }
    if (g !== undefined && g !== "") {
      if (isId(g)) gid = Number(g);
      else {
        const ge = db.group.find((x) => x.name === g);
        if (!ge) {
          throw new CrikitError("InvalidArgument", `image config group "${g}" is not in the image's /etc/group`, { details: { field: "image.config.User" } });
        }
        gid = ge.gid;
      }
    }
  } else {
    username = db.passwd.find((p) => p.uid === 0)?.name ?? "root";
  }
  if (req.runAsGroup !== undefined) gid = Number(req.runAsGroup);

  const gids: number[] = [gid];
  if ((req.policy ?? "Merge") === "Merge" && username !== undefined) {
    for (const g of db.group) if (g.members.includes(username)) gids.push(g.gid);
  }
  for (const g of req.supplementalGroups ?? []) gids.push(Number(g));
  return { uid, gid, additionalGids: [...new Set(gids)] };
}
