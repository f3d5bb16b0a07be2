/**
 * Making renames durable: an fsync of the directory that holds them. Used
 * by every layer that writes files atomically (temp file, fsync, rename,
 * directory fsync): the server's records and the image content store.
 *
 * @packageDocumentation
 */
import { open } from "node:fs/promises";

/**
 * fsync the directory `dir`, so that the renames and creations already made
 * in it survive a crash.
 *
 * @internal
 */
export async function fsyncDir(dir: string): Promise<void> {
  const dh = await open(dir, "r");
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}
