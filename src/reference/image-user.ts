/**
 * The `User` field of an OCI image config.
 *
 * The image spec allows `user`, `uid`, `user:group`, `uid:gid`, `uid:group`
 * and `user:gid`. As in containerd's `getUserFromImage`, a part made only of
 * digits is a numeric ID and anything else is a name to look up in the
 * image's /etc/passwd or /etc/group. Unlike containerd, which keeps only the
 * user part, the group part is returned too, so a runtime can honour
 * `uid:gid` images. An empty string means the image names no user.
 *
 * @packageDocumentation
 */
import { invalidArgument } from "../errors.js";

/**
 * The user part of an image `User`: a numeric uid or a user name.
 *
 * @public
 */
export type ImageUserPart = { readonly uid: number; readonly name?: undefined } | { readonly name: string; readonly uid?: undefined };

/**
 * The group part of an image `User`: a numeric gid or a group name.
 *
 * @public
 */
export type ImageGroupPart = { readonly gid: number; readonly name?: undefined } | { readonly name: string; readonly gid?: undefined };

/**
 * The parsed `User` of an image config.
 *
 * @public
 */
export interface ImageUser {
  /** The user: `{ uid }` for a numeric uid, `{ name }` for a user name. */
  readonly user: ImageUserPart;
  /** The group, when the value has a `:group` part: `{ gid }` or `{ name }`. */
  readonly group?: ImageGroupPart;
}

const MAX_ID = 0xffff_ffff;

function part(kind: "user" | "group", value: string, whole: string, field: string): { id: number } | { name: string } {
  if (value === "") throw invalidArgument(`invalid image user "${whole}": the ${kind} part is empty`, field);
  if (/^\d+$/.test(value)) {
    const id = Number(value);
    if (id > MAX_ID) throw invalidArgument(`invalid image user "${whole}": ${kind} ID ${value} is above ${MAX_ID}`, field);
    return { id };
  }
  if (/^-\d+$/.test(value)) {
    throw invalidArgument(`invalid image user "${whole}": ${kind} ID ${value} is negative`, field);
  }
  if (/[\s/\\\0:]/.test(value)) {
    throw invalidArgument(
      `invalid image user "${whole}": ${kind} name "${value}" contains whitespace, a slash or a colon`,
      field,
    );
  }
  return { name: value };
}

function toUser(p: { id: number } | { name: string }): ImageUserPart {
  return "id" in p ? { uid: p.id } : { name: p.name };
}

function toGroup(p: { id: number } | { name: string }): ImageGroupPart {
  return "id" in p ? { gid: p.id } : { name: p.name };
}

/**
 * Parses an image config's `User` value.
 *
 * @returns `undefined` for an empty value (the image names no user).
 * @throws CrikitError InvalidArgument for an empty part (`":1000"`), more
 * than one colon, a negative or too-large ID, or a name with whitespace or a
 * slash.
 *
 * @example
 * ```ts
 * parseImageUser("1000:1000");      // { user: { uid: 1000 }, group: { gid: 1000 } }
 * parseImageUser("www-data:staff"); // { user: { name: "www-data" }, group: { name: "staff" } }
 * ```
 *
 * @public
 */
export function parseImageUser(value: string, field = "image.config.User"): ImageUser | undefined {
  if (value === "") return undefined;
  const colon = value.indexOf(":");
  if (colon === -1) return { user: toUser(part("user", value, value, field)) };
  if (value.indexOf(":", colon + 1) !== -1) {
    throw invalidArgument(`invalid image user "${value}": expected user[:group]`, field);
  }
  return {
    user: toUser(part("user", value.slice(0, colon), value, field)),
    group: toGroup(part("group", value.slice(colon + 1), value, field)),
  };
}
